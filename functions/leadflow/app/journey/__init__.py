"""The journey's steps: each Task state of the lead journey runs one of them.

Every step takes the JourneyState, does its HubSpot and store work through the ports, and
returns the state with its own part filled in. Steps are safe to retry: Step Functions
retries them on HubSpot rate limits and outages. The steps are grouped by concern:
`assignment` (Route, HandOff), `handoffs` (HandOff batched across journeys), `waits`,
`escalation` (the ladder and the fallback owner), `outcomes` (SAL, SQL, recycle, reject) and
`failure`, over one `StepContext`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from leadflow.app.journey import assignment, escalation, failure, handoffs, outcomes, waits
from leadflow.app.journey.context import RoutingError, StepContext
from leadflow.app.ports import EventQueue, HubSpot, JourneyEngine, JourneyStore, Notifier, RoutingLedger
from leadflow.core.clock import Clock, utcnow
from leadflow.core.config import LeadflowConfig
from leadflow.core.journey_record import WaitKind
from leadflow.core.journey_state import EscalationStepName, JourneyState

__all__ = ["JourneySteps", "RoutingError", "StepContext"]


class JourneySteps:
    """The use cases behind the journey's Task states, one method per state."""

    def __init__(
        self,
        config: LeadflowConfig,
        hubspot: HubSpot,
        store: JourneyStore,
        ledger: RoutingLedger,
        engine: Callable[[], JourneyEngine],
        notifier: Callable[[], Notifier],
        queue: Callable[[], EventQueue],
        clock: Clock = utcnow,
    ) -> None:
        self.context = StepContext(config, hubspot, store, ledger, engine, notifier, queue, clock)

    def route(self, state: JourneyState) -> JourneyState:
        """Route: the team and the owner."""
        return assignment.route(self.context, state)

    def handoff(self, state: JourneyState) -> JourneyState:
        """HandOff: the owner, the task due at the SLA deadline, the routing explained."""
        return assignment.handoff(self.context, state)

    def hand_off_together(self, states: Mapping[str, JourneyState]) -> dict[str, JourneyState | Exception]:
        """HandOff for the journeys that reach it at once, their HubSpot writes batched; each outcome."""
        return handoffs.hand_off_together(self.context, states)

    def await_input(self, state: JourneyState, token: str, kind: WaitKind) -> None:
        """AwaitDecision, AwaitEngagement, AwaitRepair: register the token waited on."""
        waits.await_input(self.context, state, token, kind)

    def escalate(self, state: JourneyState, step: EscalationStepName) -> JourneyState:
        """Remind, AlertManager, Reassign, AssignFallback: the ladder's next step."""
        return escalation.escalate(self.context, state, step)

    def mark_sal(self, state: JourneyState) -> JourneyState:
        """MarkSal: accepted."""
        return outcomes.mark_sal(self.context, state)

    def mark_sql(self, state: JourneyState, attempt: int = 0) -> JourneyState:
        """MarkSql: qualified, with its deal."""
        return outcomes.mark_sql(self.context, state, attempt)

    def close(self, state: JourneyState) -> JourneyState:
        """CloseJourney: recycled or rejected."""
        return outcomes.close(self.context, state)

    def park(self, state: JourneyState) -> datetime:
        """Any step, when HubSpot's daily quota ran out under it: parked until the quota resets."""
        return failure.park(self.context, state)

    def record_failure(self, state: JourneyState, execution_arn: str, started_at: datetime) -> JourneyState:
        """RecordFailure: a step failed for good (in the execution that started at `started_at`)."""
        return failure.record_failure(self.context, state, execution_arn, started_at)
