"""leadflow's custom workflow actions, published with the real client into the HubSpot stand-in and
run by its workflow engine against `leadflow local`: scoring at once, and a hand-off the workflow
waits on until the journey ends, resuming exactly once with the outcome it branches on."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hubspot import HubSpot

from leadflow.core.config import load_config
from leadflow.settings import DEFAULT_CONFIG_FILE
from leadflow_cli.hubspot_standin import FaultPlan
from leadflow_cli.hubspot_standin.workflows import CustomAction, Execution, Workflows
from leadflow_cli.local.runtime import DEFAULT_DEVELOPER_KEY, LocalRuntime
from leadflow_cli.webhook_sender import post
from leadflow_cli.workflow_actions import publish
from tests.conftest import COLD_PROPS, MQL_PROPS
from tests.journey.helpers import decide, engage, journey_record, waiting_for

LEGACY_APP = 777


def install(runtime: LocalRuntime) -> dict[str, str]:
    """leadflow's actions as the HubSpot project installed them in the stand-in: definition id by name."""
    app = runtime.hubspot_app
    assert app is not None
    return {
        "Score with leadflow": app.actions["leadflow_score"],
        "Hand off with leadflow": app.actions["leadflow_handoff"],
    }


@pytest.fixture
def runtime(runtime_factory: Callable[..., LocalRuntime]) -> LocalRuntime:
    return runtime_factory(time_scale=None, visibility_timeout_s=1)


def contact(runtime: LocalRuntime, props: dict[str, str]) -> str:
    return runtime.standin.store.create_object("contacts", dict(props))  # type: ignore[union-attr]


def hand_off(runtime: LocalRuntime, contact_id: str, **inputs: str) -> tuple[Workflows, Execution]:
    workflows = runtime.workflows()
    action = CustomAction(
        runtime.hubspot_app.app_id,  # type: ignore[union-attr]
        install(runtime)["Hand off with leadflow"],
        inputs,
    )
    return workflows, workflows.run_action(contact_id, action)


def test_a_legacy_app_gets_the_two_actions_created_then_updated(runtime: LocalRuntime) -> None:
    client = HubSpot(api_key=DEFAULT_DEVELOPER_KEY, host=runtime.standin.base_url)  # type: ignore[union-attr]
    url = runtime.api_url + "/workflows/actions"
    first = publish(client, LEGACY_APP, load_config(DEFAULT_CONFIG_FILE), url).created
    again = publish(client, LEGACY_APP, load_config(DEFAULT_CONFIG_FILE), url)
    assert set(first) == {"Score with leadflow", "Hand off with leadflow"}
    assert (again.created, again.updated) == ({}, first)
    handoff = runtime.standin.automation.definition(str(LEGACY_APP), first["Hand off with leadflow"])  # type: ignore[union-attr]
    outputs = {o["typeDefinition"]["name"]: o["typeDefinition"] for o in handoff["outputFields"]}
    assert [o["value"] for o in outputs["team"]["options"]] == ["enterprise", "sales", "sdr"]
    assert "not_icp" in [o["value"] for o in outputs["reason"]["options"]]
    assert handoff["revisionId"] == "2"


def test_score_with_leadflow_answers_at_once_with_the_score_card(runtime: LocalRuntime) -> None:
    hot = contact(runtime, MQL_PROPS)
    workflows = runtime.workflows()
    execution = workflows.run_action(
        hot,
        CustomAction(
            runtime.hubspot_app.app_id,  # type: ignore[union-attr]
            install(runtime)["Score with leadflow"],
        ),
    )
    assert (execution.state, execution.outputs["hs_execution_state"], execution.outputs["is_mql"]) == (
        "SUCCESS",
        "SUCCESS",
        "true",
    )
    assert int(execution.outputs["score"]) >= 55 and execution.outputs["tier"] in ("A", "B")
    assert runtime.standin.store.call_count("contacts.batch_read") == 0  # type: ignore[union-attr]


def test_a_hand_off_blocks_until_the_journey_reaches_sql_and_resumes_with_its_outcome(
    runtime: LocalRuntime,
) -> None:
    hot = contact(runtime, MQL_PROPS)
    workflows, execution = hand_off(runtime, hot)
    assert execution.state == "BLOCKED" and execution.outputs["hs_expiration_duration"] == "P30D"
    waiting_for(runtime, hot, "decision")
    decide(runtime, hot, "accept")
    waiting_for(runtime, hot, "engagement")
    engage(runtime, hot, "engagements_last_meeting_booked")
    done = workflows.finish(execution)
    record = journey_record(hot)
    assert (done.state, done.outputs["outcome"], done.outputs["sql_path"]) == (
        "COMPLETED",
        "sql",
        "engagement_required",
    )
    assert (done.outputs["deal_id"], done.outputs["team"], done.outputs["owner_id"]) == (
        record.deal_id,
        "sales",
        record.owner_id,
    )
    assert float(done.outputs["hours_to_decision"]) >= 0


@pytest.mark.parametrize(("service", "operation"), [("states", "StartExecution"), ("dynamodb", "UpdateItem")])
def test_a_hand_off_that_failed_after_tying_its_callback_is_finished_by_hubspots_retry(
    runtime: LocalRuntime, service: str, operation: str
) -> None:
    # The first request ties the callback, then AWS refuses what follows (the journey's start, or
    # joining its record): it answers 5xx, and HubSpot sends the same callback again.
    runtime.aws_faults.fail(service, operation, "ThrottlingException", function="WorkflowActionsFunction")
    hot = contact(runtime, MQL_PROPS)
    workflows, execution = hand_off(runtime, hot)
    assert execution.state == "BLOCKED" and len(execution.attempts) >= 2 and execution.attempts[0] >= 500
    record = waiting_for(runtime, hot, "decision")
    assert runtime.standin.store.get_object("contacts", hot)["properties"]["lifecyclestage"] == (  # type: ignore[union-attr]
        "marketingqualifiedlead"
    )
    decide(runtime, hot, "reject", "not_icp")
    done = workflows.finish(execution)
    assert (done.outputs["outcome"], journey_record(hot).journey_id) == ("rejected", record.journey_id)


@pytest.mark.parametrize(
    ("decision", "reason", "outcome"),
    [("reject", "not_icp", "rejected"), ("recycle", "bad_timing", "recycled")],
)
def test_a_rejected_or_recycled_lead_resumes_the_workflow_on_that_branch(
    runtime: LocalRuntime, decision: str, reason: str, outcome: str
) -> None:
    hot = contact(runtime, MQL_PROPS)
    workflows, execution = hand_off(runtime, hot)
    waiting_for(runtime, hot, "decision")
    decide(runtime, hot, decision, reason)
    done = workflows.finish(execution)
    assert (done.outputs["outcome"], done.outputs["reason"]) == (outcome, reason)


def test_a_lead_nobody_works_resumes_the_workflow_as_no_response(runtime: LocalRuntime) -> None:
    hot = contact(runtime, MQL_PROPS)
    workflows, execution = hand_off(runtime, hot)
    waiting_for(runtime, hot, "decision")
    decide(runtime, hot, "accept")
    waiting_for(runtime, hot, "engagement")
    runtime.advance(days=14)  # the qualification window closes
    done = workflows.finish(execution)
    assert (done.outputs["outcome"], done.outputs["hours_to_decision"]) == ("no_response", "0.0")


def test_a_journey_that_fails_resumes_the_workflow_as_failed(runtime: LocalRuntime) -> None:
    store = runtime.standin.store  # type: ignore[union-attr]
    for owner in store.owners():
        store.archive_owner(owner["id"])
    hot = contact(runtime, MQL_PROPS)
    workflows, execution = hand_off(runtime, hot)
    done = workflows.finish(execution)
    assert done.outputs["outcome"] == "failed"
    assert done.outputs["error"].startswith("RoutingError: ")


def test_a_portal_rule_the_journey_breaks_resumes_the_workflow_as_failed_naming_the_property(
    runtime: LocalRuntime,
) -> None:
    # The admin requires a deal source on every new deal; HubSpot enforces it on 2026-09 writes.
    store = runtime.standin.store  # type: ignore[union-attr]
    store.define_property("deals", "deal_source")
    store.portal_rules.require_on_create("deals", "deal_source")
    hot = contact(runtime, {**MQL_PROPS, "numemployees": "1000+"})  # enterprise: fast track to SQL
    workflows, execution = hand_off(runtime, hot)
    done = workflows.finish(execution)
    assert done.outputs["outcome"] == "failed"
    assert done.outputs["error"].startswith("HubSpotRequiredProperty: ")
    assert "deal_source" in done.outputs["error"] and "MISSING_REQUIRED_PROPERTY" in done.outputs["error"]
    assert store.call_count("deals.create") == 1


def test_a_contact_below_the_gates_is_not_handed_off_unless_the_workflow_says_sales_ready(
    runtime: LocalRuntime,
) -> None:
    cold = contact(runtime, COLD_PROPS)
    _, refused = hand_off(runtime, cold)
    assert (refused.state, refused.outputs["outcome"]) == ("SUCCESS", "not_mql")
    _, ready = hand_off(runtime, cold, sales_ready="true", reason="asked for a quote on the phone")
    assert ready.state == "BLOCKED"
    waiting_for(runtime, cold, "decision")
    props = runtime.standin.store.get_object("contacts", cold)["properties"]  # type: ignore[union-attr]
    assert (props["lifecyclestage"], props["leadflow_mql_reason"]) == (
        "marketingqualifiedlead",
        "asked for a quote on the phone",
    )


def test_a_hand_off_the_portal_rules_refuse_takes_the_failed_branch_at_once(runtime: LocalRuntime) -> None:
    # The admin requires an MQL source whenever a contact becomes a marketing qualified lead.
    store = runtime.standin.store  # type: ignore[union-attr]
    store.define_property("contacts", "mql_source")
    store.portal_rules.require_when(
        "contacts", "mql_source", when="lifecyclestage", equals="marketingqualifiedlead"
    )
    cold = contact(runtime, COLD_PROPS)
    _, refused = hand_off(runtime, cold, sales_ready="true", reason="asked for a quote on the phone")
    assert (refused.state, refused.attempts) == ("SUCCESS", [200])
    assert refused.outputs["outcome"] == "failed"
    assert (
        "mql_source is required because of a conditional property rule based on [lifecyclestage]"
        in (refused.outputs["error"])
    )
    assert store.get_object("contacts", cold)["properties"].get("lifecyclestage") != "marketingqualifiedlead"


def test_a_workflow_joins_the_journey_already_running_and_both_resume(runtime: LocalRuntime) -> None:
    hot = contact(runtime, MQL_PROPS)
    workflows, first = hand_off(runtime, hot)
    waiting_for(runtime, hot, "decision")
    _, second = hand_off(runtime, hot)
    decide(runtime, hot, "reject", "duplicate")
    assert [workflows.finish(e).outputs["outcome"] for e in (first, second)] == ["rejected", "rejected"]
    assert len(runtime.standin.store.list_objects("tasks")) == 1  # type: ignore[union-attr]


def test_a_redelivered_execution_never_starts_a_second_journey(runtime: LocalRuntime) -> None:
    hot = contact(runtime, MQL_PROPS)
    workflows, execution = hand_off(runtime, hot)
    waiting_for(runtime, hot, "decision")
    # HubSpot sends the same execution again (same callbackId), as after a late answer.
    app = runtime.hubspot_app
    assert app is not None and runtime.standin is not None
    definition = runtime.standin.automation.definition(app.app_id, install(runtime)["Hand off with leadflow"])
    body = json.dumps(
        {
            "callbackId": execution.callback_id,
            "object": {"objectId": int(hot), "objectType": "CONTACT"},
            "inputFields": {},
        }
    )
    again = post(definition["actionUrl"], body, workflows._signature(definition["actionUrl"], body))
    assert (again.status, again.body["outputFields"]["hs_execution_state"]) == (200, "BLOCK")
    runtime.settle()
    assert len(runtime.standin.store.list_objects("tasks")) == 1  # type: ignore[union-attr]
    decide(runtime, hot, "reject", "not_icp")
    assert workflows.finish(execution).outputs["outcome"] == "rejected"


def test_a_failing_callbacks_endpoint_is_retried_until_the_workflow_resumes_once(
    runtime: LocalRuntime,
) -> None:
    store = runtime.standin.store  # type: ignore[union-attr]
    store.faults = FaultPlan(down_for=(("automation.callbacks_complete", 2),))
    hot = contact(runtime, MQL_PROPS)
    workflows, execution = hand_off(runtime, hot)
    waiting_for(runtime, hot, "decision")
    decide(runtime, hot, "reject", "not_icp")
    done = workflows.finish(execution, timeout_s=60)
    assert done.outputs["outcome"] == "rejected"
    assert store.call_count("automation.callbacks_complete") >= 3
    assert runtime.standin.automation.blocked(execution.callback_id).state == "COMPLETED"  # type: ignore[union-attr]


def test_an_expired_block_lets_the_workflow_go_on_and_its_late_completion_is_dropped(
    runtime: LocalRuntime,
) -> None:
    hot = contact(runtime, MQL_PROPS)
    workflows, execution = hand_off(runtime, hot)
    waiting_for(runtime, hot, "decision")
    runtime.advance(days=32)  # past the block's P30D: HubSpot lets the workflow go on without an outcome
    assert workflows.finish(execution).state == "EXPIRED"
    decide(runtime, hot, "reject", "not_icp")  # the journey ends after the workflow stopped waiting
    runtime.settle()
    assert journey_record(hot).status == "rejected"
    assert runtime.queue_depth() == 0  # the completion HubSpot refused was dropped, not retried forever
