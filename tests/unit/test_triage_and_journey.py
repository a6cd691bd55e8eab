"""Which events leadflow acts on, and the journey's pure helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadflow.core.clock import seconds_until
from leadflow.core.decisions import Decision, qualifies, reason_problem
from leadflow.core.journey_record import contact_of, execution_name
from leadflow.core.triage import Action, triage
from leadflow.webhooks.events import WebhookEvent

WATCHED = frozenset({"industry"})


def event(kind: str, prop: str | None = None, value: str | None = None) -> WebhookEvent:
    return WebhookEvent.model_validate(
        {
            "eventId": 1,
            "subscriptionId": 2,
            "portalId": 3,
            "occurredAt": 1_795_510_800_000,
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
        (event("contact.propertyChange", "leadflow_decision_reason", "not_icp"), Action.DECISION),
        (event("contact.propertyChange", "leadflow_connected_call_at", "1764000000000"), Action.ENGAGEMENT),
        (event("contact.propertyChange", "leadflow_connected_call_at", ""), None),
        (event("contact.propertyChange", "leadflow_score", "80"), None),
        (event("contact.propertyChange", "favourite_colour", "red"), None),
        (event("deal.creation"), None),
        (event("contact.deletion"), None),
    ],
)
def test_triage(ev: WebhookEvent, expected: Action | None) -> None:
    assert triage(ev, WATCHED, frozenset({"leadflow_connected_call_at"})) is expected


def test_dedupe_key_is_hubspots_event_identity() -> None:
    assert event("contact.creation").dedupe_key == "2:1:1795510800000:5"


def test_execution_name_is_deterministic_and_within_the_80_character_limit() -> None:
    at = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    name = execution_name("123456789012345", at)
    assert name == execution_name("123456789012345", at)
    assert name != execution_name("123456789012345", at + timedelta(seconds=1))
    assert len(name) <= 80


def test_the_contact_of_an_execution_name_is_the_one_it_was_made_for() -> None:
    at = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    assert contact_of(execution_name("123456789012345", at)) == "123456789012345"
    with pytest.raises(ValueError, match="not a journey execution name"):
        contact_of("deal-1-2")


def test_a_wait_lasts_whole_seconds_and_never_less_than_one() -> None:
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert seconds_until(start, start + timedelta(hours=4)) == 14400
    assert seconds_until(start, start + timedelta(milliseconds=200)) == 1
    assert seconds_until(start, start - timedelta(hours=1)) == 1


def test_recycle_and_reject_need_a_reason_from_their_own_picklist() -> None:
    assert reason_problem(Decision.ACCEPT, "") is None
    assert reason_problem(Decision.REJECT, "not_icp") is None
    assert reason_problem(Decision.RECYCLE, "bad_timing") is None
    missing = reason_problem(Decision.REJECT, "")
    assert missing is not None and "needs a reason" in missing and "no_budget" in missing
    wrong = reason_problem(Decision.RECYCLE, "not_icp")
    assert wrong is not None and "'not_icp' is not a recycle reason" in wrong


def test_which_engagements_make_an_sql_under_each_policy() -> None:
    assert qualifies("engagement_required", "call_logged")
    assert qualifies("engagement_required", "email_reply")
    assert qualifies("fast_track", "meeting_booked")
    assert qualifies("meeting_booked", "meeting_booked")
    assert not qualifies("meeting_booked", "call_logged")
    assert not qualifies("meeting_booked", "email_reply")
