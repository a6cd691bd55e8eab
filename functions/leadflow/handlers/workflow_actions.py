"""POST /workflows/actions/score and /workflows/actions/handoff: leadflow's custom workflow actions
(the use cases are `leadflow.app.workflow_actions`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadflow import snapstart, wiring  # noqa: F401 - snapstart registers the SnapStart runtime hooks
from leadflow.app.ports import HubSpotRequiredProperty
from leadflow.core.workflow_outcome import refused_outcome
from leadflow.handlers.http import Answer, Api, hubspot_request, json_response
from leadflow.observability import logger, metrics

app = Api()


@app.post("/workflows/actions/score")
def score(event: APIGatewayProxyEvent) -> Answer:
    """ "Score with leadflow": the contact's score card."""
    return json_response(200, wiring.workflow_actions().score(hubspot_request(event)))


@app.post("/workflows/actions/handoff")
def hand_off(event: APIGatewayProxyEvent) -> Answer:
    """ "Hand off with leadflow": the workflow waits for the contact's journey to end. A write the portal's
    validation rules refuse is final: the workflow takes its `failed` branch at once (a 5xx would have
    HubSpot retry it for three days)."""
    try:
        return json_response(200, wiring.workflow_actions().hand_off(hubspot_request(event)))
    except HubSpotRequiredProperty as exc:
        logger.error("hand-off refused by the portal's validation rules", error=str(exc))
        return json_response(200, {"outputFields": refused_outcome(f"{type(exc).__name__}: {exc}")})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point."""
    wiring.invoked(context)
    wiring.ready("workflow_actions")
    return app.resolve(event)
