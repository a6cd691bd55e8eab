"""The configuration file: the shipped one loads, bad ones fail naming the field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from leadflow.core.config import ConfigError, load_config, parse_config
from leadflow.settings import DEFAULT_CONFIG_FILE


def minimal() -> dict[str, Any]:
    return {
        "scoring": {
            "fit": {
                "threshold": 10,
                "rules": [{"name": "r", "property": "industry", "equals": "X", "points": 20}],
            },
            "intent": {
                "threshold": 10,
                "rules": [{"name": "demo", "signal": "form_submission", "points": 30}],
            },
            "tiers": {"A": 20, "B": 10},
        },
        "routing": {
            "default_team": "sales",
            "teams": {"sales": {"members": [{"email": "a@example.com"}], "fallback_owner": "q@example.com"}},
        },
    }


def test_the_shipped_configuration_loads_with_a_realistic_rule_set() -> None:
    config = load_config(DEFAULT_CONFIG_FILE)
    assert config.scoring.rule_count >= 30
    assert {"industry", "recent_conversion_event_name"} <= config.scoring.properties


def test_defaults_fill_what_the_file_leaves_out() -> None:
    config = parse_config(minimal())
    assert (config.sla.decision_hours, config.routing.default_team) == (4, "sales")
    assert [s.step for s in config.sla.escalation] == ["remind", "alert_manager", "reassign"]
    sales = config.routing.teams["sales"]
    assert (sales.sql_policy, sales.qualification_days, sales.calendar) == ("engagement_required", 14, None)
    assert (config.journey.recycle.cooldown_days, config.journey.recycle.owner) == (30, "keep")
    assert config.journey.engagements["engagements_last_meeting_booked"] == "meeting_booked"
    assert (config.scoring.decay.half_life_days, config.scoring.recency_days) == (30, 30)


def _edit(path: str, value: Any) -> Any:
    def apply(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[last] = value

    return apply


@pytest.mark.parametrize(
    ("mutate", "named"),
    [
        (_edit("scoring.fit.threshold", -1), "scoring.fit.threshold"),
        (_edit("scoring.fit.rules.0.points", "many"), "scoring.fit.rules[r].points"),
        (_edit("scoring.fit.rules.0.contains", "y"), "needs exactly one condition"),
        (_edit("scoring.fit.rules.0.name", "Bad Name"), "scoring.fit.rules[Bad Name].name"),
        (_edit("scoring.intent.rules.0.min_count", 0), "scoring.intent.rules[demo].min_count"),
        (_edit("scoring.intent.rules.0.where", {"form": {"equals": "a", "contains": "b"}}), "where.form"),
        (_edit("scoring.decay", {"half_life_days": 7, "window_days": 30}), "exactly one of half_life_days"),
        (_edit("scoring.tiers", {"A": 5, "B": 10}), "tier A needs at least"),
        (_edit("scoring.fast_track", {"any_of": ["nope"]}), "unknown intent rules: nope"),
        (
            _edit(
                "scoring.disqualifiers",
                [{"name": "r", "property": "jobtitle", "contains": "x", "reason": "y"}],
            ),
            "repeated: r",
        ),
        (
            _edit("routing.teams.sales.members.0.email", "not-an-email"),
            "routing.teams.sales.members[not-an-email].email",
        ),
        (_edit("routing.teams.sales.calendar", {"timezone": "Mars/Base"}), "unknown time zone 'Mars/Base'"),
        (
            _edit("routing.teams.sales.calendar", {"timezone": "UTC", "hours": "09:00-24:30"}),
            "routing.teams.sales.calendar.hours",
        ),
        (_edit("routing.teams.sales.sql_policy", "fast_track"), "scoring.fast_track does not say"),
        (_edit("sla.decision_hours", -1), "sla.decision_hours"),
        (_edit("sla.escalation", [{"step": "pray", "hours": 1}]), "sla.escalation[#1].step"),
        (_edit("journey", {"recycle": {"owner": "toss"}}), "journey.recycle.owner"),
        (_edit("slaa", {}), "(top level): unknown key 'slaa' (did you mean 'sla'?)"),
    ],
)
def test_invalid_configuration_fails_naming_the_field(mutate: Any, named: str) -> None:
    data = copy.deepcopy(minimal())
    data.setdefault("sla", {})
    mutate(data)
    with pytest.raises(ConfigError, match="is invalid") as caught:
        parse_config(data)
    assert named in str(caught.value)


def test_errors_name_rules_by_name_and_suggest_the_key_or_value_meant() -> None:
    data = yaml.safe_load(DEFAULT_CONFIG_FILE.read_text(encoding="utf-8"))
    data["scoring"]["fit"]["rules"][13]["gtee"] = 3
    data["scoring"]["intent"]["rules"][0]["where"]["form"]["contans"] = "demo"
    data["routing"]["teams"]["sales"]["sql_policy"] = "fast-track"
    data["scoring"]["fit"]["rules"][2]["contains"] = "x"
    with pytest.raises(ConfigError) as refused:
        parse_config(data, "leadflow.yaml")
    problems = str(refused.value).removeprefix("leadflow.yaml is invalid: ").split("; ")
    assert sorted(problems) == sorted(
        [
            "scoring.fit.rules[business-email]: unknown key 'gtee' (did you mean 'gte'?)",
            "scoring.intent.rules[talk-to-sales].where.form: unknown key 'contans' "
            "(did you mean 'contains'?)",
            "routing.teams.sales.sql_policy: 'fast-track' is not allowed: input should be "
            "'engagement_required', 'fast_track' or 'meeting_booked' (did you mean 'fast_track'?)",
            "scoring.fit.rules[enterprise]: needs exactly one condition among equals, in, not_in, contains, "
            "contains_any, gte, lte, present, domain_in (it has contains and gte)",
        ]
    )
    assert "rules.13" not in str(refused.value)


def test_a_teams_deal_overrides_only_what_it_sets() -> None:
    data = minimal()
    data["routing"]["teams"]["sales"]["deal"] = {"pipeline": "enterprise"}
    data["journey"] = {"deal": {"pipeline": "default", "stage": "qualifiedtobuy"}}
    config = parse_config(data)
    deal = config.deal_for("sales")
    assert (deal.pipeline, deal.stage) == ("enterprise", "qualifiedtobuy")


def test_unreadable_and_malformed_files_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read configuration file"):
        load_config(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("scoring: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(broken)


def test_a_file_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "leadflow.yaml"
    data = minimal()
    data["scoring"]["fit"]["threshold"] = -5
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError, match=str(path)):
        load_config(path)


def test_business_hours_take_at_most_whole_working_weeks_holidays_and_the_first_day() -> None:
    data = minimal()
    data["routing"]["teams"]["sales"]["calendar"] = {
        "timezone": "Europe/Berlin",
        "hours": "09:00-17:00",
        "holidays": ["2026-12-24", "2026-12-25"],
    }
    calendar = parse_config(data).routing.teams["sales"].calendar
    assert calendar is not None
    # 12 hours are two working days of eight: within one week, plus the holidays and the day it starts.
    assert calendar.most_days_for(12) == 7 + 2 + 1
    assert calendar.most_days_for(48) == 14 + 2 + 1


def test_a_configuration_whose_journey_could_outlast_a_step_functions_execution_is_refused() -> None:
    data = minimal()
    data["sla"] = {"fallback_days": 300}
    data["routing"]["teams"]["sales"]["qualification_days"] = 60
    with pytest.raises(ConfigError) as refused:
        parse_config(data)
    message = str(refused.value)
    assert "a journey could take 361 days" in message
    assert "sla.fallback_days" in message and "qualification_days" in message and "a year" in message


def test_the_longest_journey_counts_the_slowest_teams_ladder_the_fallback_and_the_longest_window() -> None:
    data = minimal()
    data["sla"] = {"decision_hours": 24, "escalation": [], "fallback_days": 10}
    data["routing"]["teams"]["sales"]["qualification_days"] = 20
    assert parse_config(data).longest_journey_days == 1 + 10 + 20
