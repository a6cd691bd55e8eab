"""Teams that hand off on HubSpot Leads, on the fakes: the lead a journey opens, follows and closes,
and the rep's stage moves coming back as the journey's decisions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from leadflow.app.ports import HubSpotUnavailable
from leadflow.core.config import ConfigError, LeadsConfig, parse_config
from leadflow.core.decisions import Decision
from leadflow.core.journey_record import JourneyFields, JourneyStatus
from leadflow.core.journey_state import DecisionInput, EngagementInput, JourneyState
from leadflow.core.lead_moves import LeadMove, lead_move
from leadflow.core.lifecycle import LeadProp, Prop
from leadflow.webhooks.events import WebhookEvent
from leadflow.webhooks.workflow_records import read_record
from leadflow_cli.webhook_sender import HubSpotWebhookSender
from tests.fast.conftest import World, configuration, make_world
from tests.fast.test_lead_intake import resumed_decisions, resumed_engagements

SENDER = HubSpotWebhookSender("http://unused", "unused")
ESCALATION = "sla.escalation"


def on_leads(data: dict[str, Any]) -> None:
    """Every team hands off on leads."""
    for team in data["routing"]["teams"].values():
        team["handoff"] = "lead"


@pytest.fixture
def world() -> World:
    return make_world(on_leads)


def lead_of(world: World, state: JourneyState) -> dict[str, str]:
    assert state.lead_id, "the journey has a lead"
    props: dict[str, str] = world.hubspot.crm.get_object("leads", state.lead_id)["properties"]
    return props


def decided(world: World, state: JourneyState, decision: Decision, reason: str = "") -> JourneyState:
    world.clock.advance(minutes=30)
    state.decision = DecisionInput(decision=decision, reason=reason, decided_at=world.clock())
    return state


# Opening the lead ----------------------------------------------------------------------------


def test_a_handoff_opens_one_lead_owned_by_the_rep_with_the_packet_and_its_associations(world: World) -> None:
    company = world.hubspot.crm.create_object("companies", {"name": "Initech"})
    state = world.lead(
        firstname="Maya",
        lastname="Lin",
        associatedcompanyid=company,
        leadflow_fit_tier="A",
        leadflow_mql_reason="submitted the Talk to sales form",
        leadflow_score="80",
    )
    state = world.steps.handoff(world.steps.route(state))
    lead = lead_of(world, state)
    assert state.assignment is not None
    assert {k: lead.get(k) for k in (LeadProp.NAME, LeadProp.PIPELINE, LeadProp.STAGE, LeadProp.LABEL)} == {
        LeadProp.NAME: "Maya Lin",
        LeadProp.PIPELINE: "lead-pipeline-id",
        LeadProp.STAGE: "new-stage-id",
        LeadProp.LABEL: "HOT",
    }
    assert (lead[Prop.OWNER], lead[Prop.JOURNEY_ID], lead[Prop.TEAM], lead[Prop.MQL_REASON]) == (
        state.assignment.owner_id,
        state.journey_id,
        state.assignment.team,
        "submitted the Talk to sales form",
    )
    crm = world.hubspot.crm
    assert crm.associations("leads", state.lead_id or "", "contacts") == [(state.contact_id, 578)]
    assert crm.associations("leads", state.lead_id or "", "companies") == [(company, 580)]
    (task,) = world.hubspot.records("tasks")
    assert crm.associations("tasks", task["id"], "leads") == [(state.lead_id, 647)]
    (note,) = world.hubspot.records("notes")
    assert crm.associations("notes", note["id"], "leads") == [(state.lead_id, 855)]
    assert world.hubspot.contact(state.contact_id)[Prop.LEAD_ID] == state.lead_id
    assert world.record(state).lead_id == state.lead_id


def test_a_retried_handoff_reuses_the_lead_it_recorded(world: World) -> None:
    state = world.steps.route(world.lead())
    first = world.steps.handoff(state.model_copy(deep=True))
    again = world.steps.handoff(state.model_copy(deep=True))
    assert again.lead_id == first.lead_id
    assert len(world.hubspot.records("leads")) == 1
    assert "lead_of_journey" not in world.hubspot.calls[world.hubspot.calls.index("create_lead") :]


def test_a_handoff_whose_create_answer_was_lost_finds_the_lead_instead_of_opening_a_second(
    world: World,
) -> None:
    state = world.steps.route(world.lead())
    real = world.hubspot.create_lead

    def lost_answer(*args: Any, **kwargs: Any) -> str:
        real(*args, **kwargs)
        raise HubSpotUnavailable("HubSpot answered 502", 502)

    world.hubspot.create_lead = lost_answer  # type: ignore[method-assign]
    with pytest.raises(HubSpotUnavailable):
        world.steps.handoff(state.model_copy(deep=True))
    world.hubspot.create_lead = real  # type: ignore[method-assign]
    retried = world.steps.handoff(state.model_copy(deep=True))
    (lead,) = world.hubspot.records("leads")
    assert (retried.lead_id, world.record(retried).lead_id) == (lead["id"], lead["id"])


def test_a_lead_without_a_tier_has_no_label_and_a_contact_without_a_name_names_it_by_email(
    world: World,
) -> None:
    state = world.handed_off(email="maya@initech.example")
    lead = lead_of(world, state)
    assert (lead[LeadProp.NAME], lead.get(LeadProp.LABEL) or "") == ("maya@initech.example", "")


def test_a_team_on_contacts_opens_no_lead() -> None:
    world = make_world()
    state = world.handed_off()
    assert (state.lead_id, world.hubspot.records("leads")) == (None, [])
    assert "lead_of_journey" not in world.hubspot.calls


# The lead follows the journey --------------------------------------------------------------------


def test_a_reassignment_moves_the_lead_to_the_new_rep_and_ties_the_new_task_to_it() -> None:
    world = make_world(
        lambda c: (on_leads(c), c["sla"].update(escalation=[{"step": "reassign", "hours": 2}]))
    )
    state = world.handed_off()
    before = state.assignment.owner_id if state.assignment else ""
    state = world.steps.escalate(state, "reassign")
    assert state.assignment is not None and state.assignment.owner_id != before
    assert lead_of(world, state)[Prop.OWNER] == state.assignment.owner_id
    new_task = world.hubspot.records("tasks")[-1]
    assert world.hubspot.crm.associations("tasks", new_task["id"], "leads") == [(state.lead_id, 647)]


def test_the_fallback_owner_gets_the_lead_too(world: World) -> None:
    state = world.steps.escalate(world.handed_off(), "fallback")
    assert lead_of(world, state)[Prop.OWNER] == world.owners["queue@example.com"]


def test_a_reminder_leaves_the_lead_where_it_is(world: World) -> None:
    state = world.handed_off()
    world.hubspot.calls.clear()
    world.steps.escalate(state, "remind")
    assert "update_lead" not in world.hubspot.calls


def test_an_sql_creates_the_deal_on_the_lead_and_moves_the_lead_to_qualified(world: World) -> None:
    state = world.steps.mark_sal(decided(world, world.handed_off(), Decision.ACCEPT))
    state.engagement = EngagementInput(kind="lead_qualified", at=world.clock())
    state = world.steps.mark_sql(state)
    assert state.deal_id is not None
    assert world.hubspot.crm.associations("deals", state.deal_id, "leads") == [(state.lead_id, 1038)]
    assert world.hubspot.crm.associations("deals", state.deal_id, "contacts") == [(state.contact_id, 3)]
    assert lead_of(world, state)[LeadProp.STAGE] == "qualified-stage-id"
    assert world.hubspot.contact(state.contact_id)[Prop.LIFECYCLE] == "salesqualifiedlead"
    assert world.record(state).engagement == "lead_qualified"


@pytest.mark.parametrize(
    ("decision", "reason", "status"),
    [
        (Decision.RECYCLE, "bad_timing", JourneyStatus.RECYCLED),
        (Decision.REJECT, "not_icp", JourneyStatus.REJECTED),
    ],
)
def test_recycle_and_reject_close_the_lead_as_disqualified_and_reset_the_contact(
    world: World, decision: Decision, reason: str, status: JourneyStatus
) -> None:
    state = world.steps.close(decided(world, world.handed_off(), decision, reason))
    lead = lead_of(world, state)
    assert (lead[LeadProp.STAGE], lead[Prop.DECISION_REASON]) == ("unqualified-stage-id", reason)
    contact = world.hubspot.contact(state.contact_id)
    assert (contact[Prop.LIFECYCLE], contact[Prop.JOURNEY_STATUS]) == ("lead", status.value)


# The rep's moves ---------------------------------------------------------------------------------


def moved(
    world: World, state: JourneyState, stage: str, reason: str | None = None, *, after: float = 60
) -> WebhookEvent:
    """The rep moves the journey's lead to `stage` (with a reason); HubSpot's generic event for it."""
    assert state.lead_id is not None
    change = {LeadProp.STAGE: stage, **({Prop.DECISION_REASON: reason} if reason is not None else {})}
    world.hubspot.crm.update_object("leads", state.lead_id, change)
    at = int(world.clock().timestamp() * 1000) + int(after * 1000)
    name, value = (Prop.DECISION_REASON, reason) if reason is not None else (LeadProp.STAGE, stage)
    raw = SENDER.event("object.propertyChange", state.lead_id, name, value, at, object_type_id="0-136")
    return WebhookEvent.model_validate(raw)


def deliver(world: World, *events: WebhookEvent) -> Any:
    return world.intake.process([(f"m{i}", e) for i, e in enumerate(events, 1)])


@pytest.mark.parametrize("stage", ["attempting-stage-id", "connected-stage-id"])
def test_working_the_lead_accepts_it(world: World, stage: str) -> None:
    state = world.handed_off()
    token = world.waiting(state)
    result = deliver(world, moved(world, state, stage))
    ((resumed, decision),) = resumed_decisions(world)
    assert (resumed, decision.decision, result.decisions_delivered) == (token, Decision.ACCEPT, 1)


def test_a_waiting_lead_moved_straight_to_qualified_is_accepted_and_its_sql_engagement_kept_for_later(
    world: World,
) -> None:
    state = world.handed_off()
    world.waiting(state)
    deliver(world, moved(world, state, "qualified-stage-id"))
    ((_, decision),) = resumed_decisions(world)
    assert decision.decision is Decision.ACCEPT
    state = world.steps.mark_sal(decided(world, state, Decision.ACCEPT))
    token = world.waiting(state, "engagement")
    resumed, payload = world.engine.resumed[-1]
    assert (resumed, EngagementInput.model_validate_json(payload).kind) == (token, "lead_qualified")


def test_qualifying_an_accepted_lead_is_its_sql_engagement_under_a_meeting_booked_policy(
    world: World,
) -> None:
    state = world.lead(numemployees="50-100")  # the sdr team: SQL on a booked meeting
    state = world.steps.handoff(world.steps.route(state))
    assert state.sql_policy == "meeting_booked"
    state = world.steps.mark_sal(decided(world, state, Decision.ACCEPT))
    token = world.waiting(state, "engagement")
    result = deliver(world, moved(world, state, "qualified-stage-id"))
    ((resumed, engagement),) = resumed_engagements(world)
    assert (resumed, engagement.kind, result.engagements_delivered) == (token, "lead_qualified", 1)


@pytest.mark.parametrize(
    ("reason", "decision"), [("not_icp", Decision.REJECT), ("bad_timing", Decision.RECYCLE)]
)
def test_disqualifying_the_lead_with_a_reason_rejects_or_recycles_by_the_reason(
    world: World, reason: str, decision: Decision
) -> None:
    state = world.handed_off()
    world.waiting(state)
    deliver(world, moved(world, state, "unqualified-stage-id", reason))
    ((_, taken),) = resumed_decisions(world)
    assert (taken.decision, taken.reason) == (decision, reason)


def test_a_disqualification_without_a_reason_asks_for_one_on_the_lead_and_the_reason_completes_it(
    world: World,
) -> None:
    state = world.handed_off()
    token = world.waiting(state)
    result = deliver(world, moved(world, state, "unqualified-stage-id"))
    assert (result.decisions_refused, world.engine.resumed) == (1, [])
    note = world.hubspot.records("notes")[-1]
    assert "a disqualified lead needs a reason" in note["hs_note_body"]
    assert world.hubspot.crm.associations("notes", note["id"], "leads") == [(state.lead_id, 855)]
    deliver(world, moved(world, state, "unqualified-stage-id", "competitor", after=120))
    ((resumed, taken),) = resumed_decisions(world)
    assert (resumed, taken.decision, taken.reason) == (token, Decision.REJECT, "competitor")


def test_a_lead_back_in_its_first_stage_says_nothing(world: World) -> None:
    state = world.handed_off()
    world.waiting(state)
    result = deliver(world, moved(world, state, "new-stage-id"))
    assert (world.engine.resumed, result.decisions_refused, len(world.hubspot.records("notes"))) == ([], 0, 1)


def test_leadflows_own_closing_move_comes_back_and_is_ignored(world: World) -> None:
    state = world.steps.close(decided(world, world.handed_off(), Decision.REJECT, "not_icp"))
    notes = len(world.hubspot.records("notes"))
    result = deliver(world, moved(world, state, "unqualified-stage-id"))
    assert (result.decisions_refused, len(world.hubspot.records("notes"))) == (0, notes)


def test_a_lead_leadflow_did_not_open_is_ignored(world: World) -> None:
    contact = world.contact(firstname="Ann")
    lead = world.hubspot.crm.create_object(
        "leads",
        {LeadProp.NAME: "Ann"},
        [
            {
                "to": {"id": contact},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}],
            }
        ],
    )
    raw = SENDER.event(
        "object.propertyChange", lead, LeadProp.STAGE, "attempting-stage-id", object_type_id="0-136"
    )
    result = deliver(world, WebhookEvent.model_validate(raw))
    assert (result.failed_message_ids, world.engine.resumed) == ([], [])


def test_an_outage_reading_the_leads_fails_the_batch_to_be_retried_whole(world: World) -> None:
    state = world.handed_off()
    world.hubspot.fail_next("read_leads", HubSpotUnavailable("HubSpot answered 503", 503))
    with pytest.raises(HubSpotUnavailable):
        deliver(world, moved(world, state, "attempting-stage-id"))


def test_other_objects_generic_events_are_ignored_and_a_contacts_act_like_its_legacy_ones(
    world: World,
) -> None:
    state = world.handed_off()
    world.waiting(state)
    world.hubspot.crm.update_object("contacts", state.contact_id, {Prop.DECISION: "accept"})
    at = int(world.clock().timestamp() * 1000) + 60_000
    deal = SENDER.event("object.propertyChange", "9001", "dealstage", "closedwon", at, object_type_id="0-3")
    contact = SENDER.event(
        "object.propertyChange", state.contact_id, Prop.DECISION, "accept", at, object_type_id="0-1"
    )
    result = deliver(world, WebhookEvent.model_validate(deal), WebhookEvent.model_validate(contact))
    ((_, decision),) = resumed_decisions(world)
    assert (result.ignored, decision.decision) == (1, Decision.ACCEPT)


# The rules ---------------------------------------------------------------------------------------


def test_the_default_stage_mapping() -> None:
    leads = LeadsConfig()
    assert lead_move(leads, "new-stage-id", "") is None
    assert lead_move(leads, "attempting-stage-id", "") == LeadMove(decision=Decision.ACCEPT)
    assert lead_move(leads, "connected-stage-id", "") == LeadMove(decision=Decision.ACCEPT)
    assert lead_move(leads, "qualified-stage-id", "") == LeadMove(decision=Decision.ACCEPT, qualified=True)
    assert lead_move(leads, "unqualified-stage-id", "No_Response ") == LeadMove(
        decision=Decision.RECYCLE, reason="no_response"
    )
    assert (lead_move(leads, "unqualified-stage-id", "nope") or LeadMove()).problem == (
        "'nope' is not a decision reason: use one of not_icp, bad_data, competitor, student, no_budget, "
        "duplicate, not_ready, bad_timing, no_response"
    )


def test_a_portal_with_its_own_stages_maps_them_in_the_configuration() -> None:
    config = configuration(
        lambda c: c["journey"].update(
            leads={
                "pipeline": "1213103916",
                "stage": "101",
                "qualified_stage": "104",
                "disqualified_stage": "105",
                "moves": {"102": "accept", "104": "qualified", "105": "disqualified"},
            }
        )
    )
    assert lead_move(config.journey.leads, "102", "") == LeadMove(decision=Decision.ACCEPT)
    assert lead_move(config.journey.leads, "attempting-stage-id", "") is None


def test_a_qualified_stage_that_does_not_mean_qualified_fails_at_load_naming_the_field() -> None:
    data = {"journey": {"leads": {"qualified_stage": "connected-stage-id"}}}
    with pytest.raises(
        ConfigError, match="qualified_stage 'connected-stage-id' must be a move that means qualified"
    ):
        parse_config(data)


def test_a_team_handoff_other_than_contact_or_lead_fails_at_load_naming_the_field() -> None:
    with pytest.raises(ConfigError, match="handoff"):
        configuration(lambda c: c["routing"]["teams"]["sales"].update(handoff="deal"))


def test_a_record_keeps_the_lead_id(world: World) -> None:
    state = world.lead()
    world.store.remember(state.key, JourneyFields(lead_id="70009"))
    assert world.record(state).lead_id == "70009"


def test_a_lead_based_workflows_record_moves_the_journey_like_the_apps_event(world: World) -> None:
    state = world.handed_off()
    token = world.waiting(state)
    assert state.lead_id is not None
    world.hubspot.crm.update_object("leads", state.lead_id, {LeadProp.STAGE: "connected-stage-id"})
    at = int(world.clock().timestamp() * 1000) + 60_000
    body = {
        "objectId": int(state.lead_id),
        "objectType": "LEAD",
        "properties": {LeadProp.STAGE: {"value": "connected-stage-id", "timestamp": at}},
    }
    record = read_record(body, json.dumps(body))
    result = world.intake.process([], records=[("r1", record)])
    ((resumed, decision),) = resumed_decisions(world)
    assert (resumed, decision.decision, result.decisions_delivered) == (token, Decision.ACCEPT, 1)
