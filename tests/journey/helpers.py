"""Driving the real journey on the local runtime: start it, play the rep, watch it move."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import yaml

from leadflow.core.journey_record import JourneyRecord
from leadflow.handlers import lead_events
from leadflow_cli.local.polling import wait_for
from leadflow_cli.local.runtime import REGION, LocalRuntime
from leadflow_cli.webhook_sender import HubSpotWebhookSender
from tests.conftest import MQL_PROPS, ROOT
from tests.handlers.test_lead_events import CONTEXT, sqs_event


def sfn() -> Any:
    return boto3.client("stepfunctions", region_name=REGION)


def config_file(tmp_path: Path, change: Callable[[dict[str, Any]], Any]) -> Path:
    """The shipped configuration with one change, written where the runtime can read it."""
    data = yaml.safe_load((ROOT / "functions" / "leadflow.yaml").read_text())
    change(data)
    path = tmp_path / "leadflow.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def start(
    runtime: LocalRuntime, props: dict[str, str] = MQL_PROPS, fast_track: bool = False
) -> tuple[str, str]:
    """Create an MQL contact and start its journey; returns (contact id, execution ARN)."""
    store = runtime.standin.store  # type: ignore[union-attr]
    contact = store.create_object("contacts", {**props, "lifecyclestage": "marketingqualifiedlead"})
    return contact, runtime.start_journey(contact, fast_track=fast_track)


states = LocalRuntime.states_entered


def finished(arn: str, timeout_s: float = 30) -> dict[str, Any]:
    """The execution's description once it is no longer running."""
    return wait_for(
        lambda: (d := sfn().describe_execution(executionArn=arn))["status"] != "RUNNING" and d,
        timeout_s=timeout_s,
        what="execution to finish",
    )


def still_running(runtime: LocalRuntime, arn: str) -> bool:
    """True when the execution, once the runtime has settled, still runs (it waits for something)."""
    runtime.settle()
    return bool(sfn().describe_execution(executionArn=arn)["status"] == "RUNNING")


def changed(runtime: LocalRuntime, contact: str, prop: str, value: str) -> None:
    """HubSpot's app webhook for a property change on the contact, now, through the lead-events handler."""
    at_ms = int(runtime.clock.now().timestamp() * 1000)
    event = HubSpotWebhookSender("http://unused", "unused").event(
        "contact.propertyChange", contact, prop, value, occurred_at_ms=at_ms
    )
    assert lead_events.handler(sqs_event([event]), CONTEXT) == {"batchItemFailures": []}


def decide(
    runtime: LocalRuntime, contact: str, decision: str, reason: str = "", field: str = "leadflow_decision"
) -> None:
    """The rep sets the decision (and reason) in HubSpot; HubSpot's webhook for `field` reaches leadflow."""
    store = runtime.standin.store  # type: ignore[union-attr]
    store.update_object(
        "contacts", contact, {"leadflow_decision": decision, "leadflow_decision_reason": reason}
    )
    changed(runtime, contact, field, decision if field == "leadflow_decision" else reason)


def engage(runtime: LocalRuntime, contact: str, prop: str) -> None:
    """HubSpot stamps an engagement property (meeting booked, email replied, call logged) now."""
    stamp = str(int(runtime.clock.now().timestamp() * 1000))
    runtime.standin.store.update_object("contacts", contact, {prop: stamp})  # type: ignore[union-attr]
    changed(runtime, contact, prop, stamp)


def journey_record(contact: str) -> JourneyRecord:
    """The contact's latest journey record in DynamoDB."""
    from leadflow import wiring

    record = wiring.store().latest_journey(contact)
    assert record is not None, f"contact {contact} has no journey record"
    return record


def waiting_for(runtime: LocalRuntime, contact: str, kind: str) -> JourneyRecord:
    """Once the runtime has settled, the contact's journey waits for `kind` (decision, engagement or
    repair); its record."""
    runtime.settle()
    record = journey_record(contact)
    assert (record.waiting_for, bool(record.task_token)) == (kind, True), (
        f"contact {contact}'s journey waits for {record.waiting_for or 'nothing'}, not a {kind}"
    )
    return record
