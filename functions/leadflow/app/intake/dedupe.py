"""Work HubSpot sends again is done once.

HubSpot delivers some webhook events twice and retries a delivery answered late or with an error, up
to 10 times (https://developers.hubspot.com/docs/api/webhooks); a workflow's "Send a webhook" request
comes again after a late answer or a 5xx
(https://developers.hubspot.com/docs/methods/workflows/webhook_information); SQS may deliver a
message twice. Each event and workflow record is remembered once the batch that carried
it did its work, and dropped when it comes again.

The check lives in the lead-events function, not in the webhook: HubSpot's acknowledgement then
waits on one queue write and no DynamoDB round trip. Remembering only what was done means a failed
message's work is done again when SQS delivers it again, and nothing else of its batch is.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from leadflow.app.ports import DeliveryLedger
from leadflow.webhooks.events import WebhookEvent
from leadflow.webhooks.workflow_records import WorkflowRecord


def record_key(record: WorkflowRecord) -> str:
    """The dedupe key of a workflow record: the same body sent again has the same key."""
    return f"workflow:{record.identity}"


@dataclass
class Unseen:
    """A batch's events and records that were not done before, and the message carrying each key."""

    events: list[tuple[str, WebhookEvent]] = field(default_factory=list)
    records: list[tuple[str, WorkflowRecord]] = field(default_factory=list)
    carriers: dict[str, str] = field(default_factory=dict)
    dropped: int = 0

    def done(self, ledger: DeliveryLedger, failed: Collection[str]) -> None:
        """Remember the keys whose messages did not fail: they are dropped if they come again."""
        keys = [key for key, message_id in self.carriers.items() if message_id not in failed]
        if keys:
            ledger.remember_events(keys)


def unseen(
    ledger: DeliveryLedger,
    events: Sequence[tuple[str, WebhookEvent]],
    records: Sequence[tuple[str, WorkflowRecord]],
) -> Unseen:
    """The first copy of each event and record not done before (one ledger read per 100 keys)."""
    keys = {e.dedupe_key for _, e in events} | {record_key(r) for _, r in records}
    seen = ledger.seen_events(keys) if keys else set()
    result = Unseen()

    def first(key: str, message_id: str) -> bool:
        if key in seen or key in result.carriers:
            result.dropped += 1
            return False
        result.carriers[key] = message_id
        return True

    result.events = [(m, e) for m, e in events if first(e.dedupe_key, m)]
    result.records = [(m, r) for m, r in records if first(record_key(r), m)]
    return result
