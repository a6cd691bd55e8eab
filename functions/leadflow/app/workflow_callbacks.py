"""Completing the workflow actions a journey's end released, through HubSpot's callbacks API.

A completion that HubSpot refuses for good (the block expired, so the workflow already went on
without an outcome; or it was completed already) is dropped and counted; one HubSpot could not
take now (429, 5xx, no answer) comes back with its message, and after the queue's last attempt
waits in the dead-letter queue, where the alarm points at it.
"""

from __future__ import annotations

from collections.abc import Sequence

from leadflow.app.ports import HubSpot, HubSpotRateLimited, HubSpotUnavailable
from leadflow.core.workflow_outcome import CallbackCompletion
from leadflow.observability import count, logger


def complete_callbacks(hubspot: HubSpot, completions: Sequence[tuple[str, CallbackCompletion]]) -> list[str]:
    """Complete each callback; the ids of the messages to deliver again."""
    failed: list[str] = []
    for message_id, completion in completions:
        if message_id in failed:
            continue
        try:
            done = hubspot.complete_callback(completion.callback_id, completion.output_fields)
        except (HubSpotRateLimited, HubSpotUnavailable) as exc:
            logger.warning(
                "workflow callback will be retried", callback_id=completion.callback_id, error=str(exc)
            )
            failed.append(message_id)
            continue
        except Exception:
            # Whatever else goes wrong fails this completion alone; the others of the batch go on.
            logger.exception(
                "workflow callback failed; it will be retried", callback_id=completion.callback_id
            )
            failed.append(message_id)
            continue
        count("WorkflowCallbacksCompleted" if done else "WorkflowCallbacksRefused")
    return failed
