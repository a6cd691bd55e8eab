"""The journey's Task states: one Lambda function per step, all thin wrappers over JourneySteps."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from leadflow import wiring
from leadflow.core.journey import JourneyState
from leadflow.observability import logger


def _state(event: dict[str, Any]) -> JourneyState:
    state = JourneyState.model_validate(event)
    logger.append_keys(contact_id=state.contact_id, journey_id=state.journey_id)
    return state


@logger.inject_lambda_context(clear_state=True)
def route(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Route state: choose the owner."""
    return wiring.steps().route(_state(event)).model_dump(mode="json")


@logger.inject_lambda_context(clear_state=True)
def handoff(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """HandOff state: owner set, task created due at the SLA deadline."""
    return wiring.steps().handoff(_state(event)).model_dump(mode="json")


@logger.inject_lambda_context(clear_state=True)
def await_decision(event: dict[str, Any], context: LambdaContext) -> None:
    """AwaitDecision state (waitForTaskToken): register the token the journey waits on."""
    wiring.steps().await_decision(_state(event["state"]), event["token"])


@logger.inject_lambda_context(clear_state=True)
def escalate(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Escalate state: the SLA was missed."""
    return wiring.steps().escalate(_state(event)).model_dump(mode="json")


@logger.inject_lambda_context(clear_state=True)
def mark_sal(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """MarkSal state: the rep accepted."""
    return wiring.steps().mark_sal(_state(event)).model_dump(mode="json")


@logger.inject_lambda_context(clear_state=True)
def close(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """CloseJourney state: the rep recycled or rejected."""
    return wiring.steps().close(_state(event)).model_dump(mode="json")
