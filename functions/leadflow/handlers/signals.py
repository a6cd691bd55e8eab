"""POST /signals: outside evidence (conversation replies, intent surges, product usage) for scoring.

Tools sign the raw body with the shared signals secret; accepted signals are queued for
the lead-events function, which stores them and rescores their contacts.
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from leadflow import wiring
from leadflow.adapters.queue import EnqueueError
from leadflow.core.signals import ContactSignal
from leadflow.handlers.http import BadBody, describe, error, raw_body
from leadflow.observability import count, logger, metrics
from leadflow.webhooks.signature import SignatureError, SignedRequest, verify_leadflow

app = APIGatewayRestResolver()


class SignalsBody(BaseModel):
    """The request body: up to 100 signals, each about one HubSpot contact."""

    model_config = ConfigDict(extra="forbid")

    signals: Annotated[list[ContactSignal], Field(min_length=1, max_length=100)]


@app.post("/signals")
def receive_signals() -> Response[str]:
    """Verify and queue outside signals."""
    event = app.current_event
    try:
        raw = raw_body(event)
    except BadBody as exc:
        return error(exc.status, str(exc))
    request = SignedRequest(method="POST", uri=event.path, body=raw, headers=dict(event.headers or {}))
    try:
        verify_leadflow(request, wiring.secret("signals_secret"), int(time.time() * 1000))
    except SignatureError as exc:
        logger.warning("rejected signals", reason=str(exc))
        return error(401, f"invalid signature: {exc}")
    try:
        body = SignalsBody.model_validate_json(raw)
    except ValidationError as exc:
        return error(400, f"invalid signals body at {describe(exc)}")
    try:
        wiring.queue().send(signals=body.signals)
    except EnqueueError as exc:
        logger.error("enqueue failed", error=str(exc))
        return error(503, "signals could not be queued; retry later")
    count("SignalsReceived", len(body.signals))
    return Response(
        status_code=202, content_type="application/json", body=json.dumps({"accepted": len(body.signals)})
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point."""
    return app.resolve(event, context)
