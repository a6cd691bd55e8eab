"""POST /webhooks/hubspot (HubSpot app webhooks) and POST /workflows/webhook (a workflow's "Send a
webhook" action); the use case is `leadflow.app.webhook_intake`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadflow import snapstart, wiring  # noqa: F401 - snapstart registers the SnapStart runtime hooks
from leadflow.handlers.http import Answer, Api, hubspot_request, json_response
from leadflow.observability import logger, metrics

app = Api()


@app.post("/webhooks/hubspot")
def receive_hubspot_webhook(event: APIGatewayProxyEvent) -> Answer:
    """Verify a Webhooks API v3 delivery and enqueue the events leadflow acts on."""
    return json_response(200, wiring.webhook_intake().receive(hubspot_request(event)))


@app.post("/workflows/webhook")
def receive_workflow_webhook(event: APIGatewayProxyEvent) -> Answer:
    """Authenticate a workflow's "Send a webhook" request and queue the record it carries."""
    query = event.multi_value_query_string_parameters or {}
    return json_response(200, wiring.webhook_intake().receive_record(hubspot_request(event), query))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point."""
    wiring.ready("webhook")
    return app.resolve(event)
