"""Routing decisions: rules pick the team, weights shape the rotation, availability filters it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from leadflow.core.config import ConfigError, Member, TeamConfig, parse_config
from leadflow.core.routing import choose_team, turn_order, unavailable_because, weighted_sequence

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


def test_each_turn_starts_at_its_own_slot_and_offers_everyone_once() -> None:
    cycle = ["a", "b", "c", "a"]
    assert turn_order(cycle, 1) == ["a", "b", "c"]
    assert turn_order(cycle, 2) == ["b", "c", "a"]
    assert turn_order(cycle, 4) == ["a", "b", "c"]
    assert turn_order(cycle, 5) == ["a", "b", "c"]
    assert turn_order([], 1) == []


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
