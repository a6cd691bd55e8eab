"""SQS consumer: scores the contacts of a batch of webhook events and starts journeys.

The batch is processed as one unit (one HubSpot batch read for all its contacts), so
powertools' per-record BatchProcessor does not fit; each message's fate is still its own
(`leadflow.app.lead_events`), reported in the same `batchItemFailures` shape it produces.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import SQSEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from leadflow import snapstart, wiring  # noqa: F401 - snapstart registers the SnapStart runtime hooks
from leadflow.adapters.hubspot_pacer import LEAD_EVENTS_PATIENCE_S, patience
from leadflow.adapters.queue import parse_message
from leadflow.app.lead_events import Message
from leadflow.app.ports import ReceivedMessage
from leadflow.core.clock import seconds_until
from leadflow.observability import count, logger, metrics
from leadflow.webhooks.validation import describe


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point: returns the ids of the messages SQS must deliver again."""
    wiring.invoked(context)
    wiring.ready("lead_events")
    sqs = SQSEvent(event)
    messages = [_message(record.message_id, record.body) for record in sqs.records]
    with patience(LEAD_EVENTS_PATIENCE_S):
        handled = wiring.lead_events().handle(messages, context.get_remaining_time_in_millis)
    result, failed = handled.result, handled.failed
    if result.quota_exhausted:
        failed = [m for m in failed if m not in _park(sqs, set(result.failed_message_ids))]
    count("DuplicatesDropped", result.duplicates)
    count("LeadsRescored", result.rescored)
    count("MQLsCreated", result.new_mqls)
    count("DecisionsReceived", result.decisions_delivered + result.decisions_parked)
    logger.info(
        "lead events processed",
        messages=len(messages),
        failed=len(failed),
        set_aside=len(handled.set_aside),
        deferred=handled.deferred,
        late=handled.late,
        **vars(result),
    )
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}


def _message(message_id: str, body: str) -> Message:
    """A message as the lead-events use case takes it; one that is no lead-events message says why."""
    try:
        queued = parse_message(body)
    except ValidationError as exc:
        return Message(message_id, body, problem=f"not a lead-events message: {describe(exc)}")
    return Message(message_id, body, queued.events, queued.signals, queued.records, queued.completions)


def _park(event: SQSEvent, message_ids: set[str]) -> set[str]:
    """HubSpot's daily quota is spent: nothing succeeds before it resets, so the messages stay out of
    sight until then instead of spending their receives towards the DLQ. Returns the ids of those sent
    again as new messages (done with here)."""
    now = wiring.clock()()
    until = wiring.config().portal.quota_resets_at(now)
    held = [
        ReceivedMessage(
            r.message_id,
            r.receipt_handle,
            r.body,
            int(r.attributes.approximate_first_receive_timestamp),
        )
        for r in event.records
        if r.message_id in message_ids
    ]
    resent = wiring.queue().park(held, seconds_until(now, until), wiring.wall_ms())
    logger.warning(
        "HubSpot's daily API quota is spent; messages parked",
        messages=len(held),
        sent_again=len(resent),
        until=until.isoformat(),
    )
    return resent
