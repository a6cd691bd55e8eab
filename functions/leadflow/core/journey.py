"""The lead journey's data and the pure decisions taken at each of its steps.

The state machine passes a JourneyState from Task to Task; each Lambda validates it,
changes what its step owns and hands it on, so the whole journey is visible in the
execution history.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class Decision(StrEnum):
    """The rep's controlled decision on an MQL."""

    ACCEPT = "accept"
    RECYCLE = "recycle"
    REJECT = "reject"


class Assignment(BaseModel):
    """Who owns the lead now, and why."""

    model_config = ConfigDict(extra="forbid")

    owner_id: str
    owner_email: str
    team: str
    rule: str


class Handoff(BaseModel):
    """The open request for a decision: the HubSpot task and the SLA deadline."""

    model_config = ConfigDict(extra="forbid")

    task_id: str
    due_at: datetime
    timeout_seconds: Annotated[int, Field(ge=1)]


class DecisionInput(BaseModel):
    """The rep's decision as it resumes the journey."""

    model_config = ConfigDict(extra="forbid")

    decision: Decision
    reason: str = ""
    decided_at: datetime


class JourneyState(BaseModel):
    """Everything the journey carries from state to state."""

    model_config = ConfigDict(extra="forbid")

    journey_id: str
    contact_id: str
    mql_at: datetime
    score: int
    mql_reason: str
    escalations: int = 0
    max_escalations: int
    sla_hours: float
    assignment: Assignment | None = None
    handoff: Handoff | None = None
    decision: DecisionInput | None = None
    outcome: Literal["open", "sal", "recycled", "rejected", "fallback"] = "open"


def execution_name(contact_id: str, mql_at: datetime) -> str:
    """The deterministic Step Functions execution name of a contact's journey for one MQL.

    The same MQL always maps to the same name, so a redelivered event cannot start a
    second journey (StartExecution is idempotent per name).
    """
    return f"lead-{contact_id}-{int(mql_at.timestamp())}"


def sla_deadline(start: datetime, hours: float, time_scale: float = 1.0) -> tuple[datetime, int]:
    """The SLA deadline and the wait in seconds from `start`, with time compressed by `time_scale`.

    A time scale of 3600 makes an hour pass in a second, which is how the local runtime
    lets a day-long SLA expire during a demo.
    """
    seconds = max(1, round(hours * 3600 / time_scale))
    return start + timedelta(seconds=seconds), seconds


def next_in_rotation(members: list[str], cursor: int) -> str:
    """The member a round-robin cursor points at (the cursor counts assignments from 1)."""
    if not members:
        raise ValueError("cannot rotate over an empty team")
    return members[(cursor - 1) % len(members)]


def utcnow() -> datetime:
    """The current time, timezone-aware (one place to read the clock)."""
    return datetime.now(UTC)
