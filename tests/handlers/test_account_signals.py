"""Account-level signals: one contact search per company per batch, at most a hundred contacts reached,
and companies past a batch's searches waiting for a later batch, through the lead-events handler."""

from __future__ import annotations

import json
from collections.abc import Callable

import boto3
import pytest

from leadflow.app.lead_events import MAX_ACCOUNTS
from leadflow.handlers import lead_events
from leadflow_cli.local.runtime import REGION, LocalRuntime
from tests.handlers.test_lead_events import CONTEXT, sqs_event

FIT = {"industry": "COMPUTER_SOFTWARE", "numemployees": "500-1000", "jobtitle": "Head of RevOps"}


def surge(company: str, strength: int = 85) -> dict[str, object]:
    return {
        "company_id": company,
        "signal": {
            "type": "intent_surge",
            "occurred_at": "2026-11-24T09:00:00Z",
            "attributes": {"strength": str(strength), "topic": f"topic {strength}"},
            "source": "intent-provider",
        },
    }


def message(*signals: dict[str, object]) -> str:
    return json.dumps({"signals": list(signals)})


def rescored(runtime: LocalRuntime, contacts: list[str]) -> list[str]:
    store = runtime.standin.store  # type: ignore[union-attr]
    return [c for c in contacts if store.get_object("contacts", c)["properties"].get("leadflow_intent_score")]


def test_a_hundred_signals_about_one_company_make_one_contact_search(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory(consume_queues=False, time_scale=None)
    store = runtime.standin.store  # type: ignore[union-attr]
    company = store.create_object("companies", {"name": "Acme"})
    staff = [store.create_object("contacts", {**FIT, "associatedcompanyid": company}) for _ in range(3)]
    store.reset_calls()
    batch = sqs_event([message(*(surge(company, 70 + i % 30) for i in range(100))), message(surge(company))])

    assert lead_events.handler(batch, CONTEXT) == {"batchItemFailures": []}

    assert store.calls_by_route()["contacts.search"] == 1
    assert rescored(runtime, staff) == staff


def test_an_account_signal_reaches_at_most_a_hundred_contacts_and_says_so(
    runtime_factory: Callable[..., LocalRuntime], caplog: pytest.LogCaptureFixture
) -> None:
    runtime = runtime_factory(consume_queues=False, time_scale=None)
    store = runtime.standin.store  # type: ignore[union-attr]
    company = store.create_object("companies", {"name": "Globex"})
    staff = [store.create_object("contacts", {**FIT, "associatedcompanyid": company}) for _ in range(101)]
    store.reset_calls()

    assert lead_events.handler(sqs_event([message(surge(company))]), CONTEXT) == {"batchItemFailures": []}

    assert len(rescored(runtime, staff)) == 100
    assert store.calls_by_route()["contacts.search"] == 1
    assert (
        f"an account-level signal reaches at most 100 contacts; company {company} may have more"
        in caplog.text
    )


def test_companies_past_a_batchs_searches_wait_in_the_queue_for_a_later_batch(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory(consume_queues=False, time_scale=None)
    store = runtime.standin.store  # type: ignore[union-attr]
    companies = [store.create_object("companies", {"name": f"Co {i}"}) for i in range(MAX_ACCOUNTS + 5)]
    staff = [store.create_object("contacts", {**FIT, "associatedcompanyid": c}) for c in companies]
    store.reset_calls()
    batch = sqs_event([message(surge(c)) for c in companies])

    assert lead_events.handler(batch, CONTEXT) == {"batchItemFailures": []}

    assert store.calls_by_route()["contacts.search"] == MAX_ACCOUNTS
    assert rescored(runtime, staff) == staff[:MAX_ACCOUNTS]
    # The other five are queued again as they came, for a later batch: no receive spent on them.
    sqs = boto3.client("sqs", region_name=REGION)
    attributes = sqs.get_queue_attributes(
        QueueUrl=runtime.queue_urls["LeadEventsQueue"], AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    assert int(attributes["ApproximateNumberOfMessagesDelayed"]) == 5
