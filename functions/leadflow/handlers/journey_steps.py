"""The journey's Task states: one Lambda function per step, each a thin wrapper over JourneySteps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import TypeAdapter

from leadflow import snapstart, wiring  # noqa: F401 - snapstart registers the SnapStart runtime hooks
from leadflow.adapters.hubspot_pacer import JOURNEY_PATIENCE_S, NEW_LEAD_PATIENCE_S, patience
from leadflow.app.journey import JourneySteps
from leadflow.app.ports import AwsUnavailable, HubSpotQuotaExhausted
from leadflow.core.journey_record import WaitKind
from leadflow.core.journey_state import EscalationStepName, JourneyState
from leadflow.observability import logger, metrics

EscalationStep: TypeAdapter[EscalationStepName] = TypeAdapter(EscalationStepName)
Wait: TypeAdapter[WaitKind] = TypeAdapter(WaitKind)

Handler = Callable[[dict[str, Any], LambdaContext], Any]


def _state(event: dict[str, Any]) -> JourneyState:
    state = JourneyState.model_validate(event)
    # One correlation id per contact: every log line of its journey can be found with it.
    logger.set_correlation_id(f"contact-{state.contact_id}")
    logger.append_keys(contact_id=state.contact_id, journey_id=state.journey_id)
    return state


def _steps() -> JourneySteps:
    wiring.ready("journey")
    return wiring.steps()


def _step(
    run: Callable[[JourneySteps, dict[str, Any]], JourneyState], patience_s: float = JOURNEY_PATIENCE_S
) -> Handler:
    """A Lambda handler that runs one journey step on the event the state machine passes in, its
    HubSpot calls waiting up to `patience_s` each for their slot in the HubSpot budget."""

    @logger.inject_lambda_context(clear_state=True)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        wiring.invoked(context)
        steps = _steps()
        try:
            with patience(patience_s):
                return run(steps, event).model_dump(mode="json")
        except HubSpotQuotaExhausted:
            # Shown on the journey until the quota resets; the state's Retry runs the step again.
            steps.park(_state(event.get("state", event)))
            raise
        except Exception as exc:
            # An AWS throttle or outage as AwsUnavailable, which the state's Retry names.
            unavailable = _aws_unavailable(exc)
            if unavailable is None:
                raise
            raise unavailable from exc

    handler.__doc__ = run.__doc__
    return handler


def _route(steps: JourneySteps, event: dict[str, Any]) -> JourneyState:
    """Route: a new lead's HubSpot calls yield to the leads under way (a fast-track one does not)."""
    state = _state(event)
    with patience(JOURNEY_PATIENCE_S if state.fast_track else NEW_LEAD_PATIENCE_S):
        return steps.route(state)


route = _step(_route)
handoff = _step(lambda steps, event: steps.handoff(_state(event)))
mark_sal = _step(lambda steps, event: steps.mark_sal(_state(event)))
close = _step(lambda steps, event: steps.close(_state(event)))
# MarkSql: {state, attempt}, the attempt being Step Functions' retry count of the state.
mark_sql = _step(lambda steps, event: steps.mark_sql(_state(event["state"]), int(event.get("attempt", 0))))
# The escalation ladder's states (Remind, AlertManager, Reassign, AssignFallback): {step, state}.
escalate = _step(
    lambda steps, event: steps.escalate(_state(event["state"]), EscalationStep.validate_python(event["step"]))
)
# RecordFailure: a step failed for good ({execution, started, state}); record it and alert.
record_failure = _step(
    lambda steps, event: steps.record_failure(
        _state(event["state"]), event["execution"], datetime.fromisoformat(event["started"])
    )
)


@logger.inject_lambda_context(clear_state=True)
def await_input(event: dict[str, Any], context: LambdaContext) -> None:
    """The waitForTaskToken states: register the token the journey waits on for a decision,
    an engagement or a repair ({token, kind, state}).

    The state machine invokes this function asynchronously, so its errors would never reach the
    waiting state: they are sent to the task instead, where the state's Retry and Catch apply
    (a retry is a new invocation with a new token). Only when that report cannot be sent does
    the error propagate, so Lambda retries the invocation.
    """
    wiring.invoked(context)
    try:
        _steps().await_input(_state(event["state"]), event["token"], Wait.validate_python(event["kind"]))
    except Exception as exc:
        logger.exception("registering the wait failed")
        error = _aws_unavailable(exc) or exc
        wiring.engine().fail(event["token"], type(error).__name__, str(error))


def _aws_unavailable(exc: Exception) -> AwsUnavailable | None:
    """AwsUnavailable when `exc` is an AWS throttle or outage (a later retry may succeed), else None."""
    if not type(exc).__module__.startswith("botocore"):
        return None
    from leadflow.adapters.aws_errors import is_transient

    return AwsUnavailable(f"{type(exc).__name__}: {exc}") if is_transient(exc) else None
