"""Route and HandOff on the fakes: which team, which owner, why, and the task due at the SLA."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadflow.app.journey import RoutingError
from leadflow.app.ports import HubSpotError
from leadflow.core.journey_record import JourneyStatus
from leadflow.core.routing import Standing
from leadflow_cli.hubspot_standin import hubspot_time
from tests.fast.conftest import World, make_world


def sales(config: dict[str, Any]) -> dict[str, Any]:
    team: dict[str, Any] = config["routing"]["teams"]["sales"]
    return team


def test_no_matching_rule_sends_the_lead_to_the_default_team_by_weighted_round_robin(world: World) -> None:
    state = world.steps.route(world.lead())
    assert state.assignment is not None
    assert (state.assignment.team, state.assignment.rule, state.assignment.owner_email) == (
        "sales",
        "default",
        "ada@example.com",
    )
    assert state.assignment.why == (
        "no routing rule matched: default team sales; weighted round robin (turn 1) chose ada@example.com."
    )
    record = world.record(state)
    assert (record.status, record.owner_id, record.team, record.sql_policy) == (
        JourneyStatus.ROUTED,
        world.owners["ada@example.com"],
        "sales",
        "engagement_required",
    )


def test_the_first_matching_rule_picks_the_team_and_its_policy(world: World) -> None:
    enterprise = world.steps.route(world.lead(numemployees="1000+", fast_track=True))
    sdr = world.steps.route(world.lead(numemployees="50-100"))
    assert enterprise.assignment is not None and sdr.assignment is not None
    assert (enterprise.assignment.team, enterprise.assignment.rule, enterprise.direct_sql) == (
        "enterprise",
        "enterprise",
        True,
    )
    assert (sdr.assignment.team, sdr.sql_policy, sdr.direct_sql) == ("sdr", "meeting_booked", False)
    assert "rule 'enterprise' sent the lead to team enterprise" in enterprise.assignment.why


def test_weights_two_one_one_give_the_heavier_rep_two_turns_in_four(world: World) -> None:
    picks = [world.steps.route(world.lead()).assignment for _ in range(4)]
    assert [p.owner_email for p in picks if p] == [
        "ada@example.com",
        "grace@example.com",
        "linus@example.com",
        "ada@example.com",
    ]


def test_the_companys_owner_gets_the_lead_even_outside_the_rotation(world: World) -> None:
    outsider = world.hubspot.crm.add_owner("zara@example.com", "Zara", "Rep")
    company = world.hubspot.crm.create_object("companies", {"name": "Initech", "hubspot_owner_id": outsider})
    state = world.steps.route(world.lead(associatedcompanyid=company))
    assert state.assignment is not None
    assert (state.assignment.owner_email, state.assignment.rule) == ("zara@example.com", "account_owner")
    assert (
        state.assignment.why == f"account match: the company's owner zara@example.com owns company {company}."
    )
    assert world.store.cursors == {}  # no round-robin turn was taken


def test_an_away_company_owner_gives_way_to_the_owner_of_the_companys_open_deal() -> None:
    world = make_world(lambda c: sales(c)["members"][0].update(active=False))
    crm = world.hubspot.crm
    company = crm.create_object("companies", {"hubspot_owner_id": world.owners["ada@example.com"]})
    for stage, owner in (("closedwon", "grace@example.com"), ("appointmentscheduled", "linus@example.com")):
        deal = crm.create_object("deals", {"dealstage": stage, "hubspot_owner_id": world.owners[owner]})
        crm.associate("companies", company, "deals", deal)
    state = world.steps.route(world.lead(associatedcompanyid=company))
    assert state.assignment is not None
    assert (state.assignment.owner_email, state.assignment.rule) == ("linus@example.com", "open_deal_owner")


def test_reps_away_inactive_or_at_their_cap_are_skipped_and_named() -> None:
    today = datetime(2026, 11, 24, tzinfo=UTC).date().isoformat()

    def change(config: dict[str, Any]) -> None:
        members = sales(config)["members"]
        members[0].update(daily_cap=1)
        members[1].update(out_of_office=[{"from": today, "to": today}])

    world = make_world(change)
    first = world.steps.route(world.lead()).assignment
    second = world.steps.route(world.lead()).assignment
    assert first is not None and second is not None
    assert (first.owner_email, second.owner_email) == ("ada@example.com", "linus@example.com")
    assert "skipped grace@example.com (out of office until 2026-11-24)" in second.why
    world.steps.route(world.lead())  # turn 3 is linus's
    fourth = world.steps.route(world.lead()).assignment  # ada's turn, but her cap is reached
    assert fourth is not None and fourth.owner_email == "linus@example.com"
    assert fourth.why.endswith(
        "skipped ada@example.com (daily cap of 1 reached), "
        "grace@example.com (out of office until 2026-11-24)."
    )


def test_a_rep_deactivated_in_hubspot_leaves_the_rotation() -> None:
    world = make_world()
    world.hubspot.crm.archive_owner(world.owners["ada@example.com"])
    picks = [world.steps.route(world.lead()).assignment for _ in range(3)]
    assert {p.owner_email for p in picks if p} == {"grace@example.com", "linus@example.com"}
    assert picks[0] is not None and "ada@example.com (not an active HubSpot owner)" in picks[0].why


def test_when_nobody_can_take_it_the_fallback_owner_does_under_rule_no_one_available() -> None:
    world = make_world(lambda c: sales(c).update(members=[{"email": "ada@example.com", "active": False}]))
    state = world.steps.route(world.lead())
    assert state.assignment is not None
    assert (state.assignment.owner_email, state.assignment.rule) == ("queue@example.com", "no_one_available")
    assert "nobody in the team could take it; skipped ada@example.com (inactive in the configuration)" in (
        state.assignment.why
    )


def test_a_fallback_owner_who_is_not_a_hubspot_owner_stops_routing_with_a_clear_error() -> None:
    world = make_world(
        lambda c: sales(c).update(
            members=[{"email": "ada@example.com", "active": False}], fallback_owner="x@y.z"
        )
    )
    with pytest.raises(RoutingError, match=re.escape("fallback owner x@y.z is not an active HubSpot owner")):
        world.steps.route(world.lead())


def test_a_contact_missing_from_hubspot_stops_routing(world: World) -> None:
    state = world.lead().model_copy(update={"contact_id": "999999"})
    with pytest.raises(RoutingError, match="contact 999999 does not exist in HubSpot"):
        world.steps.route(state)


def test_a_journey_carrying_the_routing_properties_is_routed_on_them_without_reading_hubspot(
    world: World,
) -> None:
    state = world.lead(numemployees="50-100")
    # The lead intake read the contact as 1000+ when it started the journey: that is what routes it.
    carried = {p: None for p in world.config.routing.contact_properties} | {"numemployees": "1000+"}
    routed = world.steps.route(state.model_copy(update={"lead_properties": carried}))
    assert routed.assignment is not None and routed.assignment.team == "enterprise"
    assert "read_contacts" not in world.hubspot.calls


def test_a_retried_route_keeps_the_recorded_assignment_and_takes_no_second_turn(world: World) -> None:
    state = world.lead()
    first = world.steps.route(state.model_copy(deep=True))
    again = world.steps.route(state.model_copy(deep=True))
    assert first.assignment == again.assignment
    assert world.store.cursors == {"sales": 1}


def test_handoff_sets_the_owner_creates_the_task_due_at_the_sla_and_explains_the_routing(
    world: World,
) -> None:
    state = world.handed_off()
    assert state.handoff is not None and state.assignment is not None
    due = world.clock() + timedelta(hours=4)
    assert (state.handoff.due_at, state.handoff.timeout_seconds, state.next_escalation) == (
        due,
        14400,
        "remind",
    )
    contact = world.hubspot.contact(state.contact_id)
    assert (contact["hubspot_owner_id"], contact["leadflow_journey_status"], contact["leadflow_team"]) == (
        world.owners["ada@example.com"],
        "awaiting_decision",
        "sales",
    )
    (task,) = world.hubspot.records("tasks")
    assert (task["hubspot_owner_id"], task["hs_timestamp"], task["id"]) == (
        world.owners["ada@example.com"],
        hubspot_time(due),
        state.handoff.task_id,
    )
    assert task["hs_task_subject"] == "MQL: accept, recycle or reject (score 80)"
    assert world.hubspot.notes() == [f"leadflow: routed to ada@example.com: {state.assignment.why}"]
    record = world.record(state)
    assert (record.status, record.task_id, record.sla_due_at, record.tasks) == (
        JourneyStatus.AWAITING_DECISION,
        state.handoff.task_id,
        due,
        {0: state.handoff.task_id},
    )


def test_a_fast_track_handoff_asks_the_rep_to_call_now(world: World) -> None:
    state = world.steps.handoff(world.steps.route(world.lead(numemployees="1000+", fast_track=True)))
    (task,) = world.hubspot.records("tasks")
    assert state.direct_sql and task["hs_task_subject"] == "Fast-track SQL: call now (score 80)"


def test_the_sla_counts_business_hours_in_the_teams_calendar() -> None:
    calendar = {"timezone": "UTC", "hours": "09:00-17:00", "holidays": ["2026-11-30"]}
    friday_4pm = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    world = make_world(lambda c: sales(c).update(calendar=calendar), start=friday_4pm)
    state = world.handed_off()
    # One hour on Friday, Monday is a holiday, three hours on Tuesday.
    assert state.handoff is not None and state.handoff.due_at == datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_a_retried_handoff_after_a_late_failure_reuses_its_task(world: World) -> None:
    routed = world.steps.route(world.lead())
    world.hubspot.fail_next("create_note", HubSpotError("HubSpot answered 400"))
    with pytest.raises(HubSpotError):
        world.steps.handoff(routed.model_copy(deep=True))
    state = world.steps.handoff(routed.model_copy(deep=True))
    assert len(world.hubspot.records("tasks")) == 1
    assert state.handoff is not None and state.handoff.task_id == world.hubspot.records("tasks")[0]["id"]


def test_a_team_removed_from_the_configuration_is_named(world: World) -> None:
    state = world.steps.route(world.lead())
    assert state.assignment is not None
    state.assignment.team = "gone"
    with pytest.raises(RoutingError, match=re.escape("team 'gone', which routing.teams no longer has")):
        world.steps.handoff(state)


def test_route_records_what_scoring_said_and_the_turn_for_calibration_and_the_fairness_ledger() -> None:
    today = datetime(2026, 11, 24, tzinfo=UTC).date().isoformat()
    world = make_world(lambda c: sales(c)["members"][0].update(out_of_office=[{"from": today, "to": today}]))
    state = world.steps.route(world.lead(leadflow_fit_tier="A", leadflow_persona="RevOps leader"))
    record = world.record(state)
    assert (record.score, record.tier, record.persona, record.mql_reason) == (
        80,
        "A",
        "RevOps leader",
        "submitted the Talk to sales form",
    )
    # Turn 1 was Ada's; she is on leave, so Grace filled in and Ada's turn is forfeited.
    assert (record.turn, record.turn_of, record.pick, record.owner_email) == (
        1,
        "ada@example.com",
        "fill_in",
        "grace@example.com",
    )
    assert record.skipped_causes == {"ada@example.com": "out_of_office"}
    assert world.store.standings("sales") == {"grace@example.com": Standing(1, 1)}
    account = world.hubspot.crm.create_object(
        "companies", {"hubspot_owner_id": world.owners["linus@example.com"]}
    )
    matched = world.record(world.steps.route(world.lead(associatedcompanyid=account)))
    assert (matched.rule, matched.turn, matched.pick, matched.skipped) == ("account_owner", None, None, None)
