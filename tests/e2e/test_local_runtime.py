"""End to end over HTTP: signed webhooks into the local API, journeys on the embedded engine."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import boto3
import pytest

from leadflow_cli.demo import run_demo
from leadflow_cli.local.polling import wait_for
from leadflow_cli.local.runtime import REGION, LocalRuntime
from leadflow_cli.webhook_sender import HubSpotWebhookSender
from tests.conftest import COLD_PROPS, MQL_PROPS, ROOT

pytestmark = pytest.mark.e2e


def test_a_webhook_becomes_a_journey_and_the_reps_decision_completes_it(
    runtime_factory: Callable[..., LocalRuntime], sender_for: Callable[[LocalRuntime], HubSpotWebhookSender]
) -> None:
    runtime = runtime_factory()
    store = runtime.standin.store  # type: ignore[union-attr]
    hot = store.create_object("contacts", dict(MQL_PROPS))
    cold = store.create_object("contacts", dict(COLD_PROPS))
    sender = sender_for(runtime)
    answer = sender.send([sender.event("contact.creation", hot), sender.event("contact.creation", cold)])
    assert (answer.status, answer.body["enqueued"]) == (200, 2)

    sfn = boto3.client("stepfunctions", region_name=REGION)

    def waiting_execution() -> str | None:
        for execution in sfn.list_executions(stateMachineArn=runtime.journey_arn)["executions"]:
            events = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
            if any(e["type"] == "TaskSubmitted" for e in events):
                return str(execution["executionArn"])
        return None

    arn = wait_for(waiting_execution, what="a journey waiting for the rep")
    assert store.get_object("contacts", hot)["properties"]["lifecyclestage"] == "marketingqualifiedlead"
    assert store.get_object("contacts", cold)["properties"].get("lifecyclestage") in (None, "")

    store.update_object("contacts", hot, {"leadflow_decision": "accept"})
    assert (
        sender.send([sender.event("contact.propertyChange", hot, "leadflow_decision", "accept")]).status
        == 200
    )
    wait_for(
        lambda: sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED", what="the journey to end"
    )
    assert store.get_object("contacts", hot)["properties"]["leadflow_journey_status"] == "sal"
    assert len(sfn.list_executions(stateMachineArn=runtime.journey_arn)["executions"]) == 1


def test_the_demo_ends_every_lead_where_it_should() -> None:
    out = io.StringIO()
    code = run_demo(template=ROOT / "template.yaml", sla_seconds=5.0, as_json=True, out=out)
    summary = json.loads(out.getvalue())
    assert summary["failures"] == []
    assert code == 0
    assert {
        k: summary[k] for k in ("mql", "sal", "escalated", "fallback", "recycled", "rejected", "not_mql")
    } == {
        "mql": 5,
        "sal": 2,
        "escalated": 2,
        "fallback": 1,
        "recycled": 1,
        "rejected": 1,
        "not_mql": 3,
    }
    assert isinstance(summary["hubspot_calls"], int) and summary["hubspot_calls"] > 0
