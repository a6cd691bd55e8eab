"""The journey's Task states: one Lambda function per step, each a thin wrapper over JourneySteps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import TypeAdapter

from leadflow import wiring
from leadflow.app.journey import JourneySteps
from leadflow.core.journey import EscalationStepName, JourneyState
from leadflow.observability import logger, metrics

EscalationStep: TypeAdapter[EscalationStepName] = TypeAdapter(EscalationStepName)
WaitKind: TypeAdapter[Literal["decision", "engagement", "repair"]] = TypeAdapter(
    Literal["decision", "engagement", "repair"]
)

Handler = Callable[[dict[str, Any], LambdaContext], Any]


def _state(event: dict[str, Any]) -> JourneyState:
    state = JourneyState.model_validate(event)
    # One correlation id per contact: every log line of its journey can be found with it.
    logger.set_correlation_id(f"contact-{state.contact_id}")
    logger.append_keys(contact_id=state.contact_id, journey_id=state.journey_id)
    return state


def _step(step: Callable[[JourneySteps, JourneyState], JourneyState]) -> Handler:
    """A Lambda handler that runs one journey step on the state the state machine passes in."""

    @logger.inject_lambda_context(clear_state=True)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return step(wiring.steps(), _state(event)).model_dump(mode="json")

    handler.__doc__ = step.__doc__
    return handler


route = _step(JourneySteps.route)
handoff = _step(JourneySteps.handoff)
mark_sal = _step(JourneySteps.mark_sal)
close = _step(JourneySteps.close)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def mark_sql(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """MarkSql: {state, attempt}, the attempt being Step Functions' retry count of the state."""
    return (
        wiring.steps().mark_sql(_state(event["state"]), int(event.get("attempt", 0))).model_dump(mode="json")
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def escalate(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The escalation ladder's states (Remind, AlertManager, Reassign, AssignFallback): {step, state}."""
    step = EscalationStep.validate_python(event["step"])
    return wiring.steps().escalate(_state(event["state"]), step).model_dump(mode="json")


@logger.inject_lambda_context(clear_state=True)
def await_input(event: dict[str, Any], context: LambdaContext) -> None:
    """The waitForTaskToken states: register the token the journey waits on for a decision,
    an engagement or a repair ({token, kind, state}).

    The state machine invokes this function asynchronously, so its errors would never reach the
    waiting state: they are sent to the task instead, where the state's Retry and Catch apply
    (a retry is a new invocation with a new token). Only when that report cannot be sent does
    the error propagate, so Lambda retries the invocation.
    """
    try:
        wiring.steps().await_input(
            _state(event["state"]), event["token"], WaitKind.validate_python(event["kind"])
        )
    except Exception as exc:
        logger.exception("registering the wait failed")
        wiring.engine().fail(event["token"], type(exc).__name__, str(exc))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def record_failure(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """RecordFailure: a step failed for good ({execution, state}); record it and alert."""
    return wiring.steps().record_failure(_state(event["state"]), event["execution"]).model_dump(mode="json")
