"""`leadflow backtest CSV`: run the MQL definition over a HubSpot contacts export.

It answers what RevOps asks before changing the definition: how many contacts pass each gate,
which rules fire and how often, how the scores spread, the tier mix, the top MQL reasons and,
when the export has lifecycle stages, how the definition agrees with what sales accepted. With
`--compare` it scores the export under a second definition and lists what changes lead by lead;
with `--sweep` it shows the MQL count (and agreement) at each threshold of a gate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TextIO

from tqdm import tqdm

from leadflow.core.config import ConfigError, LeadflowConfig
from leadflow.core.lifecycle import Prop
from leadflow.core.scoring import ScoreCard, Scorer
from leadflow_cli.hubspot_export import ID, ExportProblems, HubSpotExport, signals_of

ACCEPTED_STAGES = frozenset({"salesqualifiedlead", "opportunity", "customer", "evangelist"})
BAND = 10  # points per band of the score distribution
Gate = Literal["fit", "intent"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one definition concludes about one contact (what a comparison and a sweep need)."""

    contact: str
    email: str
    fit: int
    intent: int
    tier: str
    fit_gate: bool
    intent_gate: bool
    recent: bool
    disqualified_by: str
    is_mql: bool
    reason: str
    accepted: bool | None  # sales accepted it (by its lifecycle stage); None: the export has no stage

    def passes(self, fit_threshold: int, intent_threshold: int) -> bool:
        """Whether it would be an MQL with these gate thresholds (everything else the same)."""
        return (
            not self.disqualified_by
            and self.recent
            and self.fit >= fit_threshold
            and self.intent >= intent_threshold
        )


def verdict(row: dict[str, str], card: ScoreCard) -> Verdict:
    """The verdict of a score card on an export row."""
    stage = (row.get(Prop.LIFECYCLE) or "").strip().lower()
    return Verdict(
        contact=row.get(ID, ""),
        email=row.get("email", ""),
        fit=card.fit,
        intent=card.intent,
        tier=card.tier,
        fit_gate=card.gates.fit,
        intent_gate=card.gates.intent,
        recent=card.gates.recency,
        disqualified_by=card.disqualified_by,
        is_mql=card.is_mql,
        reason=card.trigger,
        accepted=(stage in ACCEPTED_STAGES) if stage else None,
    )


@dataclass
class BacktestReport:
    """What the definition concludes over an export."""

    contacts: int = 0
    gates: Counter[str] = field(default_factory=Counter)
    disqualified: Counter[str] = field(default_factory=Counter)
    tiers: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    mql: int = 0
    fast_track: int = 0
    # (predicted MQL, sales accepted) -> count, only for rows with a lifecycle stage
    agreement: Counter[tuple[bool, bool]] = field(default_factory=Counter)
    # rule -> contacts it scored for (any sign), and the MQLs among them
    rule_hits: Counter[str] = field(default_factory=Counter)
    rule_hits_mql: Counter[str] = field(default_factory=Counter)
    # lower bound of a BAND-point band of the total score -> contacts
    scores: Counter[int] = field(default_factory=Counter)
    verdicts: list[Verdict] = field(default_factory=list)
    problems: ExportProblems = field(default_factory=ExportProblems)

    def add(self, card: ScoreCard, found: Verdict) -> None:
        """Count one contact's score card."""
        self.contacts += 1
        self.tiers[card.tier] += 1
        for gate in ("fit", "intent", "recency"):
            self.gates[gate] += getattr(card.gates, gate)
        if card.disqualified_by:
            self.disqualified[card.disqualified_by] += 1
        for hit in card.hits:
            self.rule_hits[hit.rule] += 1
            self.rule_hits_mql[hit.rule] += card.is_mql
        self.scores[(card.total // BAND) * BAND] += 1
        if card.is_mql:
            self.mql += 1
            self.fast_track += card.fast_track
            self.reasons[found.reason] += 1
        if found.accepted is not None:
            self.agreement[(card.is_mql, found.accepted)] += 1
        self.verdicts.append(found)

    def as_json(self) -> dict[str, Any]:
        """The report as plain JSON."""
        data: dict[str, Any] = {
            "contacts": self.contacts,
            "mql": self.mql,
            "fast_track": self.fast_track,
            "gates": dict(self.gates),
            "disqualified": dict(self.disqualified),
            "tiers": {t: self.tiers.get(t, 0) for t in "ABC"},
            "top_reasons": self.reasons.most_common(5),
            "rules": {
                rule: {"contacts": n, "mqls": self.rule_hits_mql[rule]}
                for rule, n in self.rule_hits.most_common()
            },
            "score_distribution": {str(band): n for band, n in sorted(self.scores.items())},
            "export": self.problems.as_json(),
        }
        if self.agreement:
            data["agreement"] = self.agreement_summary()
        return data

    def agreement_summary(self) -> dict[str, Any]:
        """Confusion counts, precision and recall of MQL against sales acceptance."""
        return agreement(self.agreement)


def agreement(counts: Counter[tuple[bool, bool]]) -> dict[str, Any]:
    """Confusion counts, precision and recall of (predicted MQL, sales accepted) pairs."""
    both, mql_only, sales_only = counts[(True, True)], counts[(True, False)], counts[(False, True)]
    return {
        "mql_and_accepted": both,
        "mql_not_accepted": mql_only,
        "accepted_not_mql": sales_only,
        "neither": counts[(False, False)],
        "precision": round(both / (both + mql_only), 3) if both + mql_only else None,
        "recall": round(both / (both + sales_only), 3) if both + sales_only else None,
    }


def scored_rows(
    configs: list[LeadflowConfig], export: HubSpotExport, now: datetime, progress: bool
) -> Iterator[tuple[dict[str, str], list[ScoreCard]]]:
    """Each row of the export with its score card under each configuration (read once, scored by all)."""
    scorers = [(Scorer(c.scoring), c.scoring) for c in configs]
    rows = tqdm(
        export.rows(),
        total=export.total,
        unit=" contacts",
        disable=not progress or export.total < 2000,
        leave=False,
    )
    for row in rows:
        yield row, [scorer.score(row, signals_of(row, scoring), now=now) for scorer, scoring in scorers]


def backtest(
    configs: list[LeadflowConfig], export: HubSpotExport, *, now: datetime, progress: bool = True
) -> list[BacktestReport]:
    """Score every row of an export under each configuration (the first is the one under test)."""
    reports = [BacktestReport(problems=export.problems) for _ in configs]
    for row, cards in scored_rows(configs, export, now, progress):
        for report, card in zip(reports, cards, strict=True):
            report.add(card, verdict(row, card))
    return reports


@dataclass(frozen=True)
class Change:
    """One contact the two definitions disagree on."""

    contact: str
    email: str
    before: str
    after: str


def changes(before: BacktestReport, after: BacktestReport) -> list[Change]:
    """The contacts whose MQL status or tier differs between two definitions, lead by lead."""
    found = []
    for a, b in zip(before.verdicts, after.verdicts, strict=True):
        if (a.is_mql, a.tier) != (b.is_mql, b.tier):
            found.append(Change(a.contact, a.email, _status(a), _status(b)))
    return found


def _status(v: Verdict) -> str:
    if v.is_mql:
        return f"MQL tier {v.tier} ({v.reason})"
    why = (
        f"disqualified ({v.disqualified_by})"
        if v.disqualified_by
        else ", ".join(
            f"{gate} gate"
            for gate, ok in (("fit", v.fit_gate), ("intent", v.intent_gate), ("recency", v.recent))
            if not ok
        )
    )
    return f"not MQL tier {v.tier}" + (f": {why}" if why else "")


def sweep(
    report: BacktestReport, config: LeadflowConfig, gate: Gate, thresholds: list[int]
) -> list[dict[str, Any]]:
    """The MQL count (and agreement with sales) at each threshold of one gate, the other unchanged."""
    fit, intent = config.scoring.fit.threshold, config.scoring.intent.threshold
    rows = []
    for t in thresholds:
        counts: Counter[tuple[bool, bool]] = Counter()
        mqls = 0
        for v in report.verdicts:
            passed = v.passes(t, intent) if gate == "fit" else v.passes(fit, t)
            mqls += passed
            if v.accepted is not None:
                counts[(passed, v.accepted)] += 1
        row: dict[str, Any] = {"threshold": t, "mql": mqls}
        if counts:
            summary = agreement(counts)
            row |= {"precision": summary["precision"], "recall": summary["recall"]}
        rows.append(row)
    return rows


def sweep_range(config: LeadflowConfig, gate: Gate, spec: str | None) -> list[int]:
    """Thresholds to sweep: `low:high[:step]`, or by default from half to twice the configured one."""
    current = config.scoring.fit.threshold if gate == "fit" else config.scoring.intent.threshold
    if spec:
        try:
            parts = [int(p) for p in spec.split(":")]
        except ValueError:
            raise ConfigError(f"--range {spec!r}: write LOW:HIGH or LOW:HIGH:STEP in points") from None
        if len(parts) not in (2, 3) or parts[0] > parts[1]:
            raise ConfigError(f"--range {spec!r}: write LOW:HIGH or LOW:HIGH:STEP, LOW not above HIGH")
        low, high, step = (*parts, 5)[:3]
    else:
        step = max(1, current // 5) if current else 5
        low, high = max(0, current // 2), max(current * 2, current + 4 * step)
    return list(range(low, high + 1, max(1, step)))


def _pct(part: int, whole: int) -> str:
    return f"{part:>7,} ({100 * part / whole:5.1f}%)" if whole else f"{part:>7,}"


def print_report(report: BacktestReport, out: TextIO, *, rules: int = 12) -> None:
    """A readable report."""
    n = report.contacts
    lines = [
        f"contacts           {n:>7,}",
        f"pass fit gate      {_pct(report.gates['fit'], n)}",
        f"pass intent gate   {_pct(report.gates['intent'], n)}",
        f"pass recency gate  {_pct(report.gates['recency'], n)}",
        f"disqualified       {_pct(sum(report.disqualified.values()), n)}  "
        + ", ".join(f"{k} {v}" for k, v in report.disqualified.most_common()),
        f"MQL                {_pct(report.mql, n)}  (fast track {report.fast_track})",
        "tiers              " + "  ".join(f"{t} {_pct(report.tiers.get(t, 0), n).strip()}" for t in "ABC"),
        "top MQL reasons    " + ", ".join(f"{k} {v}" for k, v in report.reasons.most_common(5)),
    ]
    if report.agreement:
        s = report.agreement_summary()
        lines += [
            "against sales acceptance (SQL, opportunity or customer in the export):",
            f"  MQL and accepted {s['mql_and_accepted']:,}   MQL not accepted {s['mql_not_accepted']:,}   "
            f"accepted without MQL {s['accepted_not_mql']:,}   neither {s['neither']:,}",
            f"  precision {s['precision']}   recall {s['recall']}",
        ]
    lines.append("rules (contacts they scored for; of them MQLs):")
    for rule, hits in report.rule_hits.most_common(rules):
        lines.append(f"  {rule:<24} {_pct(hits, n)}   {report.rule_hits_mql[rule]:>7,} MQL")
    lines.append(f"score distribution (fit + intent, bands of {BAND}):")
    widest = max(report.scores.values(), default=1)
    for band, count in sorted(report.scores.items()):
        bar = "#" * max(1, round(40 * count / widest))
        lines.append(f"  {band:>5} - {band + BAND - 1:<5} {count:>7,} {bar}")
    problems = report.problems.lines()
    if problems:
        lines.append("export:")
        lines += [f"  {p}" for p in problems]
    print("\n".join(lines), file=out)


def print_changes(before: BacktestReport, after: BacktestReport, out: TextIO, *, limit: int = 25) -> None:
    """What a second definition changes: the counts, then lead by lead."""
    found = changes(before, after)
    gained = sum(1 for c in found if c.after.startswith("MQL") and not c.before.startswith("MQL"))
    lost = sum(1 for c in found if c.before.startswith("MQL") and not c.after.startswith("MQL"))
    print(
        f"compared: MQL {before.mql:,} -> {after.mql:,}; {gained:,} become MQLs, {lost:,} no longer are, "
        f"{len(found) - gained - lost:,} change tier",
        file=out,
    )
    for c in found[:limit]:
        print(f"  {c.contact:<10} {c.email:<32} {c.before}  ->  {c.after}", file=out)
    if len(found) > limit:
        print(f"  ... and {len(found) - limit:,} more (--json lists them all)", file=out)


def print_sweep(gate: str, rows: list[dict[str, Any]], current: int, out: TextIO) -> None:
    """The sweep as a table."""
    print(f"{gate} threshold sweep:", file=out)
    for row in rows:
        mark = "  <- now" if row["threshold"] == current else ""
        quality = f"   precision {row['precision']}   recall {row['recall']}" if "precision" in row else ""
        print(f"  {row['threshold']:>5}  MQL {row['mql']:>7,}{quality}{mark}", file=out)
