"""The SLA clock and its escalation ladder: when a decision falls due, and what each missed deadline leads to.

Pure rules over the configuration's `sla` section. The journey's steps (HandOff, every rung of
the ladder, the fallback owner) and `leadflow replay` read their deadlines from here.
"""

from __future__ import annotations

from datetime import datetime

from leadflow.core.calendar import WorkCalendar
from leadflow.core.clock import seconds_until
from leadflow.core.config import SlaConfig
from leadflow.core.journey_state import NextEscalation


def deadline(calendar: WorkCalendar, now: datetime, hours: float) -> tuple[datetime, int]:
    """The due time `hours` of working time after `now`, and the seconds the wait until it lasts."""
    due = calendar.add_business_hours(now, hours)
    return due, seconds_until(now, due)


def next_escalation(sla: SlaConfig, taken: int) -> NextEscalation:
    """What the next missed deadline leads to after `taken` escalations: a ladder step or the fallback."""
    ladder = sla.escalation
    return ladder[taken].step if taken < len(ladder) else "fallback"


def step_hours(sla: SlaConfig, taken: int) -> float:
    """How long the wait after the `taken`-th escalation lasts (in the owner's business hours).

    A ladder shortened while journeys were on it gives its last step's hours (or the decision
    hours when it is now empty) instead of failing those journeys.
    """
    ladder = sla.escalation
    if not ladder:
        return sla.decision_hours
    return ladder[min(taken, len(ladder)) - 1].hours


def fallback_deadline(sla: SlaConfig, now: datetime) -> tuple[datetime, int]:
    """When the fallback owner's time to decide runs out: `sla.fallback_days` around the clock."""
    return deadline(WorkCalendar.of(None), now, sla.fallback_days * 24)
