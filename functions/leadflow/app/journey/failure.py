"""A step that failed for good: recorded, alerted, and left for a human to resume."""

from __future__ import annotations

from datetime import datetime

from leadflow.app.journey.context import StepContext
from leadflow.app.ports import HubSpotError
from leadflow.core.journey_record import JourneyFields, JourneyStatus
from leadflow.core.journey_state import Failure, JourneyState
from leadflow.core.lifecycle import Prop
from leadflow.core.workflow_outcome import error_message
from leadflow.observability import count, logger


def record_failure(
    ctx: StepContext, state: JourneyState, execution_arn: str, started_at: datetime
) -> JourneyState:
    """Record where and why the journey failed, alert, and leave the lead for a human to resume (until a
    day before the execution, which started at `started_at`, would reach Step Functions' one-year limit)."""
    error = state.error or {}
    failed = ctx.engine().failed_state(execution_arn) or "unknown"
    cause, now = error.get("Cause") or "", ctx.clock()
    state.failure = Failure(
        state=failed,
        error=error.get("Error") or "unknown",
        cause=cause[:1000],
        at=now,
        repair_timeout_seconds=Failure.repair_timeout(started_at, now),
    )
    state.error = None
    fields = JourneyFields(failed_state=failed, error=state.failure.error, cause=state.failure.cause)
    record = ctx.record(state, JourneyStatus.FAILED, fields)
    try:
        ctx.hubspot.update_contact(state.contact_id, {Prop.JOURNEY_STATUS: JourneyStatus.FAILED.value})
    except HubSpotError:
        logger.warning("could not mark the contact failed in HubSpot")
    ctx.notify(
        f"leadflow journey failed at {failed}",
        f"Journey {state.journey_id} (contact {state.contact_id}) failed at {failed}: "
        f"{state.failure.error}: {error_message(cause)} "
        f"Fix the cause, then run `leadflow journey {state.contact_id} --resume`.",
    )
    # A workflow waiting on the journey learns it failed; one that joins later waits for the repair.
    ctx.release_workflows(state, record)
    count("JourneysFailed")
    logger.error("journey failed", failed_state=failed, error=state.failure.error)
    return state


def park(ctx: StepContext, state: JourneyState) -> datetime:
    """HubSpot's daily quota ran out under a step: say on the record until when the journey is parked
    (the state machine retries the step hourly until then). When the quota resets."""
    until = ctx.config.portal.quota_resets_at(ctx.clock())
    ctx.store.remember(state.key, JourneyFields(parked_until=until))
    logger.warning(
        "HubSpot's daily API quota is spent; the journey is parked", parked_until=until.isoformat()
    )
    return until
