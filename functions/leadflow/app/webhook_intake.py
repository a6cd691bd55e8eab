"""HubSpot webhook deliveries: verified, validated, deduplicated and queued, without calling HubSpot.

Answering fast matters: HubSpot counts a slow answer as a failure and sends the delivery again.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from pydantic import ValidationError

from leadflow.app.ports import DeliveryLedger, EnqueueError, EventQueue
from leadflow.app.refusals import MalformedRequest, TryLater, Unauthenticated
from leadflow.core.config import LeadflowConfig
from leadflow.core.triage import triage
from leadflow.observability import count, logger
from leadflow.webhooks.events import WebhookBatch, WebhookEvent
from leadflow.webhooks.signature import SignatureError, SignedRequest, verify
from leadflow.webhooks.validation import describe


def parse_events(raw: str) -> list[WebhookEvent]:
    """The events of a Webhooks API v3 delivery (a JSON array), or MalformedRequest naming the problem."""
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        raise MalformedRequest(f"body is not JSON: {exc}") from None
    if not isinstance(parsed, list):
        raise MalformedRequest("body must be a JSON array of webhook events")
    try:
        events: list[WebhookEvent] = WebhookBatch.validate_python(parsed)
    except ValidationError as exc:
        raise MalformedRequest(f"invalid webhook event at {describe(exc)}") from None
    return events


class WebhookIntake:
    """The webhook use case: one queue write per delivery, events it ignores answered all the same."""

    def __init__(
        self,
        config: LeadflowConfig,
        client_secret: Callable[[], str],
        deliveries: DeliveryLedger,
        queue: EventQueue,
        now_ms: Callable[[], int],
    ) -> None:
        self._watched = config.scoring.properties
        self._engagements = config.journey.engagement_properties
        # Read per request: the secret may rotate, and powertools caches it for minutes.
        self._secret = client_secret
        self._deliveries = deliveries
        self._queue = queue
        self._now_ms = now_ms

    def receive(self, request: SignedRequest) -> dict[str, object]:
        """Verify a delivery and enqueue the events leadflow acts on; a summary of what happened."""
        try:
            version = verify(request, self._secret(), self._now_ms())
        except SignatureError as exc:
            logger.warning("rejected webhook", reason=str(exc))
            count("WebhookRejected")
            raise Unauthenticated(f"invalid signature: {exc}") from None
        events = parse_events(request.body)
        acted = [e for e in events if triage(e, self._watched, self._engagements) is not None]
        unique = {e.dedupe_key: e for e in reversed(acted)}  # the first copy of each event
        seen = self._deliveries.seen_events(unique) if unique else set()
        fresh = [e for key, e in reversed(unique.items()) if key not in seen]
        if fresh:
            try:
                self._queue.send(fresh)
            except EnqueueError as exc:
                logger.error("enqueue failed; HubSpot will retry", error=str(exc))
                raise TryLater("events could not be queued; retry later") from None
            self._deliveries.remember_events(e.dedupe_key for e in fresh)
        count("WebhookEventsEnqueued", len(fresh))
        summary: dict[str, object] = {
            "received": len(events),
            "enqueued": len(fresh),
            "duplicates": len(acted) - len(fresh),
            "ignored": len(events) - len(acted),
            "signature": version,
        }
        logger.info("webhook accepted", extra=summary)
        return summary
