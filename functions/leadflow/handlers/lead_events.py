"""SQS consumer: scores the contacts of a batch of webhook events and starts journeys.

The batch is processed as one unit (one HubSpot batch read for all its contacts), so
powertools' per-record BatchProcessor does not fit; partial failures are reported in
the same `batchItemFailures` shape it produces.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import SQSEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from leadflow import snapstart, wiring  # noqa: F401 - snapstart registers the SnapStart runtime hooks
from leadflow.adapters.queue import parse_message
from leadflow.app.intake import IntakeResult
from leadflow.app.ports import HubSpotQuotaExhausted, ReceivedMessage
from leadflow.app.workflow_callbacks import complete_callbacks
from leadflow.core.clock import seconds_until
from leadflow.core.signals import ContactSignal
from leadflow.core.workflow_outcome import CallbackCompletion
from leadflow.observability import count, logger, metrics
from leadflow.webhooks.events import WebhookEvent
from leadflow.webhooks.workflow_records import WorkflowRecord


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point: returns the ids of the messages SQS must deliver again."""
    wiring.invoked(context)
    wiring.ready("lead_events")
    failed: list[str] = []
    parsed: list[tuple[str, WebhookEvent]] = []
    signals: list[tuple[str, ContactSignal]] = []
    records: list[tuple[str, WorkflowRecord]] = []
    completions: list[tuple[str, CallbackCompletion]] = []
    sqs = SQSEvent(event)
    for message in sqs.records:
        try:
            queued = parse_message(message.body)
        except ValidationError as exc:
            # Left to fail until SQS moves it to the dead-letter queue, where it can be read.
            logger.error("malformed lead event", message_id=message.message_id, error=str(exc))
            failed.append(message.message_id)
            continue
        parsed += [(message.message_id, e) for e in queued.events]
        signals += [(message.message_id, s) for s in queued.signals]
        records += [(message.message_id, r) for r in queued.records]
        completions += [(message.message_id, c) for c in queued.completions]
    try:
        result = wiring.intake().process(parsed, signals, records)
    except HubSpotQuotaExhausted:
        result = IntakeResult(
            failed_message_ids=[m for m, _ in parsed + signals + records], quota_exhausted=True
        )
    failed.extend(result.failed_message_ids)
    if completions:
        failed.extend(complete_callbacks(wiring.hubspot(), completions))
    if result.quota_exhausted:
        failed = [m for m in failed if m not in _park(sqs, set(result.failed_message_ids))]
    count("DuplicatesDropped", result.duplicates)
    count("LeadsRescored", result.rescored)
    count("MQLsCreated", result.new_mqls)
    count("DecisionsReceived", result.decisions_delivered + result.decisions_parked)
    logger.info("lead events processed", records=len(parsed), failed=len(failed), **vars(result))
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in dict.fromkeys(failed)]}


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
