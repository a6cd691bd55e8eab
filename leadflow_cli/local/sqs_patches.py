"""Where the local runtime makes the emulated SQS answer batch calls as SQS does.

SQS's batch actions answer 200 and list each refused entry under `Failed`, with its code, while the
others are done (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibilityBatch.html).
The emulator refuses the whole ChangeMessageVisibilityBatch call when one entry asks for more than
the 12 hours a message may stay out of sight, so code that never reads `Failed` would pass here and
lose the refusal on AWS. Each entry is now done or refused on its own.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

from moto.sqs.exceptions import SQSException
from moto.sqs.models import SQSBackend


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


def patches() -> list[Any]:
    """The patches: ChangeMessageVisibilityBatch refuses entries one by one."""
    return [mock.patch.object(SQSBackend, "change_message_visibility_batch", _visibility_batch)]
