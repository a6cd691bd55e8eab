"""The journey's Task states: one Lambda function per step, each a thin wrapper over JourneySteps."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes import SQSEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from leadflow import snapstart, wiring  # noqa: F401 - snapstart registers the SnapStart runtime hooks
from leadflow.adapters.hubspot_pacer import JOURNEY_PATIENCE_S, NEW_LEAD_PATIENCE_S, patience
from leadflow.app.journey import JourneySteps
from leadflow.app.ports import AwsUnavailable, HubSpotQuotaExhausted
from leadflow.core.journey_record import WaitKind
from leadflow.core.journey_state import EscalationStepName, JourneyState
from leadflow.observability import count, logger, metrics
from leadflow.webhooks.validation import describe

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


def _step(run: Callable[[JourneySteps, dict[str, Any]], JourneyState]) -> Handler:
    """A Lambda handler that runs one journey step on the event the state machine passes in, its
    HubSpot calls waiting up to JOURNEY_PATIENCE_S in all for their slots in the HubSpot budget."""

    @logger.inject_lambda_context(clear_state=True)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        wiring.invoked(context)
        steps = _steps()
        try:
            with patience(JOURNEY_PATIENCE_S):
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


class HandOffMessage(BaseModel):
    """What the HandOff state sends the hand-off queue: the task token it waits on, and the state."""

    token: str = Field(min_length=1)
    state: dict[str, Any]


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handoff(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """HandOff: the journeys queued for their hand-off, handed off together (an SQS batch of
    `{token, state}`); each journey's task is completed with its handed-off state, or failed with the
    error its state's Retry and Catch see. Returns the messages SQS must deliver again: those whose
    answer to the journey could not be sent, and any that is no hand-off."""
    wiring.invoked(context)
    steps = _steps()
    waiting: dict[str, tuple[str, JourneyState]] = {}
    again: list[str] = []
    for record in SQSEvent(event).records:
        try:
            message = HandOffMessage.model_validate_json(record.body)
            waiting[record.message_id] = (message.token, JourneyState.model_validate(message.state))
        except ValidationError as exc:
            logger.error("not a hand-off message", message_id=record.message_id, error=describe(exc))
            again.append(record.message_id)
    with patience(JOURNEY_PATIENCE_S):
        outcomes = steps.hand_off_together({m: state for m, (_, state) in waiting.items()})
    for message_id, outcome in outcomes.items():
        token, state = waiting[message_id]
        try:
            _answer(steps, token, state, outcome)
        except Exception:
            logger.exception("the journey's hand-off could not be answered", contact_id=state.contact_id)
            again.append(message_id)
    count("HandOffBatch", len(waiting))
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in again]}


def _answer(steps: JourneySteps, token: str, state: JourneyState, outcome: JourneyState | Exception) -> None:
    """Complete the HandOff task with the handed-off state, or fail it as a Lambda step would have."""
    engine = wiring.engine()
    if isinstance(outcome, JourneyState):
        engine.resume(token, outcome.model_dump_json())
        return
    if isinstance(outcome, HubSpotQuotaExhausted):
        steps.park(state)
    error = _aws_unavailable(outcome) or outcome
    name = type(error).__name__
    engine.fail(token, name, json.dumps({"errorMessage": str(error), "errorType": name}))


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
