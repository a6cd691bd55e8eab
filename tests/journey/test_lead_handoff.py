"""Teams that hand off on HubSpot Leads, end to end: the real ASL on the embedded engine, the real
client against the stand-in's leads API, and the rep's stage moves delivered as the HubSpot app's
generic webhook events (object 0-136) through the signed webhook and the lead-events queue."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from leadflow_cli.hubspot_standin.store import StandInStore
from leadflow_cli.local.runtime import LocalRuntime
from tests.conftest import MQL_PROPS
from tests.journey.helpers import (
    config_file,
    decide,
    engage,
    finished,
    journey_record,
    start,
    states,
    waiting_for,
)

PACKET_STATES = ["Route", "HandOff", "DirectToSql", "AwaitDecision"]


def on_leads(change: Callable[[dict[str, Any]], Any] | None = None) -> Callable[[dict[str, Any]], None]:
    """Every team hands off on leads (and `change`)."""

    def apply(data: dict[str, Any]) -> None:
        for team in data["routing"]["teams"].values():
            team["handoff"] = "lead"
        if change is not None:
            change(data)

    return apply


@pytest.fixture
def lead_runtime(runtime_factory: Callable[..., LocalRuntime], tmp_path: Path) -> Callable[..., LocalRuntime]:
    def make(change: Callable[[dict[str, Any]], Any] | None = None) -> LocalRuntime:
        return runtime_factory(time_scale=None, config_file=config_file(tmp_path, on_leads(change)))

    return make


def crm(runtime: LocalRuntime) -> StandInStore:
    assert runtime.standin is not None
    return runtime.standin.store


def the_lead(runtime: LocalRuntime, contact: str) -> dict[str, Any]:
    """The contact's one lead (with its id under `id`)."""
    store = crm(runtime)
    (lead_id,) = [lead for lead, _ in store.associations("contacts", contact, "leads")]
    return {**store.get_object("leads", lead_id)["properties"], "id": lead_id}


def move(runtime: LocalRuntime, lead_id: str, stage: str, reason: str | None = None) -> None:
    """The rep moves the lead in the prospecting workspace; HubSpot sends the app its events."""
    change = {"hs_pipeline_stage": stage, **({"leadflow_decision_reason": reason} if reason else {})}
    crm(runtime).update_object("leads", lead_id, change)
    assert runtime.deliver_webhooks() >= 1
    runtime.settle()


def handed_off(runtime: LocalRuntime, props: dict[str, str] = MQL_PROPS) -> tuple[str, str, dict[str, Any]]:
    """An MQL whose journey waits for its rep's decision on the lead: (contact, execution ARN, lead)."""
    contact, arn = start(runtime, props)
    waiting_for(runtime, contact, "decision")
    return contact, arn, the_lead(runtime, contact)


def contact_props(runtime: LocalRuntime, contact: str) -> dict[str, str]:
    props: dict[str, str] = crm(runtime).get_object("contacts", contact)["properties"]
    return props


def test_a_worked_lead_becomes_an_sql_with_its_deal_on_the_lead_contact_and_company(
    lead_runtime: Callable[..., LocalRuntime],
) -> None:
    runtime = lead_runtime()
    store = crm(runtime)
    company = store.create_object("companies", {"name": "Initech"})
    contact, arn = start(runtime, {**MQL_PROPS, "associatedcompanyid": company, "firstname": "Maya"})
    waiting_for(runtime, contact, "decision")
    lead = the_lead(runtime, contact)
    owner = contact_props(runtime, contact)["hubspot_owner_id"]
    assert (lead["hs_lead_name"], lead["hs_pipeline_stage"], lead["hubspot_owner_id"]) == (
        "Maya",
        "new-stage-id",
        owner,
    )
    assert store.associations("leads", lead["id"], "companies") == [(company, 580)]
    (task,) = store.list_objects("tasks")
    assert store.associations("tasks", task["id"], "leads") == [(lead["id"], 647)]
    assert contact_props(runtime, contact)["leadflow_lead_id"] == lead["id"]

    move(runtime, lead["id"], "attempting-stage-id")
    waiting_for(runtime, contact, "engagement")
    move(runtime, lead["id"], "qualified-stage-id")
    assert finished(arn)["status"] == "SUCCEEDED"
    assert states(arn)[len(PACKET_STATES) :] == [
        "Decide",
        "MarkSal",
        "AwaitEngagement",
        "MarkSql",
        "SalesQualified",
    ]
    (deal,) = store.list_objects("deals")
    assert store.associations("deals", deal["id"], "leads") == [(lead["id"], 1038)]
    assert store.associations("deals", deal["id"], "contacts") == [(contact, 3)]
    assert store.associations("deals", deal["id"], "companies") == [(company, 341)]
    assert the_lead(runtime, contact)["hs_pipeline_stage"] == "qualified-stage-id"
    assert contact_props(runtime, contact)["lifecyclestage"] == "salesqualifiedlead"
    record = journey_record(contact)
    assert (record.status, record.lead_id, record.engagement, record.deal_id) == (
        "sql",
        lead["id"],
        "lead_qualified",
        deal["id"],
    )


def test_a_meeting_booked_team_qualifies_its_lead_by_a_booked_meeting_too(
    lead_runtime: Callable[..., LocalRuntime],
) -> None:
    runtime = lead_runtime()
    contact, arn, lead = handed_off(runtime, {**MQL_PROPS, "numemployees": "50-100"})  # the sdr team
    move(runtime, lead["id"], "connected-stage-id")
    waiting_for(runtime, contact, "engagement")
    engage(runtime, contact, "engagements_last_meeting_booked")
    assert finished(arn)["status"] == "SUCCEEDED"
    record = journey_record(contact)
    assert (record.team, record.sql_path, record.engagement) == ("sdr", "meeting_booked", "meeting_booked")
    assert the_lead(runtime, contact)["hs_pipeline_stage"] == "qualified-stage-id"


def test_a_fast_tracked_lead_is_an_sql_at_once_and_its_lead_qualified(
    lead_runtime: Callable[..., LocalRuntime],
) -> None:
    runtime = lead_runtime()
    contact, arn = start(runtime, {**MQL_PROPS, "numemployees": "1000+"}, fast_track=True)
    assert finished(arn)["status"] == "SUCCEEDED"
    assert states(arn) == ["Route", "HandOff", "DirectToSql", "MarkSql", "SalesQualified"]
    lead = the_lead(runtime, contact)
    (deal,) = crm(runtime).list_objects("deals")
    assert lead["hs_pipeline_stage"] == "qualified-stage-id"
    assert crm(runtime).associations("deals", deal["id"], "leads") == [(lead["id"], 1038)]


def test_a_lead_disqualified_for_timing_recycles_the_contact(
    lead_runtime: Callable[..., LocalRuntime],
) -> None:
    runtime = lead_runtime()
    contact, arn, lead = handed_off(runtime)
    move(runtime, lead["id"], "unqualified-stage-id", "bad_timing")
    assert finished(arn)["status"] == "SUCCEEDED"
    props = contact_props(runtime, contact)
    assert (props["lifecyclestage"], props["leadflow_journey_status"], props["hs_lead_status"]) == (
        "lead",
        "recycled",
        "BAD_TIMING",
    )
    closed = the_lead(runtime, contact)
    assert (closed["hs_pipeline_stage"], closed["leadflow_decision_reason"]) == (
        "unqualified-stage-id",
        "bad_timing",
    )
    assert journey_record(contact).reason == "bad_timing"


def test_a_lead_disqualified_without_a_reason_waits_for_one_then_is_rejected(
    lead_runtime: Callable[..., LocalRuntime],
) -> None:
    runtime = lead_runtime()
    contact, arn, lead = handed_off(runtime)
    move(runtime, lead["id"], "unqualified-stage-id")
    waiting_for(runtime, contact, "decision")
    notes = crm(runtime).list_objects("notes")
    assert "a disqualified lead needs a reason" in notes[-1]["properties"]["hs_note_body"]
    assert crm(runtime).associations("notes", notes[-1]["id"], "leads") == [(lead["id"], 855)]
    crm(runtime).update_object("leads", lead["id"], {"leadflow_decision_reason": "competitor"})
    assert runtime.deliver_webhooks() == 1
    assert finished(arn)["status"] == "SUCCEEDED"
    record = journey_record(contact)
    assert (record.status, record.reason) == ("rejected", "competitor")
    assert contact_props(runtime, contact)["hs_lead_status"] == "UNQUALIFIED"
    # leadflow's own closing write came back as an event too, and changed nothing.
    assert len(crm(runtime).list_objects("notes")) == len(notes)


def test_a_reassignment_and_then_the_fallback_owner_take_the_lead_with_them(
    lead_runtime: Callable[..., LocalRuntime],
) -> None:
    runtime = lead_runtime(
        lambda c: c["sla"].update(escalation=[{"step": "reassign", "hours": 2}], fallback_days=1)
    )
    contact, arn = start(runtime)
    waiting_for(runtime, contact, "decision")
    first = the_lead(runtime, contact)["hubspot_owner_id"]
    runtime.advance(hours=4)
    reassigned = the_lead(runtime, contact)
    assert reassigned["hubspot_owner_id"] not in ("", first)
    tasks = sorted(crm(runtime).list_objects("tasks"), key=lambda t: int(t["id"]))
    assert crm(runtime).associations("tasks", tasks[-1]["id"], "leads") == [(reassigned["id"], 647)]
    assert tasks[-1]["properties"]["hubspot_owner_id"] == reassigned["hubspot_owner_id"]
    runtime.advance(hours=2)
    queue = {o["email"]: o["id"] for o in crm(runtime).owners()}["queue@example.com"]
    assert the_lead(runtime, contact)["hubspot_owner_id"] == queue
    assert journey_record(contact).status == "fallback"
    runtime.advance(days=1)
    assert finished(arn)["status"] == "SUCCEEDED"
    closed = the_lead(runtime, contact)
    assert (closed["hs_pipeline_stage"], closed["leadflow_decision_reason"]) == (
        "unqualified-stage-id",
        "no_response",
    )
    assert (journey_record(contact).status, contact_props(runtime, contact)["lifecyclestage"]) == (
        "recycled",
        "lead",
    )
    assert len(crm(runtime).list_objects("leads")) == 1


def test_a_lead_deleted_in_hubspot_leaves_the_journey_going_on_on_the_contact(
    lead_runtime: Callable[..., LocalRuntime],
) -> None:
    runtime = lead_runtime()
    contact, arn, lead = handed_off(runtime)
    crm(runtime).archive_object("leads", lead["id"])  # the rep deletes the lead
    decide(runtime, contact, "accept")  # and decides on the contact instead
    waiting_for(runtime, contact, "engagement")
    engage(runtime, contact, "engagements_last_meeting_booked")
    assert finished(arn)["status"] == "SUCCEEDED"
    (deal,) = crm(runtime).list_objects("deals")
    assert crm(runtime).associations("deals", deal["id"], "contacts") == [(contact, 3)]
    notes = [n["properties"]["hs_note_body"] for n in crm(runtime).list_objects("notes")]
    assert any(f"the lead {lead['id']} was deleted in HubSpot" in n for n in notes)
    assert contact_props(runtime, contact)["lifecyclestage"] == "salesqualifiedlead"
