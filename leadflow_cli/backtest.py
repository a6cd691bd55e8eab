"""`leadflow backtest CSV`: run the MQL definition over a HubSpot contacts export.

It answers what RevOps asks before changing the definition: how many contacts pass each
gate, the tier mix, the top MQL reasons, and, when the export has lifecycle stages, how
the definition agrees with what sales actually accepted.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from leadflow.core.config import ConfigError, LeadflowConfig
from leadflow.core.scoring import Scorer
from leadflow.core.signals import Signal, parse_hubspot_time

# HubSpot exports name columns by property label; these are the default labels leadflow reads.
KNOWN_LABELS = {
    "record id": "hs_object_id",
    "email": "email",
    "first name": "firstname",
    "last name": "lastname",
    "company name": "company",
    "job title": "jobtitle",
    "industry": "industry",
    "country/region": "country",
    "country": "country",
    "number of employees": "numemployees",
    "lifecycle stage": "lifecyclestage",
    "lead status": "hs_lead_status",
    "recent conversion": "recent_conversion_event_name",
    "recent conversion date": "recent_conversion_date",
    "last page seen": "hs_analytics_last_url",
    "last visit": "hs_analytics_last_timestamp",
    "seniority": "hs_seniority",
    "buying role": "hs_buying_role",
    "create date": "createdate",
}
ACCEPTED_STAGES = frozenset({"salesqualifiedlead", "opportunity", "customer", "evangelist"})
# Exports write stage labels, the API writes internal values.
_STAGE_LABELS = {
    "subscriber": "subscriber",
    "lead": "lead",
    "marketing qualified lead": "marketingqualifiedlead",
    "sales qualified lead": "salesqualifiedlead",
    "opportunity": "opportunity",
    "customer": "customer",
    "evangelist": "evangelist",
    "other": "other",
}


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
        }
        if self.agreement:
            data["agreement"] = self.agreement_summary()
        return data

    def agreement_summary(self) -> dict[str, Any]:
        """Confusion counts, precision and recall of MQL against sales acceptance."""
        a = self.agreement
        both, mql_only, sales_only = a[(True, True)], a[(True, False)], a[(False, True)]
        neither = a[(False, False)]
        return {
            "mql_and_accepted": both,
            "mql_not_accepted": mql_only,
            "accepted_not_mql": sales_only,
            "neither": neither,
            "precision": round(both / (both + mql_only), 3) if both + mql_only else None,
            "recall": round(both / (both + sales_only), 3) if both + sales_only else None,
        }


def column_names(header: list[str], overrides: dict[str, str]) -> list[str]:
    """Internal property names for export columns: overrides, HubSpot's labels, else a normalised label."""
    names = []
    for label in header:
        key = label.strip().lower()
        names.append(
            overrides.get(label.strip())
            or KNOWN_LABELS.get(key)
            or re.sub(r"[^a-z0-9]+", "_", key).strip("_")
        )
    return names


def _rows(path: Path, overrides: dict[str, str]) -> tuple[int, Iterator[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        total = max(0, sum(1 for _ in handle) - 1)

    def generate() -> Iterator[dict[str, str]]:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            try:
                header = next(reader)
            except StopIteration:
                return
            names = column_names(header, overrides)
            for row in reader:
                yield dict(zip(names, row, strict=False))

    return total, generate()


def backtest(
    config: LeadflowConfig,
    path: Path,
    *,
    now: datetime,
    overrides: dict[str, str] | None = None,
    progress: bool = True,
) -> BacktestReport:
    """Score every row of an export; signals come from the configured signal properties."""
    if not path.is_file():
        raise ConfigError(f"cannot read {path}: no such file")
    scoring = config.scoring
    scorer = Scorer(scoring)
    report = BacktestReport()
    total, rows = _rows(path, overrides or {})
    for row in tqdm(rows, total=total, unit=" contacts", disable=not progress or total < 2000, leave=False):
        signals = []
        for name, spec in scoring.signal_properties.items():
            value = row.get(name)
            at = parse_hubspot_time(row.get(spec.at_property or "")) or parse_hubspot_time(
                row.get("createdate")
            )
            if value and at:
                signals.append(Signal(type=spec.signal, occurred_at=at, attributes={spec.attribute: value}))
        card = scorer.score(row, signals, now=now)
        report.contacts += 1
        report.tiers[card.tier] += 1
        for gate in ("fit", "intent", "recency"):
            report.gates[gate] += getattr(card.gates, gate)
        if card.disqualified_by:
            report.disqualified[card.disqualified_by] += 1
        if card.is_mql:
            report.mql += 1
            report.fast_track += card.fast_track
            top = next((h.rule for h in card.hits if h.kind == "intent" and h.points > 0), "")
            report.reasons[top or "fit only"] += 1
        stage = row.get("lifecyclestage", "").strip().lower()
        if stage:
            report.agreement[(card.is_mql, _STAGE_LABELS.get(stage, stage) in ACCEPTED_STAGES)] += 1
    return report


def _pct(part: int, whole: int) -> str:
    return f"{part:>7,} ({100 * part / whole:5.1f}%)" if whole else f"{part:>7,}"


def print_report(report: BacktestReport, out: TextIO) -> None:
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
    print("\n".join(lines), file=out)
