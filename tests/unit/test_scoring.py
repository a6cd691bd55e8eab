"""Scoring: fit and intent with evidence, decay, the three gates, tier, persona, fast track."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadflow.core.scoring import Scorer
from leadflow.core.scoring_config import ScoringConfig
from leadflow.core.signals import Signal

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
ICP = {"industry": "software", "numemployees": "250", "jobtitle": "Head of RevOps", "email": "m@acme.example"}


def config(**overrides: Any) -> ScoringConfig:
    data: dict[str, Any] = {
        "fit": {
            "threshold": 30,
            "rules": [
                {
                    "name": "industry",
                    "property": "industry",
                    "in": ["SOFTWARE"],
                    "points": 20,
                    "evidence": "industry {value}",
                },
                {"name": "size", "property": "numemployees", "gte": 100, "points": 15},
            ],
        },
        "intent": {
            "threshold": 30,
            "rules": [
                {
                    "name": "talk-to-sales",
                    "signal": "form_submission",
                    "where": {"form": {"contains": "talk to sales"}},
                    "points": 40,
                    "evidence": "asked to talk to sales on {last}",
                },
                {
                    "name": "pricing",
                    "signal": "page_view",
                    "where": {"url": {"contains": "/pricing"}},
                    "min_count": 2,
                    "points": 20,
                    "evidence": "viewed pricing {count} times",
                },
            ],
        },
        "negative": {
            "properties": [{"name": "tiny", "property": "numemployees", "lte": 10, "points": -15}],
            "signals": [
                {
                    "name": "careers",
                    "signal": "page_view",
                    "where": {"url": {"contains": "/careers"}},
                    "points": -25,
                    "evidence": "browsing careers",
                }
            ],
        },
        "disqualifiers": [
            {"name": "student", "property": "jobtitle", "contains": "student", "reason": "student"},
            {"name": "personal", "property": "email", "domain_in": ["gmail.com"], "reason": "personal_email"},
        ],
        "decay": {"half_life_days": 10},
        "recency_days": 30,
        "tiers": {"A": 35, "B": 20},
        "personas": [{"name": "RevOps leader", "property": "jobtitle", "contains": "revops"}],
        "fast_track": {"min_tier": "A", "any_of": ["talk-to-sales"]},
    }
    data.update(overrides)
    return ScoringConfig.model_validate(data)


def signal(kind: str, days_ago: float, **attributes: str) -> Signal:
    return Signal(type=kind, occurred_at=NOW - timedelta(days=days_ago), attributes=attributes)


TALK = signal("form_submission", 0, form="Talk to sales")


def test_an_icp_contact_asking_for_sales_is_an_explained_fast_tracked_mql() -> None:
    card = Scorer(config()).score(ICP, [TALK], now=NOW)
    assert (card.fit, card.intent, card.tier, card.persona) == (35, 40, "A", "RevOps leader")
    assert card.is_mql and card.fast_track
    assert card.reason == "asked to talk to sales on 2026-11-24"
    assert card.intent_evidence == "asked to talk to sales on 2026-11-24."
    assert card.last_signal_at == TALK.occurred_at
    assert [h.rule for h in card.hits] == ["talk-to-sales", "industry", "size"]
    assert card.explain().startswith("fit 35, intent 40, tier A: +40 asked to talk to sales")


def test_each_gate_can_stop_an_mql() -> None:
    scorer = Scorer(config())
    low_fit = scorer.score({"industry": "retail"}, [TALK], now=NOW)
    assert (low_fit.gates.fit, low_fit.is_mql) == (False, False)
    no_intent = scorer.score(ICP, [signal("page_view", 1, url="/pricing")], now=NOW)
    assert (no_intent.gates.intent, no_intent.is_mql) == (False, False)
    stale = Scorer(config(decay={"window_days": 365})).score(
        ICP, [signal("form_submission", 40, form="talk to sales")], now=NOW
    )
    assert (stale.gates.intent, stale.gates.recency, stale.is_mql) == (True, False, False)


def test_min_count_and_half_life_decay() -> None:
    scorer = Scorer(config())
    once = scorer.score(ICP, [signal("page_view", 0, url="/pricing")], now=NOW)
    assert "pricing" not in {h.rule for h in once.hits}
    twice = scorer.score(
        ICP, [signal("page_view", 10, url="/pricing"), signal("page_view", 10, url="/pricing")], now=NOW
    )
    (hit,) = [h for h in twice.hits if h.rule == "pricing"]
    assert (hit.points, hit.evidence) == (10, "viewed pricing 2 times")  # one half-life old: half the points


def test_a_window_drops_old_signals_entirely() -> None:
    card = Scorer(config(decay={"window_days": 7})).score(
        ICP, [signal("form_submission", 8, form="talk to sales")], now=NOW
    )
    assert card.intent == 0 and card.last_signal_at is None


def test_negative_rules_lower_fit_and_intent() -> None:
    careers = [signal("page_view", 0, url="/careers")]
    card = Scorer(config()).score({**ICP, "numemployees": "5"}, [TALK, *careers], now=NOW)
    assert card.fit == 20 - 15
    assert card.intent == 40 - 25
    assert {"tiny", "careers"} <= {h.rule for h in card.hits}


@pytest.mark.parametrize(
    ("props", "reason"),
    [({"jobtitle": "PhD Student"}, "student"), ({"email": "maya@GMAIL.com"}, "personal_email")],
)
def test_disqualifiers_rule_out_whatever_the_score(props: dict[str, str], reason: str) -> None:
    card = Scorer(config()).score({**ICP, **props}, [TALK], now=NOW)
    assert card.disqualified_by == reason
    assert not card.is_mql and not card.fast_track
    assert f"disqualified ({reason})" in card.explain()


def test_fast_track_needs_the_tier_and_the_named_signal() -> None:
    tier_b = Scorer(config()).score({**ICP, "numemployees": "20"}, [TALK], now=NOW)
    assert (tier_b.tier, tier_b.fast_track) == ("B", False)
    pricing_only = [signal("page_view", 0, url="/pricing")] * 2 + [signal("page_view", 1, url="/pricing")]
    card = Scorer(config(intent={"threshold": 10, "rules": config().intent.model_dump()["rules"]})).score(
        ICP, pricing_only, now=NOW
    )
    assert card.is_mql and not card.fast_track


def test_company_properties_and_signal_evidence_reach_the_explanation() -> None:
    scoring = config(
        fit={
            "threshold": 10,
            "rules": [
                {
                    "name": "company-size",
                    "property": "company.numberofemployees",
                    "gte": 500,
                    "points": 20,
                    "evidence": "company has {value} people",
                }
            ],
        },
        intent={
            "threshold": 10,
            "rules": [
                {
                    "name": "reply",
                    "signal": "conversation_reply",
                    "points": 30,
                    "evidence": "replied: {evidence}",
                }
            ],
        },
        fast_track=None,
    )
    said = Signal(type="conversation_reply", occurred_at=NOW, evidence="we are replacing Chili Piper")
    card = Scorer(scoring).score({"company.numberofemployees": "800"}, [said], now=NOW)
    assert [h.evidence for h in card.hits] == [
        "replied: we are replacing Chili Piper",
        "company has 800 people",
    ]
    assert scoring.company_properties == {"numberofemployees"}


def test_numeric_rules_read_hubspot_range_options() -> None:
    from leadflow.core.conditions import Condition

    at_least_200 = Condition.model_validate({"gte": 200}).compile()
    at_most_10 = Condition.model_validate({"lte": 10}).compile()
    assert [at_least_200(v) for v in ("500-1000", "1000+", "100-500", "250", "1,000-5,000", "lots")] == [
        True,
        True,
        False,
        True,
        True,
        False,
    ]
    assert [at_most_10(v) for v in ("1-5", "5-25", "8", "-3")] == [True, False, True, True]
