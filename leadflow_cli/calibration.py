"""Calibration: how the reps' decisions and the SQLs bear out what scoring said about each MQL.

From the journey records: acceptance and SQL rates by score band, ICP tier, persona and MQL reason
(the rule that triggered it), and the reasons reps gave to reject or recycle, by MQL reason. The
reason codes reps must give become the learning loop: a band or a trigger that sales keeps
turning away is a change to the MQL definition worth testing with `leadflow replay`.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from leadflow.core.config import LeadflowConfig
from leadflow.core.journey_record import JourneyRecord, JourneyStatus

BAND = 10
MIN_DECIDED = 5  # fewer decisions than this in a group: no suggestion is drawn from it


@dataclass
class Rates:
    """The outcomes of a group of MQLs."""

    mqls: int = 0
    decided: int = 0
    accepted: int = 0
    closed: int = 0
    sql: int = 0

    def add(self, record: JourneyRecord) -> None:
        """Count one journey."""
        self.mqls += 1
        if record.decided_at is not None:
            self.decided += 1
            self.accepted += JourneyStatus.SAL in record.reached
        if record.status is not None and record.status.is_final:
            self.closed += 1
            self.sql += record.status is JourneyStatus.SQL

    @property
    def acceptance(self) -> float | None:
        """Accepted of the decided."""
        return self.accepted / self.decided if self.decided else None

    @property
    def sql_rate(self) -> float | None:
        """SQLs of the closed journeys."""
        return self.sql / self.closed if self.closed else None

    def as_json(self) -> dict[str, Any]:
        """The group for scripts."""
        return {
            "mqls": self.mqls,
            "decided": self.decided,
            "accepted": self.accepted,
            "acceptance_rate": _round(self.acceptance),
            "closed": self.closed,
            "sql": self.sql,
            "sql_rate": _round(self.sql_rate),
        }


@dataclass
class Calibration:
    """The rates by each dimension, the rejection and recycle reasons by trigger, and suggestions."""

    overall: Rates = field(default_factory=Rates)
    by: dict[str, dict[str, Rates]] = field(default_factory=dict)
    turned_away: dict[str, Counter[str]] = field(default_factory=dict)
    suggestions: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """Everything for scripts."""
        return {
            "overall": self.overall.as_json(),
            **{dim: {k: r.as_json() for k, r in groups.items()} for dim, groups in self.by.items()},
            "rejections_and_recycles_by_reason": {k: dict(c) for k, c in self.turned_away.items()},
            "suggestions": self.suggestions,
        }


def band_of(score: int | None) -> str:
    """A score's band, `40-49` (`unscored` for journeys recorded before scores were)."""
    if score is None:
        return "unscored"
    low = (score // BAND) * BAND
    return f"{low}-{low + BAND - 1}"


def trigger_finder(config: LeadflowConfig) -> Callable[[str], str]:
    """The rule that wrote an MQL reason (its evidence text), by the configuration's templates."""
    scoring = config.scoring
    patterns: list[tuple[str, re.Pattern[str]]] = []
    for intent in scoring.intent.rules:
        template = intent.evidence or f"{{count}} {intent.signal.replace('_', ' ')} signal(s)"
        patterns.append((intent.name, _pattern(template)))
    for fit in scoring.fit.rules:
        patterns.append((fit.name, _pattern(fit.evidence or f"{fit.property} is {{value}}")))

    def find(text: str) -> str:
        return next((name for name, p in patterns if p.fullmatch(text)), "other") if text else "unknown"

    return find


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(?:count|last|evidence|value)\}", template)
    return re.compile(".+?".join(re.escape(p) for p in parts), re.DOTALL)


def calibrate(records: Iterable[JourneyRecord], config: LeadflowConfig) -> Calibration:
    """The calibration of these journeys' scoring against what became of them."""
    trigger = trigger_finder(config)
    found = Calibration()
    groups: dict[str, dict[str, Rates]] = defaultdict(lambda: defaultdict(Rates))
    turned: dict[str, Counter[str]] = defaultdict(Counter)
    for record in records:
        found.overall.add(record)
        reason = trigger(record.mql_reason or "")
        keys = {
            "score_band": band_of(record.score),
            "tier": record.tier or "unknown",
            "persona": record.persona or "none",
            "mql_reason": reason,
        }
        for dim, key in keys.items():
            groups[dim][key].add(record)
        if record.decision in ("reject", "recycle") and record.reason:
            turned[reason][f"{record.decision}:{record.reason}"] += 1
    found.by = {dim: dict(sorted(g.items(), key=lambda kv: _order(dim, kv[0]))) for dim, g in groups.items()}
    found.turned_away = dict(turned)
    found.suggestions = suggestions(found, config)
    return found


def _order(dim: str, key: str) -> tuple[int, str]:
    if dim == "score_band" and key[0].isdigit():
        return int(key.split("-")[0]), key
    return 10**6, key


def suggestions(found: Calibration, config: LeadflowConfig) -> list[str]:
    """Changes to the MQL definition the decisions argue for, each with how to test it first."""
    overall = found.overall.acceptance
    if overall is None:
        return []
    tips = []
    bands = [
        (key, r)
        for key, r in found.by.get("score_band", {}).items()
        if key[0].isdigit() and r.decided >= MIN_DECIDED and r.acceptance is not None
    ]
    low = list(itertools.takewhile(lambda kv: (kv[1].acceptance or 0.0) < overall / 2, bands))
    if low:
        accepted, decided = sum(r.accepted for _, r in low), sum(r.decided for _, r in low)
        under = int(low[-1][0].split("-")[1]) + 1
        tips.append(
            f"MQLs scoring under {under} were accepted {accepted / decided:.0%} of the time ({accepted} of "
            f"{decided}), against {overall:.0%} overall: raise the bar (scoring.fit.threshold "
            f"{config.scoring.fit.threshold} or scoring.intent.threshold {config.scoring.intent.threshold}), "
            f"and test it first: {_replay_hint()}"
        )
    for reason, rates in found.by.get("mql_reason", {}).items():
        if reason in ("other", "unknown") or rates.decided < MIN_DECIDED or rates.acceptance is None:
            continue
        if rates.acceptance < overall / 2:
            top = found.turned_away.get(reason, Counter()).most_common(1)
            why = f", mostly {top[0][0].replace(':', ' ')}" if top else ""
            tips.append(
                f"MQLs triggered by {reason} were accepted {rates.acceptance:.0%} of the time "
                f"({rates.accepted} of {rates.decided}{why}): lower its points or ask for more of it "
                f"(min_count), and test it first: {_replay_hint()}"
            )
    return tips


def _replay_hint() -> str:
    return "leadflow replay contacts.csv --config proposal.yaml --baseline functions/leadflow.yaml"


def _round(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None


def print_calibration(found: Calibration, out: Any) -> None:
    """The calibration for people."""
    print("calibration (acceptance of the decided; SQL rate of the closed):", file=out)
    titles = {
        "score_band": "score band",
        "tier": "ICP tier",
        "persona": "persona",
        "mql_reason": "MQL reason",
    }
    for dim, title in titles.items():
        groups = found.by.get(dim, {})
        if not groups:
            continue
        print(f"  by {title}:", file=out)
        for key, r in groups.items():
            print(
                f"    {key[:28]:<28} MQLs {r.mqls:>5,}  accepted {_pct(r.acceptance):>4} of {r.decided:>4,}"
                f"  SQL {_pct(r.sql_rate):>4} of {r.closed:>4,}",
                file=out,
            )
    if found.turned_away:
        print("  rejected and recycled, by MQL reason:", file=out)
        for reason, counts in sorted(found.turned_away.items()):
            top = ", ".join(f"{k} {n}" for k, n in counts.most_common(4))
            print(f"    {reason[:28]:<28} {top}", file=out)
    for tip in found.suggestions:
        print(f"  suggestion: {tip}", file=out)


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"
