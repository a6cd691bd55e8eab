"""The durable record of one journey: its status, who owns it, what it decided and what it made.

The state machine carries the journey's working state (`journey_state.JourneyState`) from step
to step; this record is what outlives the execution, what a retried step reads back, and what
`leadflow journeys` and `leadflow report` are computed from. One definition here of every
status, of which statuses are still open, of each field, and of the execution name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field


class JourneyStatus(StrEnum):
    """Where a journey is. The last three end it; `failed` waits for a human to resume it."""

    ROUTED = "routed"
    AWAITING_DECISION = "awaiting_decision"
    ESCALATED = "escalated"
    FALLBACK = "fallback"
    SAL = "sal"
    FAILED = "failed"
    SQL = "sql"
    RECYCLED = "recycled"
    REJECTED = "rejected"

    @property
    def is_final(self) -> bool:
        """The journey has ended: nothing waits any more."""
        return self in FINAL_STATUSES

    @property
    def awaits_decision(self) -> bool:
        """Someone owes the lead an accept / recycle / reject decision."""
        return self in DECIDING_STATUSES


FINAL_STATUSES: Final = frozenset({JourneyStatus.SQL, JourneyStatus.RECYCLED, JourneyStatus.REJECTED})
DECIDING_STATUSES: Final = frozenset(
    {JourneyStatus.ROUTED, JourneyStatus.AWAITING_DECISION, JourneyStatus.ESCALATED, JourneyStatus.FALLBACK}
)


_DECIDED: Final = (JourneyStatus.SAL, JourneyStatus.REJECTED, JourneyStatus.RECYCLED)


def is_open(status: str | None) -> bool:
    """Whether a status (as HubSpot or the record holds it) means a journey is running.

    Empty means no journey yet; anything leadflow wrote that is not final is open, including a
    value this version does not know, so an unknown status never starts a second journey.
    """
    return bool(status) and status not in FINAL_STATUSES


WaitKind = Literal["decision", "engagement", "repair"]
# What a wait receives from outside and may be kept for it until it begins (a repair is resumed
# by a person, with nothing to keep).
InputKind = Literal["decision", "engagement"]


@dataclass(frozen=True, slots=True)
class JourneyKey:
    """Which journey: the contact and the execution name."""

    contact_id: str
    journey_id: str


def execution_name(contact_id: str, mql_at: datetime) -> str:
    """The deterministic Step Functions execution name of a contact's journey for one MQL.

    The same MQL always maps to the same name, so a redelivered event cannot start a
    second journey (StartExecution is idempotent per name).
    """
    return f"lead-{contact_id}-{int(mql_at.timestamp())}"


def _parts(journey_id: str) -> tuple[str, str]:
    prefix, contact_id, epoch = [*journey_id.split("-", 2), "", ""][:3]
    if prefix != "lead" or not contact_id or not epoch.isdigit():
        raise ValueError(f"{journey_id!r} is not a journey execution name")
    return contact_id, epoch


def contact_of(journey_id: str) -> str:
    """The contact an execution name belongs to (the inverse of `execution_name`)."""
    return _parts(journey_id)[0]


def mql_time(journey_id: str) -> datetime:
    """When the journey's contact became the MQL it is for (to the second), from its execution name."""
    return datetime.fromtimestamp(int(_parts(journey_id)[1]), tz=UTC)


class Reassignment(BaseModel):
    """The rep an escalation's reassignment picked, kept before any HubSpot write (empty: nobody)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    owner_id: str = ""
    owner_email: str = ""
    detail: str = Field("", description="the turn that chose them, or why nobody could take it")


class JourneyFields(BaseModel):
    """The fields a step writes on the record; each set field is written, the others are left alone."""

    model_config = ConfigDict(extra="forbid")

    mql_at: datetime | None = None
    owner_id: str | None = None
    owner_email: str | None = None
    team: str | None = None
    rule: str | None = None
    why: str | None = None
    sql_policy: str | None = None
    task_id: str | None = None
    sla_due_at: datetime | None = None
    escalations: Annotated[int, Field(ge=0)] | None = None
    step: str | None = None
    decision: str | None = None
    reason: str | None = None
    decided_by: Literal["owner", "deadline"] | None = None
    qualification_due_at: datetime | None = None
    deal_id: str | None = None
    lead_id: str | None = None
    sql_path: str | None = None
    engagement: str | None = None
    failed_state: str | None = None
    error: str | None = None
    cause: str | None = None
    # What scoring said of the lead when it became an MQL (`leadflow report` calibrates from them).
    score: int | None = None
    tier: str | None = None
    persona: str | None = None
    mql_reason: str | None = None
    # The turn of the team's rotation that routed the lead (none for an account match): its number,
    # whose turn it was by weight, how the owner got it (`Turn.pick`), and who was passed over (JSON,
    # email -> cause). `leadflow report` keeps the fairness ledger from them.
    turn: int | None = None
    turn_of: str | None = None
    pick: str | None = None
    skipped: str | None = None
    # Set when HubSpot's daily API quota ran out under a step: it is retried once the quota resets.
    parked_until: datetime | None = None
    # Kept per escalation count, so a retried step reuses what the first attempt made.
    tasks: dict[int, str] = Field(default_factory=dict, description="escalation count -> task id")
    reassignments: dict[int, Reassignment] = Field(default_factory=dict)


class JourneyRecord(JourneyFields):
    """A journey as the store holds it."""

    contact_id: str
    journey_id: str
    status: JourneyStatus | None = Field(default=None, description="None until Route records it")
    reached: dict[JourneyStatus, datetime] = Field(
        default_factory=dict, description="the first time the journey reached each status"
    )
    updated_at: datetime | None = None
    task_token: str | None = None
    waiting_for: WaitKind | None = None
    token_expires: float | None = Field(default=None, description="epoch seconds; None: never")
    pending_decision: str | None = None
    pending_engagement: str | None = None
    callbacks: frozenset[str] = Field(
        default_factory=frozenset, description="blocked workflow actions to complete when the journey ends"
    )

    @property
    def key(self) -> JourneyKey:
        """The key this record is stored under."""
        return JourneyKey(self.contact_id, self.journey_id)

    @property
    def skipped_causes(self) -> dict[str, str]:
        """Who the routing turn passed over, and why (cause codes), by email."""
        found = json.loads(self.skipped) if self.skipped else {}
        return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}

    @property
    def decided_at(self) -> datetime | None:
        """When a person decided (accepted, recycled or rejected), or None: undecided, fast-tracked,
        or recycled by a deadline before anyone accepted."""
        if self.decided_by == "deadline" and JourneyStatus.SAL not in self.reached:
            return None
        return next((self.reached[s] for s in _DECIDED if s in self.reached), None)

    def stuck(self, now: datetime) -> bool:
        """Still owed a decision after its SLA deadline."""
        return bool(self.status and self.status.awaits_decision and self.sla_due_at and self.sla_due_at < now)

    def parked(self, now: datetime) -> bool:
        """A step waits for HubSpot's daily API quota to reset."""
        return bool(self.parked_until and self.parked_until > now)

    @property
    def began_at(self) -> datetime | None:
        """When the contact became the MQL the journey is for: the record's, else its execution name's (a
        journey that failed before Route recorded it still has one)."""
        if self.mql_at is not None:
            return self.mql_at
        try:
            return mql_time(self.journey_id)
        except ValueError:
            return None

    def age_hours(self, now: datetime) -> float:
        """Hours since the contact became an MQL."""
        began = self.began_at
        return (now - began).total_seconds() / 3600 if began else 0.0
