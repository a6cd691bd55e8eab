"""`leadflow report`: the handoff funnel from the journey records.

Speed-to-lead, acceptance rate, SLA compliance and SQL rate, overall and per team, computed
from the times each journey first reached each status (`at_<status>` on its record).
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TextIO

from leadflow.core.journey_record import JourneyRecord, JourneyStatus


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


@dataclass(frozen=True)
class Funnel:
    """The funnel of a set of journeys. Rates are None when there is nothing to divide by."""

    mqls: int
    open: int
    decided: int
    accepted: int
    acceptance_rate: float | None
    decided_within_sla: int
    sla_compliance: float | None
    speed_to_lead_minutes_p50: float | None
    speed_to_lead_minutes_p90: float | None
    sql: int
    sql_rate: float | None
    sql_by_path: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    on_leads: int = 0  # journeys handed off on a HubSpot Lead


def funnel(rows: Iterable[JourneyRecord]) -> Funnel:
    """Speed-to-lead, acceptance and SLA compliance over the rep's decisions; SQL rate over closed journeys.

    SLA compliance counts a decision taken before any escalation as met, and a lead that
    reached the fallback queue with nobody deciding as missed; fast-tracked SQLs had no
    decision to make and count in neither.
    """
    rows = list(rows)
    minutes = []
    decided = accepted = within_sla = unanswered = 0
    for row in rows:
        at = row.decided_at
        if at is None:
            unanswered += JourneyStatus.FALLBACK in row.reached
            continue
        decided += 1
        accepted += JourneyStatus.SAL in row.reached
        within_sla += not row.escalations
        if row.mql_at:
            minutes.append((at - row.mql_at).total_seconds() / 60)
    statuses = Counter(r.status for r in rows if r.status)
    closed = sum(n for s, n in statuses.items() if s.is_final)
    return Funnel(
        mqls=len(rows),
        open=len(rows) - closed,
        decided=decided,
        accepted=accepted,
        acceptance_rate=_ratio(accepted, decided),
        decided_within_sla=within_sla,
        sla_compliance=_ratio(within_sla, decided + unanswered),
        speed_to_lead_minutes_p50=round(statistics.median(minutes), 1) if minutes else None,
        speed_to_lead_minutes_p90=round(_p90(minutes), 1) if minutes else None,
        sql=statuses.get(JourneyStatus.SQL, 0),
        sql_rate=_ratio(statuses.get(JourneyStatus.SQL, 0), closed),
        sql_by_path=dict(
            sorted(Counter(r.sql_path or "" for r in rows if r.status is JourneyStatus.SQL).items())
        ),
        outcomes=dict(sorted((s.value, n) for s, n in statuses.items() if s.is_final)),
        on_leads=sum(1 for r in rows if r.lead_id),
    )


def _p90(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def report(rows: Iterable[JourneyRecord]) -> dict[str, Funnel]:
    """The funnel of every journey ("all") and of each team's."""
    rows = list(rows)
    teams = sorted({r.team for r in rows if r.team})
    return {"all": funnel(rows), **{team: funnel(r for r in rows if r.team == team) for team in teams}}


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def _minutes(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 1:
        return f"{value * 60:.0f} s"
    return f"{value:.0f} min" if value < 120 else f"{value / 60:.1f} h"


def print_report(funnels: dict[str, Funnel], out: TextIO, as_json: bool) -> None:
    """The funnel for people (one line per team), or JSON for scripts."""
    if as_json:
        print(json.dumps({name: asdict(f) for name, f in funnels.items()}), file=out)
        return
    total = funnels["all"]
    print(
        f"MQL journeys {total.mqls} (open {total.open}; on HubSpot Leads {total.on_leads}); outcomes "
        + (", ".join(f"{k} {v}" for k, v in total.outcomes.items()) or "none yet"),
        file=out,
    )
    print(
        f"  accepted {total.accepted} of {total.decided} decided ({_pct(total.acceptance_rate)}); "
        f"speed to lead median {_minutes(total.speed_to_lead_minutes_p50)}, "
        f"p90 {_minutes(total.speed_to_lead_minutes_p90)}; SLA met {_pct(total.sla_compliance)}; "
        f"SQL {total.sql} ({_pct(total.sql_rate)} of closed: "
        + (", ".join(f"{k} {v}" for k, v in total.sql_by_path.items()) or "none")
        + ")",
        file=out,
    )
    header = f"  {'team':<14} {'MQLs':>5} {'open':>5} {'accepted':>9} {'SLA met':>8} {'SQL':>5}"
    print(f"{header} {'median speed':>13} {'leads':>6}", file=out)
    for name, f in funnels.items():
        if name == "all":
            continue
        print(
            f"  {name:<14} {f.mqls:>5} {f.open:>5} {_pct(f.acceptance_rate):>9} {_pct(f.sla_compliance):>8} "
            f"{f.sql:>5} {_minutes(f.speed_to_lead_minutes_p50):>13} {f.on_leads:>6}",
            file=out,
        )
