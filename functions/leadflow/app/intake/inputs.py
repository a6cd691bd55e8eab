"""A rep's decision and a sales engagement, handed to the journey that waits for them.

An input is kept on the journey record first, then whatever token is waiting is claimed: a
wait registers its token and reads the kept input in one atomic update, so one side always
sees the other, and the claim (a conditional delete) lets only one of them resume the wait.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from leadflow.app.intake.starts import latest_journey_of
from leadflow.app.ports import HubSpot, JourneyEngine, JourneyStore, Properties
from leadflow.core.clock import Clock
from leadflow.core.config import EngagementKind
from leadflow.core.decisions import Decision, qualifies, reason_problem
from leadflow.core.journey_record import InputKind, JourneyRecord, JourneyStatus, is_open, mql_time
from leadflow.core.journey_state import DecisionInput, EngagementInput
from leadflow.core.lifecycle import Prop
from leadflow.observability import logger


class Delivered(StrEnum):
    """What became of an input."""

    RESUMED = "resumed"  # a wait took it
    KEPT = "kept"  # kept for the next wait of its kind
    REFUSED = "refused"  # not taken; the rep got a note saying why
    IGNORED = "ignored"  # nothing to do (already taken, stale, or no journey)


class JourneyInputs:
    """Delivers decisions and engagements to the contacts' journeys."""

    def __init__(self, hubspot: HubSpot, journeys: JourneyStore, engine: JourneyEngine, clock: Clock) -> None:
        self._hubspot = hubspot
        self._journeys = journeys
        self._engine = engine
        self._clock = clock

    def _deliver(self, record: JourneyRecord, kind: InputKind, payload: str) -> Delivered:
        for _ in range(3):
            token = self._journeys.park(record.key, kind, payload, self._clock().timestamp())
            if not token or not self._journeys.claim_task_token(record.key, token):
                return Delivered.KEPT
            try:
                resumed = self._engine.resume(token, payload)
            except Exception:
                # Throttled or unreachable: the wait goes on, so its token goes back for the redelivery of
                # this input to claim (kept alone, the input would wait for the deadline's escalation).
                self._journeys.restore_task_token(record.key, token)
                raise
            if resumed:
                return Delivered.RESUMED
            # That wait had already timed out; the next wait of this kind takes the input.
        return Delivered.KEPT

    def decision(self, contact_id: str, props: Properties, decided_at: datetime) -> Delivered:
        """The decision on the contact (as read now: a reason set after the decision completes it)."""
        value = (props.get(Prop.DECISION) or "").strip().lower()
        reason = (props.get(Prop.DECISION_REASON) or "").strip().lower()
        decision = _decision(contact_id, value)
        record = latest_journey_of(self._journeys, contact_id, props) if decision else None
        if decision is None or record is None:
            return Delivered.IGNORED
        return self.decide(record, decision, reason, decided_at)

    def decide(
        self,
        record: JourneyRecord,
        decision: Decision,
        reason: str,
        decided_at: datetime,
        lead_id: str | None = None,
    ) -> Delivered:
        """A decision for the journey, unless it is stale, taken already or not takeable (said in a note
        on the contact's timeline, and the lead's when the rep decided on one)."""
        if _stale(record, decided_at) or _already_taken(record, decision, reason):
            # Set before the journey began, or the decision it already took (a late or second webhook).
            return Delivered.IGNORED
        refusal = _refusal(record, decision, reason)
        if refusal is not None:
            self.note(record.contact_id, refusal, lead_id)
            return Delivered.REFUSED
        payload = DecisionInput(decision=decision, reason=reason, decided_at=decided_at)
        delivered = self._deliver(record, "decision", payload.model_dump_json())
        if record.status is JourneyStatus.FAILED and delivered is Delivered.KEPT:
            # Nothing waits for it while the journey waits for a repair: the rep hears why nothing happens.
            self._hubspot.create_note(
                record.contact_id, f"leadflow: {_held(record, decision)}.", self._clock(), lead_id
            )
            logger.info("decision held for a failed journey", contact_id=record.contact_id)
        return delivered

    def note(self, contact_id: str, refusal: str, lead_id: str | None = None) -> None:
        """Tell the rep, where they look, why what they did was not taken."""
        self._hubspot.create_note(contact_id, f"leadflow: {refusal}.", self._clock(), lead_id)
        logger.info("decision refused", contact_id=contact_id, problem=refusal)

    def engagement(
        self, contact_id: str, props: Properties, kind: EngagementKind, at: datetime, changed: datetime
    ) -> Delivered:
        """A sales engagement at `at` (stamped on the contact at `changed`), for the contact's open journey
        if its team's SQL policy counts it."""
        record = latest_journey_of(self._journeys, contact_id, props)
        if record is None or not is_open(record.status) or _stale(record, changed):
            return Delivered.IGNORED
        if not qualifies(record.sql_policy or "engagement_required", kind):
            logger.info(
                "engagement does not qualify under the team's policy", contact_id=contact_id, kind=kind
            )
            return Delivered.IGNORED
        return self._deliver(record, "engagement", EngagementInput(kind=kind, at=at).model_dump_json())


def _stale(record: JourneyRecord, at: datetime) -> bool:
    """An input set before the journey began (a workflow sending an old value again) is not for it."""
    began = record.mql_at or mql_time(record.journey_id)
    return at.replace(microsecond=0) < began.replace(microsecond=0)


def _decision(contact_id: str, value: str) -> Decision | None:
    if not value:
        return None
    try:
        return Decision(value)
    except ValueError:
        logger.warning("ignoring unknown decision value", contact_id=contact_id, value=value)
        return None


def _already_taken(record: JourneyRecord, decision: Decision, reason: str) -> bool:
    return (record.decision, record.reason or "") == (decision.value, reason) or (
        record.status is JourneyStatus.SAL and decision is Decision.ACCEPT
    )


def _held(record: JourneyRecord, decision: Decision) -> str:
    """What the rep is told of a decision on a journey that failed and waits for a repair."""
    return (
        f"decision {decision.value!r} kept, not applied yet: this lead's journey stopped at "
        f"{record.failed_state or 'a step'} ({record.error or 'an error'}) and waits for an admin to repair "
        "it; it takes the decision once resumed"
    )


def _refusal(record: JourneyRecord, decision: Decision, reason: str) -> str | None:
    """Why a decision cannot be taken (said on the contact's timeline, where the rep looks), or None."""
    status = record.status
    if status is not None and status.is_final:
        return f"decision {decision.value!r} not applied: this lead's journey has ended ({status.value})"
    if status is JourneyStatus.SAL:
        due = record.qualification_due_at.isoformat()[:16] if record.qualification_due_at else "?"
        return (
            f"decision {decision.value!r} not applied: the lead is accepted already and waits for a "
            f"qualifying engagement until {due}; without one it is recycled for no response"
        )
    problem = reason_problem(decision, reason)
    # The journey keeps waiting; the rep learns on the contact's timeline what is missing.
    return f"decision not accepted yet: {problem}" if problem else None
