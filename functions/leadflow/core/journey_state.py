"""The journey's working state: what the state machine carries from Task to Task.

Each Lambda validates it, changes what its step owns and hands it on, so the whole journey
is visible in the execution history. What outlives the execution is the journey record
(`journey_record`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from leadflow.core.config import EngagementKind, SqlPolicy
from leadflow.core.decisions import Decision
from leadflow.core.journey_record import JourneyKey
from leadflow.core.routing import Owner

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

    @classmethod
    def of(cls, owner: Owner, team: str, rule: str, why: str) -> Assignment:
        """The assignment of a lead to a HubSpot owner."""
        return cls(owner_id=owner.id, owner_email=owner.email, team=team, rule=rule, why=why)


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


# Step Functions ends a Standard execution after a year, uncatchably
# (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html); a journey waiting for a
# repair gives up a day before, through its own Catch.
EXECUTION_LIMIT: Final = timedelta(days=365)
REPAIR_MARGIN: Final = timedelta(days=1)


class Failure(_Model):
    """What went wrong, where: kept so a human can fix the cause and resume the journey."""

    state: str
    error: str
    cause: str
    at: datetime
    repair_timeout_seconds: Annotated[int, Field(ge=1)] = Field(
        description="how long the journey waits for a repair: until a day before its execution's year ends"
    )

    @staticmethod
    def repair_timeout(started_at: datetime, now: datetime) -> int:
        """Seconds from `now` until a day before the execution that started at `started_at` reaches
        Step Functions' one-year limit (at least one)."""
        return max(1, int((started_at + EXECUTION_LIMIT - REPAIR_MARGIN - now).total_seconds()))


class JourneyState(_Model):
    """Everything the journey carries from state to state."""

    journey_id: str
    contact_id: str
    mql_at: datetime
    score: int
    mql_reason: str
    fast_track: bool = False
    lead_properties: dict[str, str | None] | None = Field(
        default=None,
        description="the contact properties routing reads, as the lead intake read them when it started "
        "the journey; Route reads HubSpot only when a journey starts without them",
    )
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
    lead_id: str | None = Field(
        default=None, description="the HubSpot Lead, for a team that hands off on leads"
    )
    outcome: Outcome = "open"
    error: dict[str, str | None] | None = Field(
        default=None, description="what a Catch caught: Error, and Cause when the failure gave one"
    )
    failure: Failure | None = None

    @property
    def key(self) -> JourneyKey:
        """The journey record's key."""
        return JourneyKey(self.contact_id, self.journey_id)
