"""What reps and admins do in a real portal while a journey runs: merge its contact, delete its task,
its lead or a deal. The real ASL on the embedded engine, the real handlers, and the real client
against the stand-in, which answers a merged-away id with the survivor and a deleted record with 404."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from leadflow.core.clock import next_midnight
from leadflow_cli.hubspot_standin.rate_limits import RateLimitPlan
from leadflow_cli.hubspot_standin.store import StandInStore
from leadflow_cli.journeys_cmd import print_rows
from leadflow_cli.local.runtime import REGION, LocalRuntime
from tests.conftest import MQL_PROPS
from tests.journey.helpers import (
    changed,
    decide,
    engage,
    finished,
    journey_record,
    start,
    states,
    waiting_for,
)


@pytest.fixture
def runtime(runtime_factory: Callable[..., LocalRuntime]) -> LocalRuntime:
    return runtime_factory(consume_queues=False, time_scale=None)


def crm(runtime: LocalRuntime) -> StandInStore:
    assert runtime.standin is not None
    return runtime.standin.store


def executions(runtime: LocalRuntime) -> int:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    return len(sfn.list_executions(stateMachineArn=runtime.journey_arn)["executions"])


def notes(runtime: LocalRuntime) -> list[str]:
    return [n["properties"]["hs_note_body"] for n in crm(runtime).list_objects("notes")]


def open_tasks(runtime: LocalRuntime) -> list[dict[str, Any]]:
    return [t for t in crm(runtime).list_objects("tasks") if t["properties"]["hs_task_status"] != "COMPLETED"]


# Merged contacts ------------------------------------------------------------------------------


def test_decisions_and_engagements_for_either_id_of_a_merged_contact_reach_its_one_journey(
    runtime: LocalRuntime,
) -> None:
    contact, arn = start(runtime)
    waiting_for(runtime, contact, "decision")
    duplicate = crm(runtime).create_object("contacts", {"email": "ada.lovelace@acme.example"})
    survivor = crm(runtime).merge_contacts(duplicate, contact)

    decide(runtime, survivor, "accept")  # the rep decides on the record HubSpot shows now
    assert waiting_for(runtime, contact, "engagement").status == "sal"
    engage(runtime, contact, "engagements_last_meeting_booked")  # an event still naming the old id

    assert finished(arn)["status"] == "SUCCEEDED"
    props = crm(runtime).get_object("contacts", survivor)["properties"]
    assert (props["leadflow_journey_status"], props["lifecyclestage"]) == ("sql", "salesqualifiedlead")
    (deal,) = crm(runtime).list_objects("deals")
    assert crm(runtime).associations("deals", deal["id"], "contacts") == [(survivor, 3)]
    assert executions(runtime) == 1


def test_a_merge_into_a_recycled_contact_makes_no_second_mql_while_the_merged_journey_runs(
    runtime: LocalRuntime,
) -> None:
    contact, _ = start(runtime)
    waiting_for(runtime, contact, "decision")
    recycled = crm(runtime).create_object(
        "contacts", {**MQL_PROPS, "lifecyclestage": "lead", "leadflow_journey_status": "recycled"}
    )
    survivor = crm(runtime).merge_contacts(recycled, contact)  # the recycled record's values win

    changed(runtime, survivor, "recent_conversion_event_name", "Talk to sales")
    runtime.settle()

    props = crm(runtime).get_object("contacts", survivor)["properties"]
    assert (props["lifecyclestage"], props.get("leadflow_mql_at") or "") == ("lead", "")
    assert executions(runtime) == 1
    assert journey_record(contact).waiting_for == "decision"


# Deleted records ------------------------------------------------------------------------------


def test_a_deleted_sla_task_is_recreated_at_the_reminder_with_a_note(runtime: LocalRuntime) -> None:
    contact, arn = start(runtime)
    task_id = waiting_for(runtime, contact, "decision").task_id
    assert task_id is not None
    crm(runtime).archive_object("tasks", task_id)  # the rep deletes it

    runtime.advance(hours=4)  # the SLA runs out: the reminder moves the task it no longer has

    record = waiting_for(runtime, contact, "decision")
    (task,) = open_tasks(runtime)
    assert task["id"] == record.task_id != task_id
    assert task["properties"]["hubspot_owner_id"] == record.owner_id
    assert any(f"the task {task_id} was deleted in HubSpot" in n for n in notes(runtime))
    decide(runtime, contact, "accept")
    assert waiting_for(runtime, contact, "engagement").status == "sal"
    assert open_tasks(runtime) == []
    assert "AwaitEngagement" in runtime.states_entered(arn)


def test_a_deleted_task_does_not_stop_the_accept(runtime: LocalRuntime) -> None:
    contact, _ = start(runtime)
    task_id = waiting_for(runtime, contact, "decision").task_id
    assert task_id is not None
    crm(runtime).archive_object("tasks", task_id)
    decide(runtime, contact, "accept")
    assert waiting_for(runtime, contact, "engagement").status == "sal"
    assert any(f"the task {task_id} was deleted in HubSpot" in n for n in notes(runtime))


# HubSpot's daily API quota ----------------------------------------------------------------------


def test_a_step_failed_after_a_day_of_hourly_retries_is_named_from_its_whole_history(
    runtime: LocalRuntime,
) -> None:
    crm(runtime).limit_rate(RateLimitPlan(daily=0))  # spent all day, every day
    contact, arn = start(runtime)
    for _ in range(31):  # Route's 30 hourly retries, each a few events after its one entry
        runtime.advance(hours=1)
    record = waiting_for(runtime, contact, "repair")
    assert len(runtime.history(arn)) > 100
    assert (record.failed_state, record.error) == ("Route", "HubSpotQuotaExhausted")


def test_a_spent_daily_quota_parks_the_step_visibly_until_the_reset_then_it_runs(
    runtime: LocalRuntime,
) -> None:
    contact, arn = start(runtime)
    waiting_for(runtime, contact, "decision")
    crm(runtime).limit_rate(RateLimitPlan(daily=0))  # every call of the day is spent
    runtime.advance(hours=4)  # the SLA runs out: the reminder needs HubSpot
    runtime.settle()

    record = journey_record(contact)
    now = runtime.clock.now()
    assert record.parked_until == next_midnight(now, "UTC")
    assert (record.escalations, states(arn)[-1]) == (0, "Remind")
    out = io.StringIO()
    print_rows([record], out, as_json=False, now=now)
    assert "PARKED until" in out.getvalue() and "daily API quota" in out.getvalue()
    refused = crm(runtime).rate_limits.refused["DAILY"]
    runtime.advance(hours=1)  # the state's hourly retry: still spent, one call refused, no burst
    runtime.settle()
    assert crm(runtime).rate_limits.refused["DAILY"] - refused == 1

    crm(runtime).limit_rate(None)  # midnight: the quota is back
    runtime.advance(hours=1)
    record = waiting_for(runtime, contact, "decision")
    assert (record.escalations, record.status) == (1, "escalated")
    assert states(arn).count("Remind") == 1


# The portal admin's validation rules (enforced on 2026-09 writes) ------------------------------


def test_a_deal_property_the_portal_requires_fails_the_sql_step_naming_it_without_retrying(
    runtime: LocalRuntime,
) -> None:
    crm(runtime).define_property("deals", "deal_source")
    crm(runtime).portal_rules.require_on_create("deals", "deal_source")
    contact, _arn = start(runtime, {**MQL_PROPS, "numemployees": "1000+"}, fast_track=True)
    record = waiting_for(runtime, contact, "repair")
    assert (record.status, record.failed_state, record.error) == (
        "failed",
        "MarkSql",
        "HubSpotRequiredProperty",
    )
    assert "deal_source: required on create by the portal's record creator settings" in (record.cause or "")
    assert "MISSING_REQUIRED_PROPERTY" in (record.cause or "")
    # A configuration problem: refused once, never retried by the client or the state's Retry.
    assert crm(runtime).call_count("deals.create") == 1
    assert crm(runtime).list_objects("deals") == []
    assert crm(runtime).get_object("contacts", contact)["properties"]["leadflow_journey_status"] == "failed"


def test_a_conditionally_required_property_fails_the_step_naming_it_and_the_rule(
    runtime: LocalRuntime,
) -> None:
    # The admin requires an SQL note once a contact's lead status is "open deal", which MarkSql sets.
    crm(runtime).define_property("contacts", "sql_notes")
    crm(runtime).portal_rules.require_when("contacts", "sql_notes", when="hs_lead_status", equals="OPEN_DEAL")
    contact, _arn = start(runtime, {**MQL_PROPS, "numemployees": "1000+"}, fast_track=True)
    record = waiting_for(runtime, contact, "repair")
    assert (record.failed_state, record.error) == ("MarkSql", "HubSpotRequiredProperty")
    assert "sql_notes is required because of a conditional property rule based on [hs_lead_status]" in (
        record.cause or ""
    )
    assert "MISSING_CONDITIONAL_REQUIRED_PROPERTY" in (record.cause or "")
