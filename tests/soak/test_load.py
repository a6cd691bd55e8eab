"""Load: 10,000 webhook events through the local runtime (`make soak`)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import boto3
import pytest

from leadflow_cli.local.polling import wait_for
from leadflow_cli.local.runtime import REGION, LocalRuntime
from leadflow_cli.webhook_sender import HubSpotWebhookSender
from tests.conftest import COLD_PROPS, MQL_PROPS
from tests.reliability.test_delivery import executions

pytestmark = pytest.mark.soak

EVENTS = 10_000
CONTACTS = 2_000
MQL_EVERY = 50  # 2% of contacts qualify, so 40 journeys run beside the scoring load


def test_ten_thousand_events_are_scored_with_nothing_lost(
    runtime_factory: Callable[..., LocalRuntime], sender_for: Callable[[LocalRuntime], HubSpotWebhookSender]
) -> None:
    runtime = runtime_factory()
    store = runtime.standin.store  # type: ignore[union-attr]
    ids = [
        store.create_object("contacts", dict(MQL_PROPS if i % MQL_EVERY == 0 else COLD_PROPS))
        for i in range(CONTACTS)
    ]
    store.reset_calls()
    sender = sender_for(runtime)
    events = [sender.event("contact.creation", c) for c in ids]
    while len(events) < EVENTS:
        c = ids[len(events) % CONTACTS]
        events.append(sender.event("contact.propertyChange", c, "numemployees", str(len(events))))
    started = time.perf_counter()
    acks = []
    for start in range(0, EVENTS, 100):
        answer = sender.send(events[start : start + 100])
        assert answer.status == 200
        acks.append(answer.elapsed_ms)
    runtime.wait_until_drained(timeout_s=600)
    wait_for(lambda: len(executions(runtime)) >= CONTACTS // MQL_EVERY, timeout_s=300, what="journeys")
    elapsed = time.perf_counter() - started
    scored = sum(1 for c in ids if store.get_object("contacts", c)["properties"].get("leadflow_fit_tier"))
    dlq = boto3.client("sqs", region_name=REGION).get_queue_attributes(
        QueueUrl=runtime.queue_urls["LeadEventsDeadLetterQueue"],
        AttributeNames=["ApproximateNumberOfMessages"],
    )["Attributes"]["ApproximateNumberOfMessages"]
    report = {
        "events": EVENTS,
        "contacts": CONTACTS,
        "seconds": round(elapsed, 1),
        "events_per_s": round(EVENTS / elapsed),
        "ack_ms_p50": round(sorted(acks)[len(acks) // 2], 1),
        "ack_ms_max": round(max(acks), 1),
        "hubspot_calls": store.call_count(),
        "hubspot_calls_by_route": store.calls_by_route(),
        "journeys": len(executions(runtime)),
    }
    print("\nSOAK " + json.dumps(report))
    assert scored == CONTACTS
    assert sorted(n.split("-")[1] for n in executions(runtime)) == sorted(ids[::MQL_EVERY])
    assert dlq == "0"
