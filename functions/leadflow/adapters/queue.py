"""The lead-events queue: webhook events handed from the API to the lead-events function.

The events of one delivery travel together, packed into as few messages as SQS's size
limits allow (one message for a typical 100-event delivery), so the webhook makes one
SendMessageBatch call and the lead-events function sees whole deliveries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, Field, model_validator

from leadflow.app.ports import DeadLetter, EnqueueError, ReceivedMessage
from leadflow.core.batching import chunked, packed
from leadflow.core.signals import ContactSignal
from leadflow.core.workflow_outcome import CallbackCompletion
from leadflow.observability import logger
from leadflow.webhooks.events import WebhookEvent
from leadflow.webhooks.workflow_records import WorkflowRecord

# SQS bills per 64 KiB and takes at most 256 KiB per call: 60 KB messages, 4 to a call.
MESSAGE_BYTES: Final = 60_000
BATCH_BYTES: Final = 250_000
BATCH_ENTRIES: Final = 10
# SQS keeps a received message invisible for at most 12 hours in all, and refuses a
# ChangeMessageVisibility past that (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html).
# Counted here from the message's first receive, the strictest reading, less a margin for the clocks
# of SQS and Lambda.
MAX_VISIBILITY_S: Final = 12 * 3600
PARK_MARGIN_S: Final = 60
# The longest a message sent with DelaySeconds stays out of sight
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

    def park(self, messages: Sequence[ReceivedMessage], seconds: int, now_ms: int) -> set[str]:
        """Keep received messages out of sight for `seconds`, within the 12 hours SQS allows each from its
        first receive; the ids of those sent again as new messages instead (delete their originals).

        A message whose 12 hours are nearly spent, or whose park SQS refuses, is sent again with a delay
        (a new message, whose own 12 hours start when it is first received), so a wait longer than SQS's
        cap spends one receive per 12 hours instead of walking the message to the dead-letter queue. What
        can be neither parked nor sent again comes back after the queue's visibility timeout.
        """
        park: list[tuple[ReceivedMessage, int]] = []
        resend: list[ReceivedMessage] = []
        for message in messages:
            allowed = MAX_VISIBILITY_S - PARK_MARGIN_S - (now_ms - message.first_received_ms) // 1000
            if allowed >= min(seconds, MAX_DELAY_S):
                park.append((message, min(seconds, allowed)))
            else:
                resend.append(message)
        for batch in chunked(park, BATCH_ENTRIES):
            entries = [
                {"Id": str(i), "ReceiptHandle": m.receipt_handle, "VisibilityTimeout": timeout}
                for i, (m, timeout) in enumerate(batch)
            ]
            answer = self._sqs.change_message_visibility_batch(QueueUrl=self._url, Entries=entries)
            resend += [batch[int(f["Id"])][0] for f in _failed(answer, "parking")]
        return self.resend({m.message_id: m.body for m in resend}, min(seconds, MAX_DELAY_S))

    def resend(self, bodies: Mapping[str, str], delay_s: int) -> set[str]:
        """Queue messages again as new messages (their bodies, by message id), delivered after `delay_s`
        (SQS takes 0-900); the ids of those SQS took."""
        delay = max(0, min(delay_s, MAX_DELAY_S))
        sent: set[str] = set()
        for batch in chunked(list(bodies.items()), BATCH_ENTRIES):
            entries = [
                {"Id": str(i), "MessageBody": body, "DelaySeconds": delay}
                for i, (_, body) in enumerate(batch)
            ]
            answer = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries)
            refused = {int(f["Id"]) for f in _failed(answer, "sending again")}
            sent |= {message_id for i, (message_id, _) in enumerate(batch) if i not in refused}
        return sent


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
            refused += [batch[int(f["Id"])].message_id for f in _failed(answer, "setting aside")]
        return refused


class LeftToRedrive:
    """No dead-letter queue configured: nothing is set aside, so poison fails until SQS's redrive policy
    moves it (after the queue's maxReceiveCount receives)."""

    def set_aside(self, letters: Sequence[DeadLetter]) -> list[str]:
        """Every letter is left to fail."""
        return [letter.message_id for letter in letters]


def _failed(answer: dict[str, Any], doing: str) -> list[dict[str, Any]]:
    """The entries a batch call refused: SQS answers 200 and lists them under `Failed`
    (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibilityBatch.html)."""
    failed: list[dict[str, Any]] = answer.get("Failed") or []
    if failed:
        codes = sorted({f.get("Code", "?") for f in failed})
        logger.warning(f"SQS refused {doing} messages", refused=len(failed), codes=codes)
    return failed


def _sent_all(answer: dict[str, Any]) -> None:
    """SendMessageBatch answers 200 with the entries it refused (`Failed`): EnqueueError naming their
    codes."""
    if answer.get("Failed"):
        codes = ", ".join(sorted({f.get("Code", "?") for f in answer["Failed"]}))
        raise EnqueueError(f"{len(answer['Failed'])} messages were not enqueued ({codes})")


def parse_message(body: str) -> QueuedEvents:
    """One lead-events message (raises pydantic.ValidationError when malformed)."""
    return QueuedEvents.model_validate_json(body)
