"""The journey's Task states: one Lambda function per step, each a thin wrapper over JourneySteps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from leadflow import wiring
from leadflow.app.journey import JourneySteps
from leadflow.core.journey import JourneyState
from leadflow.observability import logger, metrics

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
escalate = _step(JourneySteps.escalate)
mark_sal = _step(JourneySteps.mark_sal)
close = _step(JourneySteps.close)


@logger.inject_lambda_context(clear_state=True)
def await_decision(event: dict[str, Any], context: LambdaContext) -> None:
    """AwaitDecision state (waitForTaskToken): register the token the journey waits on."""
    wiring.steps().await_decision(_state(event["state"]), event["token"])
