"""Routing, handoff and escalation steps against the HubSpot stand-in and DynamoDB (moto): who, why, when."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from leadflow import wiring
from leadflow.app.journey import JourneySteps
from leadflow.core.journey_record import execution_name
from leadflow.core.journey_state import JourneyState
from leadflow_cli.local.runtime import LocalRuntime
from tests.conftest import MQL_PROPS
from tests.journey.helpers import config_file

TODAY = datetime.now(UTC).date()


def lead(runtime: LocalRuntime, **props: str) -> JourneyState:
    contact = runtime.standin.store.create_object("contacts", {**MQL_PROPS, **props})  # type: ignore[union-attr]
    at = datetime.now(UTC)
    return JourneyState(
        journey_id=execution_name(contact, at), contact_id=contact, mql_at=at, score=80, mql_reason="test"
    )


def owners(runtime: LocalRuntime) -> dict[str, str]:
    return {o["email"]: o["id"] for o in runtime.standin.store.owners()}  # type: ignore[union-attr]


@pytest.fixture
def with_config(
    runtime_factory: Callable[..., LocalRuntime], tmp_path: Path
) -> Callable[[Callable[[dict[str, Any]], Any]], LocalRuntime]:
    def start(change: Callable[[dict[str, Any]], Any] = lambda c: None) -> LocalRuntime:
        return runtime_factory(consume_queues=False, config_file=config_file(tmp_path, change))

    return start


def sales(config: dict[str, Any]) -> dict[str, Any]:
    team: dict[str, Any] = config["routing"]["teams"]["sales"]
    return team


def test_the_companys_owner_gets_the_lead_and_the_note_says_why(with_config: Any) -> None:
    runtime = with_config()
    store = runtime.standin.store
    grace = owners(runtime)["grace@example.com"]
    company = store.create_object("companies", {"name": "Initech", "hubspot_owner_id": grace})
    state = wiring.steps().route(lead(runtime, associatedcompanyid=company))
    assert state.assignment is not None
    assert (state.assignment.owner_email, state.assignment.rule) == ("grace@example.com", "account_owner")
    assert f"grace@example.com owns company {company}" in state.assignment.why
    wiring.steps().handoff(state)
    (note,) = store.list_objects("notes")
    assert "account match: the company's owner grace@example.com" in note["properties"]["hs_note_body"]


def test_an_open_deals_owner_gets_the_lead_when_the_company_has_no_owner(with_config: Any) -> None:
    runtime = with_config()
    store = runtime.standin.store
    ids = owners(runtime)
    company = store.create_object("companies", {"name": "Globex"})
    won = store.create_object("deals", {"dealstage": "closedwon", "hubspot_owner_id": ids["ada@example.com"]})
    open_deal = store.create_object(
        "deals", {"dealstage": "appointmentscheduled", "hubspot_owner_id": ids["linus@example.com"]}
    )
    for deal in (won, open_deal):
        store.associate("companies", company, "deals", deal)
    state = wiring.steps().route(lead(runtime, associatedcompanyid=company))
    assert state.assignment is not None
    assert (state.assignment.owner_email, state.assignment.rule) == ("linus@example.com", "open_deal_owner")


def test_an_open_deal_deleted_in_hubspot_no_longer_names_an_owner(with_config: Any) -> None:
    runtime = with_config()
    store = runtime.standin.store
    company = store.create_object("companies", {"name": "Globex"})
    linus = owners(runtime)["linus@example.com"]
    deal = store.create_object("deals", {"dealstage": "appointmentscheduled", "hubspot_owner_id": linus})
    store.associate("companies", company, "deals", deal)
    store.archive_object("deals", deal)  # HubSpot drops a deleted deal's associations with it
    state = wiring.steps().route(lead(runtime, associatedcompanyid=company))
    assert state.assignment is not None
    assert state.assignment.rule != "open_deal_owner"


def test_a_rule_can_switch_account_matching_off(with_config: Any) -> None:
    runtime = with_config(lambda c: c["routing"]["rules"][0].update(account_match=False))
    store = runtime.standin.store
    company = store.create_object(
        "companies", {"name": "Hooli", "hubspot_owner_id": owners(runtime)["ada@example.com"]}
    )
    state = wiring.steps().route(lead(runtime, numemployees="1000+", associatedcompanyid=company))
    assert state.assignment is not None
    assert (state.assignment.team, state.assignment.rule) == ("enterprise", "enterprise")
    assert state.assignment.owner_email in ("grace@example.com", "linus@example.com")


def test_an_account_owner_out_of_office_does_not_get_the_lead(with_config: Any) -> None:
    leave = [{"from": TODAY.isoformat(), "to": (TODAY + timedelta(days=3)).isoformat()}]
    runtime = with_config(lambda c: sales(c)["members"][0].update(out_of_office=leave))
    store = runtime.standin.store
    company = store.create_object(
        "companies", {"name": "Umbrella", "hubspot_owner_id": owners(runtime)["ada@example.com"]}
    )
    state = wiring.steps().route(lead(runtime, associatedcompanyid=company))
    assert state.assignment is not None
    assert state.assignment.owner_email != "ada@example.com"
    assert state.assignment.rule == "default"


def test_out_of_office_and_deactivated_reps_are_skipped_and_named(with_config: Any) -> None:
    leave = [{"from": TODAY.isoformat(), "to": (TODAY + timedelta(days=1)).isoformat()}]
    runtime = with_config(lambda c: sales(c)["members"][0].update(out_of_office=leave))
    runtime.standin.store.archive_owner(owners(runtime)["grace@example.com"])  # type: ignore[union-attr]
    got = [wiring.steps().route(lead(runtime)).assignment for _ in range(4)]
    assert {a.owner_email for a in got if a} == {"linus@example.com"}
    whys = [a.why for a in got if a]
    assert any(
        f"ada@example.com (out of office until {(TODAY + timedelta(days=1)).isoformat()})" in w for w in whys
    )
    # Left out of the rotation, and still named in every explanation.
    assert all("grace@example.com (not an active HubSpot owner)" in w for w in whys)


def test_a_deactivated_reps_turns_are_shared_by_weight_not_given_to_the_next_rep(with_config: Any) -> None:
    runtime = with_config(lambda c: sales(c)["members"][1].update(active=False))  # grace
    got = [wiring.steps().route(lead(runtime)).assignment for _ in range(6)]
    # ada (weight 2) and linus (weight 1) split grace's turns two to one.
    assert Counter(a.owner_email for a in got if a) == {"ada@example.com": 4, "linus@example.com": 2}


def test_a_reps_daily_cap_counts_the_leads_of_every_team_they_are_in(with_config: Any) -> None:
    def capped(c: dict[str, Any]) -> None:
        sales(c)["members"] = [{"email": "ada@example.com", "daily_cap": 1}, {"email": "grace@example.com"}]
        c["routing"]["teams"]["sdr"]["members"] = [{"email": "ada@example.com", "daily_cap": 1}]

    runtime = with_config(capped)
    first = wiring.steps().route(lead(runtime, numemployees="50-100")).assignment  # small business: sdr
    second = wiring.steps().route(lead(runtime)).assignment  # sales, ada's turn
    assert (first and first.owner_email, second and second.owner_email) == (
        "ada@example.com",
        "grace@example.com",
    )
    assert second is not None and "ada@example.com (daily cap of 1 reached)" in second.why


def test_a_rep_at_their_daily_cap_is_skipped(with_config: Any) -> None:
    def cap(c: dict[str, Any]) -> None:
        sales(c)["members"] = [{"email": "ada@example.com", "daily_cap": 1}, {"email": "grace@example.com"}]

    runtime = with_config(cap)
    got = [wiring.steps().route(lead(runtime)).assignment for _ in range(4)]
    assert Counter(a.owner_email for a in got if a) == {"ada@example.com": 1, "grace@example.com": 3}
    assert any("ada@example.com (daily cap of 1 reached)" in a.why for a in got if a)


def test_when_nobody_can_take_the_lead_the_fallback_owner_gets_it_and_that_is_recorded(
    with_config: Any,
) -> None:
    leave = [{"from": TODAY.isoformat(), "to": (TODAY + timedelta(days=1)).isoformat()}]
    runtime = with_config(lambda c: [m.update(out_of_office=leave) for m in sales(c)["members"]])
    state = wiring.steps().route(lead(runtime))
    assert state.assignment is not None
    assert (state.assignment.owner_email, state.assignment.rule) == ("queue@example.com", "no_one_available")
    record = wiring.store().latest_journey(state.contact_id)
    assert record is not None and (record.rule, record.owner_id) == (
        "no_one_available",
        owners(runtime)["queue@example.com"],
    )
    assert "nobody in the team could take it" in record.why


def test_weighted_round_robin_stays_exact_under_concurrent_executions(with_config: Any) -> None:
    runtime = with_config()
    states = [lead(runtime) for _ in range(40)]
    steps = wiring.steps()
    with ThreadPoolExecutor(max_workers=8) as pool:
        routed = list(pool.map(steps.route, states))
    # Weights 2/1/1 over 40 leads: every cycle of four turns gives ada two, each other rep one.
    assert Counter(s.assignment.owner_email for s in routed if s.assignment) == {
        "ada@example.com": 20,
        "grace@example.com": 10,
        "linus@example.com": 10,
    }


def test_a_retried_route_keeps_the_first_assignment(with_config: Any) -> None:
    runtime = with_config()
    state = lead(runtime)
    first = wiring.steps().route(state.model_copy(deep=True)).assignment
    again = wiring.steps().route(state.model_copy(deep=True)).assignment
    assert first == again
    # The retry did not take a turn: the next lead gets the cycle's second slot (ada, grace, ada, linus).
    after = wiring.steps().route(lead(runtime)).assignment
    assert (first and first.owner_email, after and after.owner_email) == (
        "ada@example.com",
        "grace@example.com",
    )


def test_the_sla_counts_business_hours_in_the_reps_time_zone_and_sets_the_task_due_date(
    with_config: Any,
) -> None:
    calendar = {"timezone": "Europe/Berlin", "hours": "09:00-17:00", "holidays": ["2026-11-30"]}
    runtime = with_config(lambda c: sales(c).update(calendar=calendar))
    berlin = ZoneInfo("Europe/Berlin")
    friday_4pm = datetime(2026, 11, 27, 16, 0, tzinfo=berlin)
    steps = JourneySteps(
        wiring.config(),
        wiring.hubspot(),
        wiring.store(),
        wiring.store(),
        wiring.engine,
        wiring.notifier,
        wiring.queue,
        clock=lambda: friday_4pm,
    )
    state = steps.handoff(steps.route(lead(runtime)))
    # One hour on Friday, Monday is a holiday, three hours on Tuesday.
    due = datetime(2026, 12, 1, 12, 0, tzinfo=berlin)
    assert state.handoff is not None and state.handoff.due_at == due
    assert state.handoff.timeout_seconds == int((due - friday_4pm).total_seconds())
    (task,) = runtime.standin.store.list_objects("tasks")  # type: ignore[union-attr]
    assert datetime.fromisoformat(task["properties"]["hs_timestamp"]) == due


def test_a_reminder_moves_the_owners_task_to_the_new_deadline(with_config: Any) -> None:
    calendar = {"timezone": "Europe/Berlin", "hours": "09:00-17:00"}
    runtime = with_config(lambda c: sales(c).update(calendar=calendar))
    berlin = ZoneInfo("Europe/Berlin")
    now = [datetime(2026, 11, 24, 9, 0, tzinfo=berlin)]
    steps = JourneySteps(
        wiring.config(),
        wiring.hubspot(),
        wiring.store(),
        wiring.store(),
        wiring.engine,
        wiring.notifier,
        wiring.queue,
        clock=lambda: now[0],
    )
    state = steps.handoff(steps.route(lead(runtime)))
    now[0] = datetime(2026, 11, 24, 16, 0, tzinfo=berlin)  # the 4 h SLA ran out at 13:00
    state = steps.escalate(state, "remind")
    # The reminder's 2 business hours: one on Tuesday, one on Wednesday morning.
    due = datetime(2026, 11, 25, 10, 0, tzinfo=berlin)
    (task,) = runtime.standin.store.list_objects("tasks")  # type: ignore[union-attr]
    assert datetime.fromisoformat(task["properties"]["hs_timestamp"]) == due
    assert state.handoff is not None and state.handoff.due_at == due


def test_a_reassignment_with_nobody_else_available_keeps_the_owner_and_says_so(with_config: Any) -> None:
    runtime = with_config(lambda c: sales(c).update(members=[{"email": "ada@example.com"}]))
    steps = wiring.steps()
    state = steps.escalate(steps.handoff(steps.route(lead(runtime))), "reassign")
    assert state.assignment is not None and state.assignment.owner_email == "ada@example.com"
    (task,) = runtime.standin.store.list_objects("tasks")  # type: ignore[union-attr]
    assert task["properties"]["hs_task_status"] == "NOT_STARTED"
    notes = [n["properties"]["hs_note_body"] for n in runtime.standin.store.list_objects("notes")]  # type: ignore[union-attr]
    assert "nobody else in team sales can take it; ada@example.com keeps it" in notes[-1]


def test_a_retried_reassignment_goes_to_the_same_rep_with_one_task(with_config: Any) -> None:
    runtime = with_config()
    steps = wiring.steps()
    handed = steps.handoff(steps.route(lead(runtime)))
    first = steps.escalate(handed.model_copy(deep=True), "reassign")
    # Step Functions retries the step with the same input, say after a HubSpot 503 late in it.
    again = steps.escalate(handed.model_copy(deep=True), "reassign")
    assert first.assignment is not None and again.assignment is not None
    assert first.assignment.owner_email == again.assignment.owner_email != handed.assignment.owner_email  # type: ignore[union-attr]
    tasks = runtime.standin.store.list_objects("tasks")  # type: ignore[union-attr]
    assert len(tasks) == 2  # the first owner's, completed, and one for the new owner
    assert first.handoff is not None and again.handoff is not None
    assert first.handoff.task_id == again.handoff.task_id
