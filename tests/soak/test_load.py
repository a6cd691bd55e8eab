"""Load: 10,000 webhook events through the local runtime (`make soak`), without and with HubSpot's
rate limits."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from leadflow_cli.hubspot_standin.rate_limits import RateLimitPlan
from leadflow_cli.local.polling import wait_for
from leadflow_cli.local.runtime import REGION, LocalRuntime
from leadflow_cli.webhook_sender import HubSpotWebhookSender
from tests.conftest import COLD_PROPS, MQL_PROPS
from tests.journey.helpers import config_file
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
    dlq = dead_letters(runtime)
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


BURST_MQLS = 500


def test_a_burst_of_five_hundred_mqls_clears_under_a_190_per_ten_seconds_portal(
    runtime_factory: Callable[..., LocalRuntime],
    sender_for: Callable[[LocalRuntime], HubSpotWebhookSender],
    tmp_path: Path,
) -> None:
    """10,000 events with 500 new MQLs at once, against HubSpot's Professional limit (190 calls per
    rolling ten seconds), leadflow's budget set to it: every journey starts once and reaches its owner's
    task, nothing lands in the dead-letter queue, HubSpot answers almost no 429, and the time to clear is
    measured against the floor the limit sets. The MQLs that came first are handed off among the first."""
    runtime = runtime_factory(config_file=config_file(tmp_path, _portal_limit(190)))
    store = runtime.standin.store  # type: ignore[union-attr]
    hot = [store.create_object("contacts", dict(MQL_PROPS)) for _ in range(BURST_MQLS)]
    cold = [store.create_object("contacts", dict(COLD_PROPS)) for _ in range(CONTACTS - BURST_MQLS)]
    ids = hot + cold
    store.reset_calls()
    plan = RateLimitPlan(per_ten_seconds=190)
    store.limit_rate(plan)
    sender = sender_for(runtime)
    events = [sender.event("contact.creation", c) for c in ids]
    while len(events) < EVENTS:
        c = cold[len(events) % len(cold)]
        events.append(sender.event("contact.propertyChange", c, "jobtitle", f"Analyst {len(events)}"))
    started = time.perf_counter()
    for start in range(0, EVENTS, 100):
        assert sender.send(events[start : start + 100]).status == 200
    sending = time.perf_counter() - started

    waiting = set(hot)

    def handed_off() -> bool:
        # Only the MQLs still waiting are looked at: the check shares the interpreter with the runtime.
        waiting.difference_update(
            [
                c
                for c in waiting
                if store.get_object("contacts", c)["properties"].get("hubspot_owner_id")
                and store.associations("contacts", c, "tasks")
            ]
        )
        return not waiting

    wait_for(handed_off, timeout_s=1800, every_s=1, what="every MQL to have its owner and task")
    cleared = time.perf_counter() - started
    runtime.wait_until_drained(timeout_s=600)
    assert store.rate_limits is not None
    calls = store.call_count()
    searches = sum(n for route, n in store.calls_by_route().items() if "search" in route)
    refused = sum(store.rate_limits.refused.values())
    # The floor: the calls HubSpot served (a 429 is answered but spends nothing), at the limit's rate.
    floor = (calls - searches - refused) / (plan.per_ten_seconds / plan.window_s)
    tasks = sorted(store.list_objects("tasks"), key=lambda t: int(t["id"]))
    handed = [c for t in tasks for c, _ in store.associations("tasks", t["id"], "contacts")]
    tasks_by_contact = Counter(handed)
    # Where the 50 MQLs that came first stand in the order of hand-offs (1: the first handed off).
    first_fifty = max(handed.index(c) + 1 for c in hot[:50])
    share_429 = refused / calls
    report = {
        "events": EVENTS,
        "mqls": BURST_MQLS,
        "seconds_to_clear": round(cleared, 1),
        # How long HubSpot's 100 deliveries took to be acknowledged, one after another: the local
        # runtime scores and starts journeys meanwhile, in the same process.
        "seconds_sending": round(sending, 1),
        "floor_seconds": round(floor, 1),
        "over_floor": round(cleared / floor, 2),
        "hubspot_calls": calls,
        "calls_per_mql": round(calls / BURST_MQLS, 2),
        "served_calls_per_mql": round((calls - refused) / BURST_MQLS, 2),
        "rate_limited_429s": dict(store.rate_limits.refused),
        "share_429": round(share_429, 4),
        "first_fifty_handed_off_by_rank": first_fifty,
        "hubspot_calls_by_route": store.calls_by_route(),
    }
    print("\nBURST " + json.dumps(report))
    assert sorted(n.split("-")[1] for n in executions(runtime)) == sorted(hot)
    assert sorted(tasks_by_contact) == sorted(hot) and set(tasks_by_contact.values()) == {1}
    assert dead_letters(runtime) == "0"
    assert share_429 < 0.01
    assert first_fifty <= BURST_MQLS // 2


def _portal_limit(calls_per_ten_seconds: int) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        config["portal"]["calls_per_ten_seconds"] = calls_per_ten_seconds

    return change


def dead_letters(runtime: LocalRuntime) -> str:
    return str(
        boto3.client("sqs", region_name=REGION).get_queue_attributes(
            QueueUrl=runtime.queue_urls["LeadEventsDeadLetterQueue"],
            AttributeNames=["ApproximateNumberOfMessages"],
        )["Attributes"]["ApproximateNumberOfMessages"]
    )
