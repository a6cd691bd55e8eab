"""One bad message never takes its neighbours down: each poison an earlier version queued, beside other
contacts' events, a workflow's record and a blocked workflow's callback completion, through the real
lead-events handler. The good ones are done; the poison is set aside in the dead-letter queue with
its reason, or, where it can be read after all, done too."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from leadflow.handlers import lead_events
from leadflow.webhooks.workflow_records import WorkflowRecord
from leadflow_cli.local.runtime import LocalRuntime
from leadflow_cli.webhook_sender import HubSpotWebhookSender
from tests.conftest import COLD_PROPS, MQL_PROPS
from tests.handlers.test_lead_events import CONTEXT, dead_letters, sqs_event

SENDER = HubSpotWebhookSender("http://unused", "unused")
CALLBACK = "ap-4242-1-1-101"


def signal_body(contact: str, occurred_at: str, **attributes: str) -> str:
    signal = {"type": "conversation_reply", "occurred_at": occurred_at, "attributes": attributes}
    return json.dumps({"signals": [{"contact_id": contact, "signal": {**signal, "source": "inbox"}}]})


def event_body(contact: str, occurred_at: int) -> str:
    return json.dumps({"events": [SENDER.event("contact.creation", contact, occurred_at_ms=occurred_at)]})


def record_body(contact: str, changed_at: int) -> str:
    record = {
        "object_id": contact,
        "properties": {"leadflow_decision": "accept"},
        "complete": False,
        "identity": "poisoned-record",
        "changed_at": {"leadflow_decision": changed_at},
    }
    return json.dumps({"records": [record]})


# Each poison, as the lead-events queue held it, with what its reason must say: None when it is read
# and done after all.
POISONS: dict[str, tuple[Callable[[str], str], str | None]] = {
    "event dated 10^20 ms": (lambda c: event_body(c, 10**20), "events.0.occurredAt"),
    "event dated before year one": (lambda c: event_body(c, -(10**15)), "events.0.occurredAt"),
    "record stamped 10^20 ms": (lambda c: record_body(c, 10**20), "records.0.changed_at.leadflow_decision"),
    "signal too large for the contact's signals item": (
        lambda c: signal_body(c, "2026-11-24T09:00:00Z", notes="x" * 420_000),
        "exceeded the maximum allowed size",
    ),
    "signal without a time zone": (
        lambda c: signal_body(c, "2026-11-24T09:00:00", problem="missed MQLs"),
        None,
    ),
}


def neighbours(runtime: LocalRuntime) -> tuple[list[Any], Callable[[], None]]:
    """Good messages of every kind: another contact's event, a workflow's record, a callback completion;
    and the check that each was done."""
    store = runtime.standin.store  # type: ignore[union-attr]
    evented = store.create_object("contacts", dict(COLD_PROPS))
    recorded = store.create_object("contacts", dict(COLD_PROPS))
    runtime.standin.automation.block(CALLBACK, "P1D")  # type: ignore[union-attr]
    record = WorkflowRecord(object_id=recorded, properties=dict(MQL_PROPS), complete=False, identity="good")
    completion = {
        "callback_id": CALLBACK,
        "output_fields": {"hs_execution_state": "SUCCESS", "outcome": "sql"},
    }
    bodies = [
        SENDER.event("contact.creation", evented),
        json.dumps({"records": [record.model_dump(mode="json")]}),
        json.dumps({"completions": [completion]}),
    ]

    def done() -> None:
        assert store.get_object("contacts", evented)["properties"].get("leadflow_score")
        assert (
            store.get_object("contacts", recorded)["properties"].get("lifecyclestage")
            == "marketingqualifiedlead"
        )
        assert runtime.standin.automation.blocked(CALLBACK).state == "COMPLETED"  # type: ignore[union-attr]

    return bodies, done


@pytest.mark.parametrize("poison", POISONS, ids=list(POISONS))
def test_a_poison_beside_good_messages_leaves_them_done(
    runtime_factory: Callable[..., LocalRuntime], poison: str
) -> None:
    runtime = runtime_factory(consume_queues=False)
    store = runtime.standin.store  # type: ignore[union-attr]
    target = store.create_object("contacts", dict(COLD_PROPS))
    make, reason = POISONS[poison]
    good, done = neighbours(runtime)
    event = sqs_event([good[0], make(target), *good[1:]])

    answer = lead_events.handler(event, CONTEXT)

    assert answer == {"batchItemFailures": []}
    done()
    set_aside = dead_letters(runtime)
    if reason is None:
        assert set_aside == []
        assert store.get_object("contacts", target)["properties"].get("leadflow_score")
        return
    ((body, attributes),) = set_aside
    assert body == event["Records"][1]["body"]
    assert attributes["leadflow.message_id"] == event["Records"][1]["messageId"]
    assert reason in attributes["leadflow.reason"]


def test_a_message_that_fails_with_nothing_beside_it_succeeding_comes_back_and_is_not_set_aside(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory(consume_queues=False)
    target = runtime.standin.store.create_object("contacts", dict(COLD_PROPS))  # type: ignore[union-attr]
    make, _ = POISONS["signal too large for the contact's signals item"]
    event = sqs_event([make(target)])
    answer = lead_events.handler(event, CONTEXT)
    # Alone, a failure may be the platform's: it is tried again, and SQS's redrive has the last word.
    assert answer == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert dead_letters(runtime) == []
