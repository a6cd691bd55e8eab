"""Accepted, qualified, recycled or rejected: how a journey ends, on the fakes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import pytest

from leadflow.app.ports import HubSpotUnavailable
from leadflow.core.decisions import Decision
from leadflow.core.journey_record import JourneyStatus
from leadflow.core.journey_state import DecisionInput, EngagementInput, JourneyState
from leadflow.core.lifecycle import fingerprint
from leadflow_cli.hubspot_standin import hubspot_time
from tests.fast.conftest import World, make_world


def decided(
    world: World, state: JourneyState, decision: Decision, reason: str = "", automatic: bool = False
) -> JourneyState:
    world.clock.advance(minutes=30)
    state.decision = DecisionInput(
        decision=decision, reason=reason, decided_at=world.clock(), automatic=automatic
    )
    return state


def test_accepting_marks_the_lead_sales_accepted_and_opens_its_qualification_window(world: World) -> None:
    state = world.steps.mark_sal(decided(world, world.handed_off(), Decision.ACCEPT))
    assert state.qualification is not None
    assert state.qualification.due_at == world.clock() + timedelta(days=14)
    contact = world.hubspot.contact(state.contact_id)
    assert (contact["leadflow_journey_status"], contact["hs_lead_status"], contact["lifecyclestage"]) == (
        "sal",
        "IN_PROGRESS",
        "marketingqualifiedlead",
    )
    (task,) = world.hubspot.records("tasks")
    assert task["hs_task_status"] == "COMPLETED"
    record = world.record(state)
    assert (record.status, record.decision, record.reached[JourneyStatus.SAL]) == (
        JourneyStatus.SAL,
        "accept",
        world.clock(),
    )


def test_a_portal_with_a_sales_accepted_stage_moves_accepted_leads_to_it() -> None:
    world = make_world(lambda c: c["journey"].update(sal_stage="salesacceptedlead"))
    world.hubspot.crm.add_lifecycle_stage(
        "salesacceptedlead", "Sales accepted lead", after="marketingqualifiedlead"
    )
    state = world.steps.mark_sal(decided(world, world.handed_off(), Decision.ACCEPT))
    assert world.hubspot.contact(state.contact_id)["lifecyclestage"] == "salesacceptedlead"


def test_an_sql_gets_a_deal_with_the_handoff_packet_associated_with_contact_and_company(world: World) -> None:
    company = world.hubspot.crm.create_object("companies", {"name": "Initech"})
    state = world.handed_off(associatedcompanyid=company, firstname="Maya", company="Initech")
    state = world.steps.mark_sal(decided(world, state, Decision.ACCEPT))
    state.engagement = EngagementInput(kind="call_logged", at=world.clock())
    state = world.steps.mark_sql(state)
    (deal,) = world.hubspot.records("deals")
    assert (deal["dealname"], deal["pipeline"], deal["dealstage"], deal["id"]) == (
        "Initech - Maya",
        "default",
        "appointmentscheduled",
        state.deal_id,
    )
    assert "SQL by acceptance plus a two-way engagement (call logged)" in deal["description"]
    assert world.hubspot.crm.associations("deals", deal["id"], "contacts") == [(state.contact_id, 3)]
    assert world.hubspot.crm.associations("deals", deal["id"], "companies") == [(company, 341)]
    contact = world.hubspot.contact(state.contact_id)
    assert (contact["lifecyclestage"], contact["hs_lead_status"]) == ("salesqualifiedlead", "OPEN_DEAL")
    record = world.record(state)
    assert (record.status, record.deal_id, record.sql_path, record.engagement) == (
        JourneyStatus.SQL,
        deal["id"],
        "engagement_required",
        "call_logged",
    )


def test_a_fast_tracked_lead_goes_to_its_teams_own_deal_stage(world: World) -> None:
    state = world.steps.handoff(world.steps.route(world.lead(numemployees="1000+", fast_track=True)))
    state = world.steps.mark_sql(state)
    (deal,) = world.hubspot.records("deals")
    assert deal["dealstage"] == "qualifiedtobuy" and "fast track" in deal["description"]
    assert world.record(state).sql_path == "fast_track"


def test_a_retried_sql_step_finds_the_deal_whose_answer_was_lost(world: World) -> None:
    state = world.steps.handoff(world.steps.route(world.lead(numemployees="1000+", fast_track=True)))
    first = world.steps.mark_sql(state.model_copy(deep=True))
    world.store.journeys[state.key] = world.record(state).model_copy(update={"deal_id": None})
    again = world.steps.mark_sql(state.model_copy(deep=True), attempt=1)
    assert first.deal_id == again.deal_id and len(world.hubspot.records("deals")) == 1


def test_a_recycle_clears_then_resets_the_stage_and_starts_the_cooldown(world: World) -> None:
    state = world.steps.close(decided(world, world.handed_off(), Decision.RECYCLE, "bad_timing"))
    contact = world.hubspot.contact(state.contact_id)
    assert (contact["lifecyclestage"], contact["hs_lead_status"], contact["leadflow_mql_at"]) == (
        "lead",
        "BAD_TIMING",
        "",
    )
    assert contact["leadflow_recycle_until"] == hubspot_time(world.clock() + timedelta(days=30))
    assert contact["hubspot_owner_id"] == world.owners["ada@example.com"]
    record = world.record(state)
    assert (record.status, record.reason, record.decided_by) == (
        JourneyStatus.RECYCLED,
        "bad_timing",
        "owner",
    )


def test_a_recycle_whose_stage_cannot_be_set_back_leaves_the_contact_in_its_stage_for_the_retry(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = decided(world, world.handed_off(), Decision.RECYCLE, "bad_timing")
    write = world.hubspot.update_contact
    refused: list[str] = []

    def down_once_for_the_stage(contact_id: str, properties: Mapping[str, str]) -> None:
        if dict(properties) == {"lifecyclestage": "lead"} and not refused:
            refused.append(contact_id)
            raise HubSpotUnavailable("HubSpot answered 502", 502)
        write(contact_id, properties)

    monkeypatch.setattr(world.hubspot, "update_contact", down_once_for_the_stage)
    with pytest.raises(HubSpotUnavailable):
        world.steps.close(state)
    assert world.hubspot.contact(state.contact_id)["lifecyclestage"] == "marketingqualifiedlead"
    world.steps.close(state)  # the step's retry
    assert world.hubspot.contact(state.contact_id)["lifecyclestage"] == "lead"
    assert world.record(state).status is JourneyStatus.RECYCLED


def test_a_recycle_can_clear_the_owner() -> None:
    world = make_world(lambda c: c["journey"]["recycle"].update(owner="clear"))
    state = world.steps.close(decided(world, world.handed_off(), Decision.RECYCLE, "not_ready"))
    assert world.hubspot.contact(state.contact_id)["hubspot_owner_id"] == ""


def test_no_response_by_the_deadline_is_recycled_as_attempted_and_not_counted_as_a_decision(
    world: World,
) -> None:
    state = world.steps.close(
        decided(world, world.handed_off(), Decision.RECYCLE, "no_response", automatic=True)
    )
    assert world.hubspot.contact(state.contact_id)["hs_lead_status"] == "ATTEMPTED_TO_CONTACT"
    assert world.record(state).decided_by == "deadline"


def test_a_reject_stamps_a_fingerprint_of_the_scored_data(world: World) -> None:
    state = world.steps.close(decided(world, world.handed_off(), Decision.REJECT, "not_icp"))
    contact = world.hubspot.contact(state.contact_id)
    data = world.config.scoring.data_properties
    assert (contact["leadflow_journey_status"], contact["hs_lead_status"]) == ("rejected", "UNQUALIFIED")
    assert contact["leadflow_rejected_fingerprint"] == fingerprint(contact, data)
    assert world.record(state).status is JourneyStatus.REJECTED


def test_closing_a_journey_drops_its_wait_and_any_input_kept_for_it(world: World) -> None:
    state = world.handed_off()
    world.waiting(state)
    world.store.park(state.key, "engagement", '{"kind": "email_reply"}', world.clock().timestamp())
    state = world.steps.close(decided(world, state, Decision.REJECT, "duplicate"))
    record = world.record(state)
    assert (record.task_token, record.waiting_for, record.pending_engagement) == (None, None, None)
