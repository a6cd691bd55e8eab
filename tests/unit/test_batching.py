"""Batch sizes: chunks for HubSpot, packed SQS messages for the lead-events queue."""

from __future__ import annotations

import json
from typing import Any

from leadflow.adapters.queue import MESSAGE_BYTES, SqsEventQueue, parse_message
from leadflow.core.batching import chunked, packed
from leadflow.webhooks.events import WebhookEvent


class RecordingSqs:
    """A fake SQS client that keeps what it was sent."""

    def __init__(self) -> None:
        self.calls: list[list[dict[str, Any]]] = []

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(Entries)
        return {"Successful": [{"Id": e["Id"]} for e in Entries]}


def event(object_id: int, value: str = "") -> WebhookEvent:
    return WebhookEvent.model_validate(
        {
            "eventId": object_id,
            "subscriptionId": 1,
            "portalId": 2,
            "occurredAt": 1_795_510_800_000,
            "subscriptionType": "contact.propertyChange",
            "objectId": object_id,
            "propertyName": "industry",
            "propertyValue": value,
        }
    )


def test_chunked_slices_in_order() -> None:
    assert [list(c) for c in chunked(list(range(7)), 3)] == [[0, 1, 2], [3, 4, 5], [6]]


def test_packed_respects_both_limits_and_keeps_order() -> None:
    groups = list(packed(["aa", "bb", "cc", "dddd", "e"], max_bytes=5, max_items=2))
    assert groups == [["aa", "bb"], ["cc"], ["dddd", "e"]]
    assert list(packed(["x" * 10], max_bytes=5, max_items=3)) == [["x" * 10]]


def test_a_full_delivery_is_one_message_in_one_call() -> None:
    sqs = RecordingSqs()
    events = [event(i) for i in range(100)]
    assert SqsEventQueue(sqs, "url").send(events) == 1
    (entries,) = sqs.calls
    assert len(entries) == 1
    assert parse_message(entries[0]["MessageBody"]).events == events


def test_large_deliveries_split_under_the_size_limits() -> None:
    sqs = RecordingSqs()
    events = [event(i, "v" * 5000) for i in range(100)]
    SqsEventQueue(sqs, "url").send(events)
    bodies = [e["MessageBody"] for call in sqs.calls for e in call]
    assert all(len(b.encode()) <= MESSAGE_BYTES for b in bodies)
    assert all(sum(len(e["MessageBody"].encode()) for e in call) <= 250_000 for call in sqs.calls)
    assert [e.object_id for b in bodies for e in parse_message(b).events] == list(range(100))
    assert json.loads(bodies[0])["events"][0]["propertyValue"] == "v" * 5000
