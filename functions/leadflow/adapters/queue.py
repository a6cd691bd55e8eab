"""The lead-events queue: webhook events handed from the API to the lead-events function."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from leadflow.adapters.hubspot import chunked
from leadflow.webhooks.events import WebhookEvent

SQS_BATCH_LIMIT: Final = 10


class EnqueueError(RuntimeError):
    """SQS did not accept every event; the webhook answers 5xx so HubSpot sends them again."""


class EventQueue:
    """Sends webhook events to SQS, one message per event, ten per call."""

    def __init__(self, sqs_client: Any, queue_url: str) -> None:
        self._sqs = sqs_client
        self._url = queue_url

    def send(self, events: Sequence[WebhookEvent]) -> int:
        """Enqueue the events; returns the number of SendMessageBatch calls made."""
        calls = 0
        for chunk in chunked(events, SQS_BATCH_LIMIT):
            entries = [
                {"Id": str(i), "MessageBody": event.model_dump_json(by_alias=True, exclude_none=True)}
                for i, event in enumerate(chunk)
            ]
            answer = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries)
            calls += 1
            if answer.get("Failed"):
                codes = ", ".join(sorted({f.get("Code", "?") for f in answer["Failed"]}))
                raise EnqueueError(f"{len(answer['Failed'])} events were not enqueued ({codes})")
        return calls
