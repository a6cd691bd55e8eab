"""Nothing lost, nothing doubled: duplicated and shuffled deliveries, HubSpot faults, the DLQ."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from leadflow import wiring
from leadflow_cli.hubspot_standin import FaultPlan
from leadflow_cli.local.polling import wait_for
from leadflow_cli.local.runtime import REGION, LocalRuntime
from leadflow_cli.webhook_sender import HubSpotWebhookSender
from tests.conftest import COLD_PROPS, MQL_PROPS
from tests.journey.helpers import config_file

Sender = Callable[[LocalRuntime], HubSpotWebhookSender]
# Each test runs with the handoff on the contact and on a HubSpot Lead.
HANDOFFS = pytest.mark.parametrize("handoff", ["contact", "lead"])


def on(
    runtime_factory: Callable[..., LocalRuntime], tmp_path: Path, handoff: str, **options: Any
) -> LocalRuntime:
    """A runtime whose teams all hand off on `handoff`."""

    def every_team(data: dict[str, Any]) -> None:
        for team in data["routing"]["teams"].values():
            team["handoff"] = handoff

    return runtime_factory(config_file=config_file(tmp_path, every_team), **options)


def handed_off(runtime: LocalRuntime, handoff: str) -> list[str]:
    """The contacts with a handoff: a task tied to them, and (on leads) a lead tied to the task."""
    store = runtime.standin.store  # type: ignore[union-attr]
    contacts = []
    for task in store.list_objects("tasks"):
        ((contact, _),) = store.associations("tasks", task["id"], "contacts")
        if handoff == "lead":
            ((lead, _),) = store.associations("tasks", task["id"], "leads")
            assert store.associations("leads", lead, "contacts") == [(contact, 578)]
        contacts.append(contact)
    if handoff == "lead":
        owners = [
            store.associations("leads", lead["id"], "contacts")[0][0] for lead in store.list_objects("leads")
        ]
        assert sorted(owners) == sorted(contacts), "one lead per handoff"
    return sorted(contacts)


def executions(runtime: LocalRuntime) -> list[str]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=runtime.journey_arn)
    return [e["name"] for page in pages for e in page["executions"]]


def failures(runtime: LocalRuntime) -> list[str]:
    """Each journey's status and the errors in its history, to explain a timeout."""
    sfn = boto3.client("stepfunctions", region_name=REGION)
    report = []
    for execution in sfn.list_executions(stateMachineArn=runtime.journey_arn)["executions"]:
        events = runtime.history(execution["executionArn"])
        errors = [
            f"{d.get('error')}: {str(d.get('cause'))[:300]}"
            for e in events
            if e["type"] == "TaskFailed" and (d := e.get("taskFailedEventDetails", {}))
        ]
        report.append(f"{execution['name']} {execution['status']} {errors}")
    return report


@HANDOFFS
def test_every_event_three_times_shuffled_gives_one_journey_and_one_task_per_mql(
    runtime_factory: Callable[..., LocalRuntime], sender_for: Sender, tmp_path: Path, handoff: str
) -> None:
    runtime = on(runtime_factory, tmp_path, handoff)
    store = runtime.standin.store  # type: ignore[union-attr]
    hot = [store.create_object("contacts", dict(MQL_PROPS)) for _ in range(8)]
    cold = [store.create_object("contacts", dict(COLD_PROPS)) for _ in range(4)]
    sender = sender_for(runtime)
    events = [sender.event("contact.creation", c) for c in hot + cold]
    events += [sender.event("contact.propertyChange", c, "industry", "COMPUTER_SOFTWARE") for c in hot]
    deliveries = [dict(e, attemptNumber=n) for e in events for n in range(3)]
    random.Random(7).shuffle(deliveries)
    for start in range(0, len(deliveries), 7):
        assert sender.send(deliveries[start : start + 7]).status == 200
    # Generous: at many pytest workers on few cores the work takes longer; the outcome must not change.
    wait_for(lambda: len(executions(runtime)) >= len(hot), timeout_s=120, what="journeys")
    wait_for(lambda: len(store.list_objects("tasks")) >= len(hot), timeout_s=120, what="handoff tasks")
    runtime.wait_until_drained()
    assert sorted(name.split("-")[1] for name in executions(runtime)) == sorted(hot)
    assert handed_off(runtime, handoff) == sorted(hot)
    # No double assignment: the rotation counted exactly one lead per journey.
    assert sum(s.received for s in wiring.store().standings("sales").values()) == len(hot)


@HANDOFFS
def test_a_decision_delivered_three_times_resumes_the_journey_once(
    runtime_factory: Callable[..., LocalRuntime], sender_for: Sender, tmp_path: Path, handoff: str
) -> None:
    runtime = on(runtime_factory, tmp_path, handoff)
    store = runtime.standin.store  # type: ignore[union-attr]
    contact = store.create_object("contacts", dict(MQL_PROPS))
    sender = sender_for(runtime)
    sender.send([sender.event("contact.creation", contact)])
    wait_for(
        lambda: (r := wiring.store().latest_journey(contact)) and r.task_token, timeout_s=60, what="the wait"
    )
    if handoff == "lead":
        (lead_id,) = [lead for lead, _ in store.associations("contacts", contact, "leads")]
        store.update_object("leads", lead_id, {"hs_pipeline_stage": "attempting-stage-id"})
        store.webhooks.take()  # delivered below, three times
        decision = sender.event(
            "object.propertyChange",
            lead_id,
            "hs_pipeline_stage",
            "attempting-stage-id",
            object_type_id="0-136",
        )
    else:
        store.update_object("contacts", contact, {"leadflow_decision": "accept"})
        decision = sender.event("contact.propertyChange", contact, "leadflow_decision", "accept")
    for attempt in range(3):
        sender.send([dict(decision, attemptNumber=attempt, eventId=decision["eventId"] + attempt)])
    wait_for(
        lambda: store.get_object("contacts", contact)["properties"].get("leadflow_journey_status") == "sal",
        timeout_s=60,
        what="SAL",
    )
    runtime.wait_until_drained()
    (name,) = executions(runtime)
    arn = f"{runtime.journey_arn.replace(':stateMachine:', ':execution:')}:{name}"
    assert runtime.states_entered(arn).count("MarkSal") == 1


@HANDOFFS
def test_hubspot_rate_limits_and_outages_lose_and_double_nothing(
    runtime_factory: Callable[..., LocalRuntime], sender_for: Sender, tmp_path: Path, handoff: str
) -> None:
    runtime = on(runtime_factory, tmp_path, handoff, visibility_timeout_s=2)
    store = runtime.standin.store  # type: ignore[union-attr]
    hot = [store.create_object("contacts", dict(MQL_PROPS)) for _ in range(6)]
    cold = [store.create_object("contacts", dict(COLD_PROPS)) for _ in range(6)]
    # Seeded so that the first dozen calls see every kind of fault.
    store.faults = FaultPlan(
        rate_limit_share=0.2, server_error_share=0.15, drop_share=0.1, retry_after_s=0, seed=1
    )
    sender = sender_for(runtime)
    for contact in hot + cold:
        assert sender.send([sender.event("contact.creation", contact)]).status == 200
    wait_for(lambda: len(executions(runtime)) == len(hot), timeout_s=90, what="every MQL's journey")
    try:
        # Generous: a 429 that outlasts the client's retries waits for the journey's 10 s backoff.
        wait_for(lambda: len(store.list_objects("tasks")) >= len(hot), timeout_s=150, what="every handoff")
    except TimeoutError as exc:
        raise AssertionError(f"{exc}; journeys: {failures(runtime)}") from None
    store.faults = FaultPlan()
    runtime.wait_until_drained(timeout_s=60)
    assert min(store.faults_served[kind] for kind in ("rate_limit", "server_error", "drop")) > 0, (
        store.faults_served
    )
    assert sorted(name.split("-")[1] for name in executions(runtime)) == sorted(hot)
    assert all(store.get_object("contacts", c)["properties"].get("leadflow_fit_tier") for c in hot + cold)
    assert handed_off(runtime, handoff) == sorted(hot)


def test_a_message_that_keeps_failing_lands_in_the_dead_letter_queue(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory(visibility_timeout_s=1)
    sqs = boto3.client("sqs", region_name=REGION)
    poison = json.dumps({"events": [{"objectId": "not a number"}]})
    sqs.send_message(QueueUrl=runtime.queue_urls["LeadEventsQueue"], MessageBody=poison)
    dlq = runtime.queue_urls["LeadEventsDeadLetterQueue"]

    def in_dlq() -> list[str]:
        return [m["Body"] for m in sqs.receive_message(QueueUrl=dlq, VisibilityTimeout=0).get("Messages", [])]

    assert wait_for(in_dlq, timeout_s=30, what="the poison message in the DLQ") == [poison]
