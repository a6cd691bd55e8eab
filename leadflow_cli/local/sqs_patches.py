"""Where the local runtime makes the emulated SQS answer batch calls as SQS does.

SQS's batch actions answer 200 and list each refused entry under `Failed`, with its code, while the
others are done (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibilityBatch.html).
The emulator refuses the whole ChangeMessageVisibilityBatch call when one entry asks for more than
the 12 hours a message may stay out of sight, so code that never reads `Failed` would pass here and
lose the refusal on AWS. Each entry is now done or refused on its own.

The emulator checks each message it receives against the queue's retention period by computing
every attribute of the queue, its message counts among them, which walks every message: a receive
from a queue of n messages cost n² steps, a quarter of the local runtime's time under a burst of
hand-offs. The period is now read on its own; what is received is unchanged.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

from moto.core.utils import unix_time
from moto.sqs.exceptions import SQSException
from moto.sqs.models import Message, SQSBackend


def _visibility_batch(
    backend: SQSBackend, queue_name: str, entries: list[dict[str, Any]]
) -> tuple[list[str], list[dict[str, Any]]]:
    done: list[str] = []
    failed: list[dict[str, Any]] = []
    for entry in entries:
        try:
            backend.change_message_visibility(
                queue_name=queue_name,
                receipt_handle=entry["ReceiptHandle"],
                visibility_timeout=int(entry["VisibilityTimeout"]),
            )
        except SQSException as exc:
            failed.append({"Id": entry["Id"], "SenderFault": True, "Code": exc.code, "Message": exc.message})
        else:
            done.append(entry["Id"])
    return done, failed


def _retained(backend: SQSBackend, queue_name: str, message: Message) -> bool:
    """Whether the message is still within its queue's retention period."""
    # The emulator sets the queue's attributes as instance attributes, so the type stubs know none.
    period = int(getattr(backend.get_queue(queue_name), "message_retention_period"))  # noqa: B009
    return period + int(message.sent_timestamp or 0) / 1000 > unix_time()


def patches() -> list[Any]:
    """The patches: ChangeMessageVisibilityBatch refuses entries one by one; a receive reads the
    retention period alone."""
    return [
        mock.patch.object(SQSBackend, "change_message_visibility_batch", _visibility_batch),
        mock.patch.object(SQSBackend, "is_message_valid_based_on_retention_period", _retained),
    ]
