"""The lead-events queue: webhook events handed from the API to the lead-events function.

The events of one delivery travel together, packed into as few messages as SQS's size
limits allow (one message for a typical 100-event delivery), so the webhook makes one
SendMessageBatch call and the lead-events function sees whole deliveries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, Field, model_validator

from leadflow.app.ports import DeadLetter, EnqueueError
from leadflow.core.batching import packed
from leadflow.core.signals import ContactSignal
from leadflow.core.workflow_outcome import CallbackCompletion
from leadflow.observability import logger
from leadflow.webhooks.events import WebhookEvent
from leadflow.webhooks.workflow_records import WorkflowRecord

# SQS bills per 64 KiB and takes at most 256 KiB per call: 60 KB messages, 4 to a call.
MESSAGE_BYTES: Final = 60_000
BATCH_BYTES: Final = 250_000
BATCH_ENTRIES: Final = 10
# SQS keeps a received message invisible for at most 12 hours
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html).
MAX_VISIBILITY_S: Final = 12 * 3600
# A message is delayed 15 minutes at most
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatchRequestEntry.html).
MAX_DELAY_S: Final = 900


class QueuedEvents(BaseModel):
    """The body of one lead-events message: HubSpot webhook events, outside signals, or records
    a workflow sent."""

    events: list[WebhookEvent] = Field(default_factory=list)
    signals: list[ContactSignal] = Field(default_factory=list)
    records: list[WorkflowRecord] = Field(default_factory=list)
    completions: list[CallbackCompletion] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> QueuedEvents:
        if not (self.events or self.signals or self.records or self.completions):
            raise ValueError("a message carries events, signals, records or callback completions")
        return self


class SqsEventQueue:
    """Sends webhook events and signals to SQS (the event queue port)."""

    def __init__(self, sqs_client: Any, queue_url: str) -> None:
        self._sqs = sqs_client
        self._url = queue_url

    def send(
        self,
        events: Sequence[WebhookEvent] = (),
        signals: Sequence[ContactSignal] = (),
        records: Sequence[WorkflowRecord] = (),
        completions: Sequence[CallbackCompletion] = (),
    ) -> int:
        """Enqueue webhook events, signals, workflow records and callback completions; returns the
        number of SendMessageBatch calls made."""
        bodies = []
        for key, encoded in (
            ("events", [e.model_dump_json(by_alias=True, exclude_none=True) for e in events]),
            ("signals", [s.model_dump_json() for s in signals]),
            ("records", [r.model_dump_json() for r in records]),
            ("completions", [c.model_dump_json() for c in completions]),
        ):
            bodies += [
                f'{{"{key}":[' + ",".join(group) + "]}" for group in packed(encoded, MESSAGE_BYTES, 1000)
            ]
        calls = 0
        for batch in packed(bodies, BATCH_BYTES, BATCH_ENTRIES):
            entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(batch)]
            _sent_all(self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries))
            calls += 1
        return calls

    def park(self, receipt_handles: Sequence[str], seconds: int) -> None:
        """Keep received messages out of sight for `seconds` (capped at SQS's 12 hours)."""
        timeout = max(0, min(seconds, MAX_VISIBILITY_S))
        for start in range(0, len(receipt_handles), BATCH_ENTRIES):
            entries = [
                {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": timeout}
                for i, handle in enumerate(receipt_handles[start : start + BATCH_ENTRIES])
            ]
            self._sqs.change_message_visibility_batch(QueueUrl=self._url, Entries=entries)

    def resend(self, bodies: Sequence[str], delay_seconds: int) -> None:
        """Queue message bodies again as new messages, delivered after `delay_seconds` (SQS: 0-900)."""
        for batch in packed(list(bodies), BATCH_BYTES, BATCH_ENTRIES):
            entries = [
                {"Id": str(i), "MessageBody": body, "DelaySeconds": max(0, min(delay_seconds, MAX_DELAY_S))}
                for i, body in enumerate(batch)
            ]
            _sent_all(self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries))


class SqsDeadLetters:
    """The lead-events dead-letter queue, where leadflow itself sets aside a message that can never
    succeed, with the reason as a message attribute (the dead-letter port)."""

    def __init__(self, sqs_client: Any, queue_url: str) -> None:
        self._sqs = sqs_client
        self._url = queue_url

    def set_aside(self, letters: Sequence[DeadLetter]) -> list[str]:
        """Send each letter to the dead-letter queue; the ids of those SQS did not take."""
        refused: list[str] = []
        for start in range(0, len(letters), BATCH_ENTRIES):
            batch = letters[start : start + BATCH_ENTRIES]
            entries = [
                {
                    "Id": str(i),
                    "MessageBody": letter.body,
                    "MessageAttributes": {
                        "leadflow.reason": {"DataType": "String", "StringValue": letter.reason or "unknown"},
                        "leadflow.message_id": {"DataType": "String", "StringValue": letter.message_id},
                    },
                }
                for i, letter in enumerate(batch)
            ]
            try:
                answer = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries)
            except (BotoCoreError, ClientError) as exc:
                logger.error("the dead-letter queue refused a batch", error=type(exc).__name__)
                refused += [letter.message_id for letter in batch]
                continue
            refused += [batch[int(f["Id"])].message_id for f in answer.get("Failed") or []]
        return refused


class LeftToRedrive:
    """No dead-letter queue configured: nothing is set aside, so poison fails until SQS's redrive policy
    moves it (after the queue's maxReceiveCount receives)."""

    def set_aside(self, letters: Sequence[DeadLetter]) -> list[str]:
        """Every letter is left to fail."""
        return [letter.message_id for letter in letters]


def _sent_all(answer: dict[str, Any]) -> None:
    """SendMessageBatch answers 200 with the entries it refused (`Failed`): EnqueueError naming their
    codes."""
    if answer.get("Failed"):
        codes = ", ".join(sorted({f.get("Code", "?") for f in answer["Failed"]}))
        raise EnqueueError(f"{len(answer['Failed'])} messages were not enqueued ({codes})")


def parse_message(body: str) -> QueuedEvents:
    """One lead-events message (raises pydantic.ValidationError when malformed)."""
    return QueuedEvents.model_validate_json(body)
