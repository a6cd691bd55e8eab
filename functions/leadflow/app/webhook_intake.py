"""HubSpot webhook deliveries: verified, validated and queued, without calling HubSpot.

Answering fast matters: HubSpot counts a slow answer as a failure and sends the delivery again. So
the answer waits on one queue write and nothing else: an event repeated within a delivery is queued
once, and work HubSpot sends again is dropped by the lead-events function (`app.intake.dedupe`).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping, Sequence

from pydantic import ValidationError

from leadflow.app.hubspot_requests import authenticate
from leadflow.app.ports import EventQueue
from leadflow.app.refusals import MalformedRequest, TooLarge, Unauthenticated, enqueue_or_try_later
from leadflow.core.config import LeadflowConfig
from leadflow.core.triage import triage
from leadflow.observability import count, logger
from leadflow.webhooks.events import WebhookBatch, WebhookEvent
from leadflow.webhooks.json_body import JsonBodyError, read_json
from leadflow.webhooks.signature import SignedRequest
from leadflow.webhooks.validation import describe
from leadflow.webhooks.workflow_records import (
    CONTACT,
    LEAD_TYPES,
    WorkflowRecord,
    WorkflowRecordError,
    read_record,
)

# HubSpot's workflow webhook sends these when "Include request signature in header" is chosen
# (https://developers.hubspot.com/docs/api/webhooks/validating-requests: v2, and v3 as well).
_SIGNATURE_HEADERS = ("X-HubSpot-Signature", "X-HubSpot-Signature-v3")


# What one queued record may weigh: SQS takes messages of up to 1 MiB
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html).
MAX_RECORD_BYTES = 1_000_000


def parse_events(raw: str) -> list[WebhookEvent]:
    """The events of a Webhooks API v3 delivery (a JSON array), or MalformedRequest naming the problem."""
    parsed = _json(raw)
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
        queue: EventQueue,
        now_ms: Callable[[], int],
        workflow_key: Callable[[], str] = lambda: "",
    ) -> None:
        self._watched = config.scoring.properties
        self._engagements = config.journey.engagement_properties
        self._kept = config.contact_properties
        self._key_name = config.workflows.api_key_name
        self._signatures = config.signatures
        # Read per request: the secrets may rotate, and powertools caches them for minutes.
        self._secret = client_secret
        self._workflow_key = workflow_key
        self._queue = queue
        self._now_ms = now_ms

    def receive(self, request: SignedRequest) -> dict[str, object]:
        """Verify an app webhook delivery and enqueue the events leadflow acts on; what happened."""
        version = authenticate(request, self._secret(), self._now_ms(), self._signatures.webhooks)
        events = parse_events(request.body)
        acted = [e for e in events if triage(e, self._watched, self._engagements) is not None]
        fresh = list({e.dedupe_key: e for e in acted}.values())  # the first copy of each event
        if fresh:
            enqueue_or_try_later(lambda: self._queue.send(fresh), "events")
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

    def receive_record(self, request: SignedRequest, query: Mapping[str, Sequence[str]]) -> dict[str, object]:
        """A workflow's "Send a webhook" action: authenticate, read the enrolled record, queue it once.

        HubSpot sends the same request again when an answer is late or a 5xx; the lead-events
        function does the same body once. The values leadflow does not read are not carried further.
        """
        auth = self._authenticate(request, query)
        record = _record(request.body)
        kept = record.model_copy(
            update={
                "properties": {k: v for k, v in record.properties.items() if k in self._kept},
                "changed_at": {k: v for k, v in record.changed_at.items() if k in self._kept},
            }
        )
        size = len(kept.model_dump_json().encode())
        if size > MAX_RECORD_BYTES:
            raise TooLarge(
                f"the record's properties come to {size} bytes, more than {MAX_RECORD_BYTES} to queue"
            )
        enqueue_or_try_later(lambda: self._queue.send(records=[kept]), "the record")
        count("WorkflowRecordsEnqueued", 1)
        summary: dict[str, object] = {
            "record": record.object_id,
            "enqueued": 1,
            "complete": record.complete,
            "auth": auth,
        }
        logger.info("workflow record accepted", extra=summary)
        return summary

    def _authenticate(self, request: SignedRequest, query: Mapping[str, Sequence[str]]) -> str:
        """A HubSpot request signature (v3, else v2/v1) when one is sent; else the workflow API key,
        in the configured header or query parameter, compared in constant time."""
        if any(request.header(h) is not None for h in _SIGNATURE_HEADERS):
            return authenticate(request, self._secret(), self._now_ms(), self._signatures.workflow_webhook)
        expected = self._workflow_key()
        given = request.header(self._key_name) or next(iter(query.get(self._key_name) or ()), None)
        if given is None:
            count("WebhookRejected")
            raise Unauthenticated(f"no HubSpot signature, and no {self._key_name} header or query parameter")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            count("WebhookRejected")
            raise Unauthenticated(f"the {self._key_name} API key does not match")
        return "api_key"


def _json(raw: str) -> object:
    """A body HubSpot sent, as JSON (characters SQS cannot store replaced), or MalformedRequest."""
    try:
        return read_json(raw, replace=True)
    except JsonBodyError as exc:
        raise MalformedRequest(str(exc)) from None


def _record(raw: str) -> WorkflowRecord:
    body = _json(raw)
    try:
        record = read_record(body, raw)
    except WorkflowRecordError as exc:
        raise MalformedRequest(str(exc)) from None
    except ValidationError as exc:
        raise MalformedRequest(f"invalid record at {describe(exc)}") from None
    if record.object_type != CONTACT and record.object_type not in LEAD_TYPES:
        raise MalformedRequest(
            f"leadflow works on contacts and leads; this workflow sent a {record.object_type} record "
            "(use a contact-based or lead-based workflow)"
        )
    return record
