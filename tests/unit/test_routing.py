"""Routing decisions: rules pick the team, weights shape the rotation, availability filters it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from leadflow.core.config import ConfigError, Member, TeamConfig, parse_config
from leadflow.core.routing import (
    InMemoryLedger,
    Owner,
    choose_team,
    relayout,
    rotate,
    unavailable_because,
    weighted_sequence,
)

SHIPPED = Path(__file__).resolve().parents[2] / "functions" / "leadflow.yaml"


def shipped() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SHIPPED.read_text())
    return data


def team(**overrides: Any) -> TeamConfig:
    spec = {"members": [{"email": "a@x.io"}], "fallback_owner": "q@x.io", **overrides}
    return TeamConfig.model_validate(spec)


def test_rules_are_tried_in_order_and_the_first_match_wins() -> None:
    routing = parse_config(shipped()).routing
    assert choose_team(routing, {"numemployees": "5000"}).team == "enterprise"
    assert choose_team(routing, {"numemployees": "1000+"}).rule_name == "enterprise"
    assert choose_team(routing, {"numemployees": "50-199"}).team == "sdr"
    fallthrough = choose_team(routing, {"numemployees": "450"})
    assert (fallthrough.team, fallthrough.rule_name) == ("sales", "default")
    assert choose_team(routing, {}).team == "sales"


def test_a_rule_needs_every_condition_and_may_read_company_properties() -> None:
    data = shipped()
    data["routing"]["rules"] = [
        {
            "name": "emea-enterprise",
            "when": {"country": {"in": ["Germany", "France"]}, "company.annualrevenue": {"gte": 1e8}},
            "team": "enterprise",
        }
    ]
    routing = parse_config(data).routing
    assert (
        choose_team(routing, {"country": "Germany", "company.annualrevenue": "250000000"}).team
        == "enterprise"
    )
    assert choose_team(routing, {"country": "Germany", "company.annualrevenue": "5000"}).team == "sales"
    assert routing.properties == {"country", "company.annualrevenue"}


def test_weights_interleave_the_rotation_instead_of_bunching_it() -> None:
    members = [Member(email="a@x.io", weight=2), Member(email="b@x.io"), Member(email="c@x.io")]
    cycle = weighted_sequence(members)
    assert cycle == ["a@x.io", "b@x.io", "c@x.io", "a@x.io"]
    assert Counter(weighted_sequence([Member(email="a@x.io", weight=3), Member(email="b@x.io")])) == {
        "a@x.io": 3,
        "b@x.io": 1,
    }


def test_turns_fall_on_the_cycle_and_a_change_of_members_continues_it_from_whoever_was_next() -> None:
    first = relayout(None, ["a", "b", "c", "a"], 1)
    assert [first.slot(n) for n in range(1, 6)] == ["a", "b", "c", "a", "a"]
    assert relayout(first, ["a", "b", "c", "a"], 7) is first
    # At turn 7, c (slot 3 of the cycle) was next: removing b keeps c next.
    without_b = relayout(first, ["a", "c", "a"], 7)
    assert [without_b.slot(n) for n in range(7, 11)] == ["c", "a", "a", "c"]
    # Adding d at turn 6, when b was next: b, then the new cycle's order.
    with_d = relayout(first, ["a", "b", "c", "d", "a"], 6)
    assert [with_d.slot(n) for n in range(6, 11)] == ["b", "c", "d", "a", "a"]
    # Nobody in the rotation, then somebody again.
    empty = relayout(first, [], 9)
    assert empty.slot(9) is None and relayout(empty, ["c"], 10).slot(10) == "c"


NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # a Tuesday


@pytest.mark.parametrize(
    ("member", "calendar", "active", "why"),
    [
        ({"email": "a@x.io"}, None, True, None),
        ({"email": "a@x.io", "active": False}, None, True, "inactive in the configuration"),
        ({"email": "a@x.io"}, None, False, "not an active HubSpot owner"),
        (
            {"email": "a@x.io", "out_of_office": [{"from": "2026-11-23", "to": "2026-11-27"}]},
            None,
            True,
            "out of office until 2026-11-27",
        ),
        ({"email": "a@x.io"}, {"timezone": "UTC", "hours": "13:00-17:00"}, True, "outside working hours"),
        ({"email": "a@x.io", "timezone": "Asia/Tokyo"}, {"timezone": "UTC"}, True, "outside working hours"),
        ({"email": "a@x.io"}, {"timezone": "UTC", "days": ["mon"]}, True, "outside working hours"),
    ],
)
def test_who_cannot_take_a_lead_now_and_why(
    member: dict[str, Any], calendar: dict[str, Any] | None, active: bool, why: str | None
) -> None:
    spec = team(members=[member], calendar=calendar)
    assert unavailable_because(spec, spec.members[0], active, NOON) == why


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda r: r.update(default_team="nobody"), "default_team names unknown team 'nobody'"),
        (lambda r: r["rules"][0].update(team="ghosts"), "rule enterprise names unknown team 'ghosts'"),
        (lambda r: r["teams"]["sales"]["members"].append({"email": "ADA@example.com"}), "members repeated"),
        (lambda r: r["teams"]["sales"]["members"][0].update(weight=0), "weight"),
        (lambda r: r["teams"]["sales"].update(sql_policy="vibes"), "sql_policy"),
        (lambda r: r["teams"]["sales"]["members"][0].update(timezone="Nowhere/Land"), "unknown time zone"),
        (
            lambda r: r["teams"]["sales"]["members"][0].update(
                out_of_office=[{"from": "2026-12-05", "to": "2026-12-01"}]
            ),
            "'to' must not be before 'from'",
        ),
    ],
)
def test_a_bad_routing_section_fails_at_load_naming_the_field(change: Any, problem: str) -> None:
    data = shipped()
    change(data["routing"])
    with pytest.raises(ConfigError, match="routing") as caught:
        parse_config(data)
    assert problem in str(caught.value)


def owners(*emails: str) -> dict[str, Owner]:
    return {e: Owner(str(7000 + i), e, True) for i, e in enumerate(emails)}


def deal(
    spec: TeamConfig, people: dict[str, Owner], ledger: InMemoryLedger, at: datetime, n: int
) -> list[str]:
    """Route n leads at `at` through one team's rotation; who took each (`-` for nobody)."""
    picks = [rotate("t", spec, people, at, ledger) for _ in range(n)]
    return [t.owner.email if t.owner else "-" for t in picks]


def test_adding_or_removing_a_member_moves_nobody_elses_turn() -> None:
    ledger, people = InMemoryLedger(), owners("a@x.io", "b@x.io", "c@x.io", "d@x.io")
    four = team(members=[{"email": e} for e in people])
    assert deal(four, people, ledger, NOON, 3) == ["a@x.io", "b@x.io", "c@x.io"]
    # a leaves before d had its turn: d still comes next, not b again (a reset would give b a second lead).
    three = team(members=[{"email": e} for e in ("b@x.io", "c@x.io", "d@x.io")])
    assert deal(three, people, ledger, NOON, 4) == ["d@x.io", "b@x.io", "c@x.io", "d@x.io"]
    # e joins: it waits for its place in the cycle instead of taking every lead until it has as many.
    people |= owners("e@x.io") | {e: o for e, o in people.items()}
    five = team(members=[{"email": e} for e in ("b@x.io", "c@x.io", "d@x.io", "e@x.io")])
    assert deal(five, people, ledger, NOON, 5) == ["b@x.io", "c@x.io", "d@x.io", "e@x.io", "b@x.io"]


def test_turns_missed_outside_working_hours_are_made_up_and_turns_missed_on_leave_are_not() -> None:
    people = owners("ny@x.io", "berlin@x.io")
    members = [{"email": "ny@x.io", "timezone": "America/New_York"}, {"email": "berlin@x.io"}]
    calendar = {"timezone": "Europe/Berlin", "hours": "09:00-17:00"}
    hours = team(members=members, calendar=calendar)
    ledger = InMemoryLedger()
    berlin_morning = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 10:00 in Berlin, 04:00 in New York
    assert deal(hours, people, ledger, berlin_morning, 4) == ["berlin@x.io"] * 4
    overlap = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 16:00 in Berlin, 10:00 in New York
    # New York was owed its two turns of the morning: it takes them with its own two, then the rotation
    # alternates again, each with five of the ten leads.
    assert deal(hours, people, ledger, overlap, 6) == ["ny@x.io"] * 5 + ["berlin@x.io"]
    standings = ledger.standings("t")
    assert standings["ny@x.io"].received == standings["berlin@x.io"].received == 5

    leave = team(
        members=[
            {"email": "ny@x.io", "out_of_office": [{"from": "2026-11-23", "to": "2026-11-24"}]},
            {"email": "berlin@x.io"},
        ]
    )
    ledger = InMemoryLedger()
    assert deal(leave, people, ledger, NOON, 4) == ["berlin@x.io"] * 4
    back = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    # Back from leave: no flood of the turns missed; the rotation simply goes on where it stands.
    assert deal(leave, people, ledger, back, 4) == ["ny@x.io", "berlin@x.io", "ny@x.io", "berlin@x.io"]


def test_a_team_can_make_up_leave_too_and_a_turn_nobody_could_take_is_owed_to_its_slot() -> None:
    people = owners("a@x.io", "b@x.io")
    spec = team(
        members=[
            {"email": "a@x.io", "out_of_office": [{"from": "2026-11-24", "to": "2026-11-24"}]},
            {"email": "b@x.io"},
        ],
        catch_up=["out_of_office"],
    )
    ledger = InMemoryLedger()
    assert deal(spec, people, ledger, NOON, 4) == ["b@x.io"] * 4
    # Owed the two turns of her leave, she takes them with her own two: four leads of eight each.
    assert deal(spec, people, ledger, datetime(2026, 11, 25, 12, 0, tzinfo=UTC), 4) == ["a@x.io"] * 4
    closed = team(members=[{"email": "a@x.io"}], calendar={"timezone": "UTC", "hours": "13:00-14:00"})
    ledger = InMemoryLedger()
    (turn,) = [rotate("t", closed, people, NOON, ledger)]
    assert (turn.owner, turn.pick, turn.skipped_causes) == (None, "none", {"a@x.io": "working_hours"})
    assert ledger.standings("t")["a@x.io"].owed == 1


def test_concurrent_turns_each_count_once_and_keep_the_shares_to_the_weights() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from tests.fast.fakes import FakeStore

    people = owners("a@x.io", "b@x.io", "c@x.io")
    spec = team(members=[{"email": "a@x.io", "weight": 2}, {"email": "b@x.io"}, {"email": "c@x.io"}])
    store = FakeStore()
    with ThreadPoolExecutor(8) as pool:
        picks = list(pool.map(lambda _: rotate("t", spec, people, NOON, store).owner, range(200)))
    assert store.cursors["t"] == 200 and all(picks)
    received = {email: s.received for email, s in store.standings("t").items()}
    assert sum(received.values()) == 200
    assert abs(received["a@x.io"] - 100) <= 8 and abs(received["b@x.io"] - 50) <= 8
