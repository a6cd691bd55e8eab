"""The lead journey's data and the pure decisions taken at each of its steps.

The state machine passes a JourneyState from Task to Task; each Lambda validates it,
changes what its step owns and hands it on, so the whole journey is visible in the
execution history.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from leadflow.core.config import EngagementKind, SqlPolicy


class Decision(StrEnum):
    """The rep's controlled decision on an MQL."""

    ACCEPT = "accept"
    RECYCLE = "recycle"
    REJECT = "reject"


Outcome = Literal["open", "sal", "sql", "recycled", "rejected", "fallback"]
EscalationStepName = Literal["remind", "alert_manager", "reassign", "fallback"]
# What the next missed deadline leads to: a ladder step, the fallback queue, or (once the queue
# had its time too) recycling the lead for no response.
NextEscalation = Literal["remind", "alert_manager", "reassign", "fallback", "expire"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Assignment(_Model):
    """Who owns the lead now, and why (the rule, and a sentence a RevOps person can read)."""

    owner_id: str
    owner_email: str
    team: str
    rule: str
    why: str = ""


class Handoff(_Model):
    """The open request for a decision: the HubSpot task and the SLA deadline."""

    task_id: str
    due_at: datetime
    timeout_seconds: Annotated[int, Field(ge=1)]


class DecisionInput(_Model):
    """The rep's decision as it resumes the journey."""

    decision: Decision
    reason: str = ""
    decided_at: datetime
    automatic: bool = Field(default=False, description="taken by a deadline, not by a person")


class EngagementInput(_Model):
    """A sales engagement that qualifies the lead under its team's SQL policy."""

    kind: EngagementKind
    at: datetime


class Qualification(_Model):
    """The qualification window an accepted lead has to show a qualifying engagement in."""

    due_at: datetime
    timeout_seconds: Annotated[int, Field(ge=1)]


class Failure(_Model):
    """What went wrong, where: kept so a human can fix the cause and resume the journey."""

    state: str
    error: str
    cause: str
    at: datetime


class JourneyState(_Model):
    """Everything the journey carries from state to state."""

    journey_id: str
    contact_id: str
    mql_at: datetime
    score: int
    mql_reason: str
    fast_track: bool = False
    sql_policy: SqlPolicy = "engagement_required"
    direct_sql: bool = False
    escalations: int = 0
    next_escalation: NextEscalation = "fallback"
    assignment: Assignment | None = None
    handoff: Handoff | None = None
    decision: DecisionInput | None = None
    qualification: Qualification | None = None
    engagement: EngagementInput | None = None
    deal_id: str | None = None
    outcome: Outcome = "open"
    error: dict[str, str | None] | None = Field(
        default=None, description="what a Catch caught: Error, and Cause when the failure gave one"
    )
    failure: Failure | None = None


REASONS: Final[dict[Decision, tuple[str, ...]]] = {
    Decision.ACCEPT: (),
    Decision.REJECT: ("not_icp", "bad_data", "competitor", "student", "no_budget", "duplicate"),
    Decision.RECYCLE: ("not_ready", "bad_timing", "no_response"),
}


def reason_problem(decision: Decision, reason: str) -> str | None:
    """What is wrong with a decision's reason code, or None when the decision can be accepted."""
    allowed = REASONS[decision]
    if not allowed:
        return None
    if not reason:
        return f"a {decision.value} needs a reason: set 'Decision reason' to one of {', '.join(allowed)}"
    if reason not in allowed:
        return f"{reason!r} is not a {decision.value} reason: use one of {', '.join(allowed)}"
    return None


QUALIFYING: Final[dict[str, frozenset[str]]] = {
    "engagement_required": frozenset({"meeting_booked", "email_reply", "call_logged"}),
    "meeting_booked": frozenset({"meeting_booked"}),
}


def sql_path(policy: str, direct_sql: bool) -> str:
    """How a lead becomes an SQL: fast-tracked, or by its team's engagement rule.

    `fast_track` teams qualify their other leads like `engagement_required` ones.
    """
    if direct_sql:
        return "fast_track"
    return "engagement_required" if policy == "fast_track" else policy


def qualifies(policy: str, kind: str) -> bool:
    """Whether an engagement of this kind makes an accepted lead an SQL under the team's policy."""
    return kind in QUALIFYING.get(sql_path(policy, direct_sql=False), frozenset())


def scaled_wait(now: datetime, due_at: datetime, time_scale: float = 1.0) -> int:
    """Seconds to wait until `due_at`, compressed by `time_scale` (at least one second).

    A time scale of 3600 makes an hour pass in a second, which is how the local runtime
    lets a day-long SLA expire during a demo.
    """
    return max(1, round((due_at - now).total_seconds() / time_scale))


def execution_name(contact_id: str, mql_at: datetime) -> str:
    """The deterministic Step Functions execution name of a contact's journey for one MQL.

    The same MQL always maps to the same name, so a redelivered event cannot start a
    second journey (StartExecution is idempotent per name).
    """
    return f"lead-{contact_id}-{int(mql_at.timestamp())}"


def utcnow() -> datetime:
    """The current time, timezone-aware (one place to read the clock)."""
    return datetime.now(UTC)
