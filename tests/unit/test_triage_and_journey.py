"""Which events leadflow acts on, and the journey's pure helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadflow.core.journey import execution_name, next_in_rotation, sla_deadline
from leadflow.core.triage import Action, triage
from leadflow.webhooks.events import WebhookEvent

WATCHED = frozenset({"industry"})


def event(kind: str, prop: str | None = None, value: str | None = None) -> WebhookEvent:
    return WebhookEvent.model_validate(
        {
            "eventId": 1,
            "subscriptionId": 2,
            "portalId": 3,
            "occurredAt": 4,
            "subscriptionType": kind,
            "objectId": 5,
            "propertyName": prop,
            "propertyValue": value,
        }
    )


@pytest.mark.parametrize(
    ("ev", "expected"),
    [
        (event("contact.creation"), Action.RESCORE),
        (event("contact.propertyChange", "industry", "X"), Action.RESCORE),
        (event("contact.propertyChange", "leadflow_decision", "accept"), Action.DECISION),
        (event("contact.propertyChange", "leadflow_decision", ""), None),
        (event("contact.propertyChange", "leadflow_score", "80"), None),
        (event("contact.propertyChange", "favourite_colour", "red"), None),
        (event("deal.creation"), None),
        (event("contact.deletion"), None),
    ],
)
def test_triage(ev: WebhookEvent, expected: Action | None) -> None:
    assert triage(ev, WATCHED) is expected


def test_dedupe_key_is_hubspots_event_identity() -> None:
    assert event("contact.creation").dedupe_key == "2:1:4:5"


def test_execution_name_is_deterministic_and_within_the_80_character_limit() -> None:
    at = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    name = execution_name("123456789012345", at)
    assert name == execution_name("123456789012345", at)
    assert name != execution_name("123456789012345", at + timedelta(seconds=1))
    assert len(name) <= 80


def test_sla_deadline_scales_time() -> None:
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert sla_deadline(start, 4) == (start + timedelta(hours=4), 14400)
    assert sla_deadline(start, 4, time_scale=3600) == (start + timedelta(seconds=4), 4)
    assert sla_deadline(start, 0.0001, time_scale=3600)[1] == 1  # never below Step Functions' 1 s


def test_rotation_cycles_through_the_team() -> None:
    team = ["a", "b", "c"]
    assert [next_in_rotation(team, n) for n in range(1, 7)] == ["a", "b", "c", "a", "b", "c"]
    with pytest.raises(ValueError, match="empty team"):
        next_in_rotation([], 1)
