"""End to end over HTTP: signed webhooks into the local API, journeys on the embedded engine."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

import boto3
import pytest

from leadflow_cli.local.polling import wait_for
from leadflow_cli.local.runtime import REGION, LocalRuntime
from leadflow_cli.webhook_sender import HubSpotWebhookSender
from tests.conftest import COLD_PROPS, MQL_PROPS, ROOT

pytestmark = pytest.mark.e2e


def test_webhooks_carry_a_lead_from_mql_through_acceptance_to_an_sql_with_a_deal(
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

    def waits(arn: str) -> int:
        # The rep's wait is the AwaitInput function's (HandOff waits on its queue's answer, not on a rep).
        events = runtime.history(arn)
        return sum(1 for e in events if e["type"] == "TaskSubmitted" and "invoke.waitForTaskToken" in str(e))

    def waiting_execution() -> str | None:
        for execution in sfn.list_executions(stateMachineArn=runtime.journey_arn)["executions"]:
            if waits(execution["executionArn"]):
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
        lambda: store.get_object("contacts", hot)["properties"].get("leadflow_journey_status") == "sal",
        what="the lead to be sales accepted",
    )
    store.update_object("contacts", hot, {"engagements_last_meeting_booked": "1764000000000"})
    meeting = sender.event("contact.propertyChange", hot, "engagements_last_meeting_booked", "1764000000000")
    assert sender.send([meeting]).status == 200
    wait_for(
        lambda: sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED", what="the journey to end"
    )
    props = store.get_object("contacts", hot)["properties"]
    assert (props["leadflow_journey_status"], props["lifecyclestage"]) == ("sql", "salesqualifiedlead")
    (deal,) = store.list_objects("deals")
    assert store.associations("deals", deal["id"], "contacts") == [(hot, 3)]
    assert len(sfn.list_executions(stateMachineArn=runtime.journey_arn)["executions"]) == 1


def test_the_demo_ends_every_lead_where_it_should_and_its_json_is_all_it_prints() -> None:
    demo = subprocess.run(
        [sys.executable, "-m", "leadflow_cli.main", "demo", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert demo.stdout.count("\n") == 1, "--json prints one JSON object and nothing else"
    summary = json.loads(demo.stdout)
    assert summary["failures"] == []
    assert demo.returncode == 0
    assert {
        k: summary[k] for k in ("mql", "sql", "escalated", "fallback", "recycled", "rejected", "not_mql")
    } == {
        "mql": 9,
        "sql": 5,
        "escalated": 2,
        "fallback": 1,
        "recycled": 2,
        "rejected": 1,
        "not_mql": 3,
    }
    assert summary["sql_by_policy"] == {"engagement_required": 3, "fast_track": 1, "meeting_booked": 1}
    # Wes was handed off by a HubSpot workflow, which resumed on the journey's outcome.
    assert summary["workflow_branches"] == {"Wes Walker": "sql"}
    assert isinstance(summary["hubspot_calls"], int) and summary["hubspot_calls"] > 0
    # Every HubSpot call is on the date-based API: none on the v1-v4 paths HubSpot drops in 2027.
    assert summary["hubspot_calls_by_api"] == {"2026-09": summary["hubspot_calls"]}
    # Seven leads were decided by a rep (Noah was fast-tracked, Lea nobody decided on), five accepted;
    # Tom's decision came after a reminder and Lea reached the fallback: 6 of 8 met the SLA.
    everyone = summary["funnel"]["all"]
    assert (everyone["mqls"], everyone["decided"], everyone["accepted"]) == (9, 7, 5)
    assert (everyone["decided_within_sla"], everyone["sla_compliance"]) == (6, 0.75)
    assert summary["funnel"]["enterprise"]["sql_by_path"] == {"fast_track": 1}
    # Both escalated leads' reminders, then Lea's manager alert, reassignment and fallback reach
    # the team channel; Tom accepted after his reminder, so his manager never hears of him.
    texts = summary["notifications"]
    assert sum(t.startswith("Reminder for") for t in texts) == 2
    assert sum("reassigned by weighted round robin" in t for t in texts) == 1
    assert sum("the fallback queue queue@example.com owns the lead" in t for t in texts) == 1
    assert sum(t.startswith("For maria@example.com") for t in texts) == 1
    assert len(texts) == 5
