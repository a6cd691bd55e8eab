"""POST /webhooks/hubspot: verify, validate, dedupe and enqueue HubSpot webhook events.

Answers fast and never calls HubSpot: the work happens behind the queue.
"""

from __future__ import annotations

import json
import time
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from leadflow import wiring
from leadflow.adapters.queue import EnqueueError
from leadflow.core.triage import triage
from leadflow.handlers.http import BadBody, describe, error, raw_body
from leadflow.observability import count, logger, metrics
from leadflow.settings import settings
from leadflow.webhooks.events import WebhookBatch, WebhookEvent
from leadflow.webhooks.signature import SignatureError, SignedRequest, verify

app = APIGatewayRestResolver()


def _public_uri() -> str:
    event = app.current_event
    base = settings().public_url
    if not base:
        # API Gateway's own view of the host and stage, never the client's Host header.
        ctx = event.request_context
        base = f"https://{ctx.domain_name}/{ctx.stage}"
    query = event.query_string_parameters or {}
    suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    return base.rstrip("/") + event.path + suffix


@app.post("/webhooks/hubspot")
def receive_hubspot_webhook() -> Response[str]:
    """Verify a Webhooks API v3 delivery and enqueue the events leadflow acts on."""
    event = app.current_event
    try:
        raw = raw_body(event)
    except BadBody as exc:
        return error(exc.status, str(exc))
    request = SignedRequest(method="POST", uri=_public_uri(), body=raw, headers=dict(event.headers or {}))
    try:
        version = verify(request, wiring.secret("hubspot_client_secret"), int(time.time() * 1000))
    except SignatureError as exc:
        logger.warning("rejected webhook", reason=str(exc))
        count("WebhookRejected")
        return error(401, f"invalid signature: {exc}")
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        return error(400, f"body is not JSON: {exc}")
    if not isinstance(parsed, list):
        return error(400, "body must be a JSON array of webhook events")
    try:
        events: list[WebhookEvent] = WebhookBatch.validate_python(parsed)
    except ValidationError as exc:
        return error(400, f"invalid webhook event at {describe(exc)}")

    config = wiring.config()
    watched, engagements = config.scoring.properties, config.journey.engagement_properties
    acted: dict[str, WebhookEvent] = {}
    for item in events:
        if triage(item, watched, engagements) is not None:
            acted.setdefault(item.dedupe_key, item)
    store = wiring.store()
    seen = store.seen_events(acted) if acted else set()
    fresh = [e for key, e in acted.items() if key not in seen]
    try:
        wiring.queue().send(fresh)
    except EnqueueError as exc:
        logger.error("enqueue failed; HubSpot will retry", error=str(exc))
        return error(503, "events could not be queued; retry later")
    store.remember_events(e.dedupe_key for e in fresh)
    count("WebhookEventsEnqueued", len(fresh))
    summary: dict[str, object] = {
        "received": len(events),
        "enqueued": len(fresh),
        "duplicates": len(acted) - len(fresh),
        "ignored": len(events) - len(acted),
        "signature": version,
    }
    logger.info("webhook accepted", extra=summary)
    return Response(status_code=200, content_type="application/json", body=json.dumps(summary))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point."""
    return app.resolve(event, context)
