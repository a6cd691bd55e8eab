"""The journey's waits: registering the task token a waitForTaskToken state waits on."""

from __future__ import annotations

from leadflow.app.journey.context import StepContext
from leadflow.core.journey_record import WaitKind
from leadflow.core.journey_state import JourneyState


def await_input(ctx: StepContext, state: JourneyState, token: str, kind: WaitKind) -> None:
    """Register the task token the journey now waits on; deliver an input already kept for it.

    The token is handed out only until its wait times out (a repair waits without a timeout),
    so an input arriving after the deadline is kept for the next wait instead.
    """
    timeout = {
        "decision": state.handoff.timeout_seconds if state.handoff else None,
        "engagement": state.qualification.timeout_seconds if state.qualification else None,
    }.get(kind)
    expires = ctx.clock().timestamp() + timeout if timeout else None
    parked = ctx.store.set_task_token(state.key, token, kind, expires)
    if parked and ctx.store.claim_task_token(state.key, token):
        ctx.engine().resume(token, parked)
