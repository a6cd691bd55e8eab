"""Scoring: points with their evidence, negative rules, the MQL threshold."""

from __future__ import annotations

from leadflow.core.config import ScoringConfig
from leadflow.core.scoring import Scorer


def scorer(threshold: int = 50) -> Scorer:
    return Scorer(
        ScoringConfig.model_validate(
            {
                "mql_threshold": threshold,
                "rules": [
                    {
                        "name": "industry",
                        "property": "industry",
                        "in": ["SOFTWARE"],
                        "points": 20,
                        "evidence": "industry {value}",
                    },
                    {"name": "size", "property": "numemployees", "gte": 100, "points": 15},
                    {"name": "small", "property": "numemployees", "lte": 10, "points": -10},
                    {
                        "name": "demo",
                        "property": "form",
                        "equals": "Demo request",
                        "points": 40,
                        "evidence": "asked for a demo",
                    },
                    {"name": "student", "property": "jobtitle", "contains": "student", "points": -100},
                    {"name": "has-phone", "property": "phone", "present": True, "points": 5},
                    {"name": "no-email", "property": "email", "present": False, "points": -5},
                ],
            }
        )
    )


def test_points_add_up_and_each_carries_its_evidence() -> None:
    score = scorer().score(
        {"industry": "software", "numemployees": "250", "form": "Demo request", "email": "a@b.c"}
    )
    assert score.total == 75
    assert [h.rule for h in score.hits] == ["demo", "industry", "size"]
    assert score.hits[1].evidence == "industry software"
    assert score.is_mql


def test_the_reason_is_the_strongest_positive_trigger() -> None:
    score = scorer().score(
        {"industry": "SOFTWARE", "form": "Demo request", "jobtitle": "PhD Student", "email": "x"}
    )
    assert score.reason == "asked for a demo"
    assert score.total == -40
    assert not score.is_mql


def test_negative_rules_and_missing_values() -> None:
    score = scorer().score({"numemployees": "4", "phone": ""})
    assert {h.rule: h.points for h in score.hits} == {"small": -10, "no-email": -5}


def test_non_numeric_values_never_match_numeric_rules() -> None:
    assert scorer().score({"numemployees": "lots", "email": "x"}).total == 0


def test_threshold_is_inclusive() -> None:
    assert scorer(threshold=40).score({"form": "Demo request", "email": "x"}).is_mql


def test_explain_is_a_readable_line() -> None:
    text = scorer().score({"form": "Demo request", "phone": "1", "email": "x"}).explain()
    assert text == "45 points: +40 asked for a demo; +5 phone is 1"
