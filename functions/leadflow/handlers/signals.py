"""POST /signals: outside evidence for scoring (the use case is `leadflow.app.signals_intake`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadflow import snapstart, wiring  # noqa: F401 - snapstart registers the SnapStart runtime hooks
from leadflow.handlers.http import Answer, Api, json_response, signed_request
from leadflow.observability import logger, metrics

app = Api()


@app.post("/signals")
def receive_signals(event: APIGatewayProxyEvent) -> Answer:
    """Verify and queue outside signals."""
    # leadflow's own signature covers the timestamp and the body, not the URL.
    return json_response(202, wiring.signals_intake().receive(signed_request(event, [event.path])))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point."""
    wiring.ready("signals")
    return app.resolve(event)
