"""The real lead journey ASL, executed by the embedded Step Functions engine, branch by branch."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import boto3
import pytest

from leadflow.handlers import lead_events
from leadflow_cli.local.polling import wait_for
from leadflow_cli.local.runtime import REGION, LocalRuntime
from leadflow_cli.webhook_sender import HubSpotWebhookSender
from tests.conftest import MQL_PROPS
from tests.handlers.test_lead_events import CONTEXT, sqs_event

SLA_SECONDS = 1.0
TIME_SCALE = 4 * 3600 / SLA_SECONDS  # the shipped configuration's 4 h SLA lasts one second


@pytest.fixture
def runtime(runtime_factory: Callable[..., LocalRuntime]) -> LocalRuntime:
    return runtime_factory(consume_queues=False, time_scale=TIME_SCALE)


def sfn() -> Any:
    return boto3.client("stepfunctions", region_name=REGION)


def start(runtime: LocalRuntime, max_escalations: int = 2) -> tuple[str, str]:
    """Create an MQL contact and start its journey; returns (contact id, execution ARN)."""
    store = runtime.standin.store  # type: ignore[union-attr]
    contact = store.create_object("contacts", {**MQL_PROPS, "lifecyclestage": "marketingqualifiedlead"})
    arn = runtime.start_journey(contact, max_escalations=max_escalations)
    return contact, arn


def states(arn: str) -> list[str]:
    events = sfn().get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def waiting_count(arn: str) -> int:
    return states(arn).count("AwaitDecision")


def finished(arn: str) -> dict[str, Any]:
    return wait_for(
        lambda: (d := sfn().describe_execution(executionArn=arn))["status"] != "RUNNING" and d,
        timeout_s=30,
        what="execution to finish",
    )


def decide(runtime: LocalRuntime, contact: str, decision: str, reason: str = "") -> None:
    """The rep sets the decision in HubSpot, and HubSpot's webhook reaches the lead-events function."""
    store = runtime.standin.store  # type: ignore[union-attr]
    store.update_object(
        "contacts", contact, {"leadflow_decision": decision, "leadflow_decision_reason": reason}
    )
    event = HubSpotWebhookSender("http://unused", "unused").event(
        "contact.propertyChange", contact, "leadflow_decision", decision
    )
    assert lead_events.handler(sqs_event([event]), CONTEXT) == {"batchItemFailures": []}


def token_registered(runtime: LocalRuntime, contact: str) -> bool:
    from leadflow import wiring

    record = wiring.store().latest_journey(contact)
    return bool(record and record.get("task_token"))


def test_accept_within_the_sla_makes_a_sales_accepted_lead(runtime: LocalRuntime) -> None:
    store = runtime.standin.store  # type: ignore[union-attr]
    contact, arn = start(runtime)
    wait_for(lambda: token_registered(runtime, contact), what="the journey to wait for a decision")
    props = store.get_object("contacts", contact)["properties"]
    owner = props["hubspot_owner_id"]
    assert props["leadflow_journey_status"] == "awaiting_decision"
    (task,) = store.list_objects("tasks")
    assert task["properties"]["hubspot_owner_id"] == owner
    assert store.associations("tasks", task["id"], "contacts") == [(contact, 204)]
    due_ms = int(task["properties"]["hs_timestamp"])
    sla_due = datetime.fromisoformat(props["leadflow_sla_due_at"])
    assert abs(due_ms / 1000 - sla_due.timestamp()) < 1

    decide(runtime, contact, "accept")
    assert finished(arn)["status"] == "SUCCEEDED"
    assert states(arn) == ["Route", "HandOff", "AwaitDecision", "Decide", "MarkSal", "SalesAccepted"]
    props = store.get_object("contacts", contact)["properties"]
    assert (props["leadflow_journey_status"], props["hs_lead_status"]) == ("sal", "IN_PROGRESS")
    assert store.get_object("tasks", task["id"])["properties"]["hs_task_status"] == "COMPLETED"


def test_a_missed_sla_reassigns_to_the_next_owner_who_can_still_accept(runtime: LocalRuntime) -> None:
    store = runtime.standin.store  # type: ignore[union-attr]
    contact, arn = start(runtime)
    wait_for(lambda: token_registered(runtime, contact), what="first wait")
    first_owner = store.get_object("contacts", contact)["properties"]["hubspot_owner_id"]
    wait_for(
        lambda: waiting_count(arn) == 2 and token_registered(runtime, contact), what="the escalated wait"
    )
    props = store.get_object("contacts", contact)["properties"]
    assert props["hubspot_owner_id"] != first_owner
    assert props["leadflow_escalations"] == "1"
    notes = store.list_objects("notes")
    assert len(notes) == 1 and "SLA of 4 h missed" in notes[0]["properties"]["hs_note_body"]
    decide(runtime, contact, "accept")
    assert finished(arn)["status"] == "SUCCEEDED"
    assert states(arn)[:5] == ["Route", "HandOff", "AwaitDecision", "Escalate", "AfterEscalation"]
    assert states(arn)[-2:] == ["MarkSal", "SalesAccepted"]
    tasks = sorted(store.list_objects("tasks"), key=lambda t: int(t["id"]))
    assert [t["properties"]["hs_task_status"] for t in tasks] == ["COMPLETED", "COMPLETED"]


def test_when_every_escalation_is_missed_the_fallback_queue_owns_the_lead(runtime: LocalRuntime) -> None:
    store = runtime.standin.store  # type: ignore[union-attr]
    contact, arn = start(runtime, max_escalations=1)
    assert finished(arn)["status"] == "SUCCEEDED"
    assert states(arn) == [
        "Route",
        "HandOff",
        "AwaitDecision",
        "Escalate",
        "AfterEscalation",
        "AwaitDecision",
        "Escalate",
        "AfterEscalation",
        "AssignedToFallbackQueue",
    ]
    from leadflow import wiring

    queue_owner = {o.email: o.id for o in wiring.hubspot().list_owners()}["queue@example.com"]
    assert store.get_object("contacts", contact)["properties"]["hubspot_owner_id"] == queue_owner


def test_reject_closes_the_journey_with_the_reason(runtime: LocalRuntime) -> None:
    from leadflow import wiring

    store = runtime.standin.store  # type: ignore[union-attr]
    contact, arn = start(runtime)
    wait_for(lambda: token_registered(runtime, contact), what="the wait")
    decide(runtime, contact, "reject", "not_icp")
    assert finished(arn)["status"] == "SUCCEEDED"
    assert states(arn)[-2:] == ["CloseJourney", "Closed"]
    props = store.get_object("contacts", contact)["properties"]
    assert (props["leadflow_journey_status"], props["hs_lead_status"]) == ("rejected", "UNQUALIFIED")
    record = wiring.store().latest_journey(contact)
    assert record is not None and (record["status"], record["reason"]) == ("rejected", "not_icp")


def test_recycle_moves_the_lifecycle_stage_back_to_lead(runtime: LocalRuntime) -> None:
    store = runtime.standin.store  # type: ignore[union-attr]
    contact, arn = start(runtime)
    wait_for(lambda: token_registered(runtime, contact), what="the wait")
    decide(runtime, contact, "recycle", "bad_timing")
    assert finished(arn)["status"] == "SUCCEEDED"
    props = store.get_object("contacts", contact)["properties"]
    assert (props["lifecyclestage"], props["leadflow_journey_status"]) == ("lead", "recycled")
    assert not props.get("leadflow_mql_at")


def test_round_robin_gives_consecutive_leads_to_different_owners(runtime: LocalRuntime) -> None:
    store = runtime.standin.store  # type: ignore[union-attr]
    first, _ = start(runtime)
    second, _ = start(runtime)
    owners = wait_for(
        lambda: (
            [store.get_object("contacts", c)["properties"].get("hubspot_owner_id") for c in (first, second)]
            if token_registered(runtime, first) and token_registered(runtime, second)
            else None
        ),
        what="both handoffs",
    )
    assert owners[0] != owners[1]


def test_an_unknown_decision_value_is_ignored_and_the_journey_keeps_waiting(runtime: LocalRuntime) -> None:
    contact, arn = start(runtime, max_escalations=0)
    wait_for(lambda: token_registered(runtime, contact), what="the wait")
    decide(runtime, contact, "maybe")
    assert token_registered(runtime, contact)
    assert finished(arn)["status"] == "SUCCEEDED"
    assert states(arn)[-1] == "AssignedToFallbackQueue"
