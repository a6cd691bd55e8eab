"""The token handshake between a rep's decision and the journey's wait, on DynamoDB (moto)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from leadflow import wiring
from leadflow.core.journey_record import JourneyFields, JourneyKey, JourneyStatus
from leadflow_cli.local.runtime import LocalRuntime

NOW = 1_800_000_000.0


def key(contact: str) -> JourneyKey:
    return JourneyKey(contact, f"lead-{contact}-1")


def test_a_decision_kept_between_waits_is_handed_to_the_next_wait(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime_factory(consume_queues=False)
    store = wiring.store()
    store.record_journey(key("7"), JourneyStatus.ESCALATED, datetime.now(UTC), JourneyFields())
    assert store.park(key("7"), "decision", '{"decision": "accept"}', NOW) is None  # nobody waiting yet
    assert store.set_task_token(key("7"), "token-2", "decision", None) == '{"decision": "accept"}'
    # Kept until the journey's final step, in case that wait times out before it resumes.
    assert store.set_task_token(key("7"), "token-3", "decision", None) == '{"decision": "accept"}'
    store.record_journey(key("7"), JourneyStatus.SQL, datetime.now(UTC), JourneyFields())
    record = store.latest_journey("7")
    assert record is not None and record.pending_decision is None and record.task_token is None


def test_a_waiting_token_is_claimed_exactly_once(runtime_factory: Callable[..., LocalRuntime]) -> None:
    runtime_factory(consume_queues=False)
    store = wiring.store()
    store.record_journey(key("8"), JourneyStatus.AWAITING_DECISION, datetime.now(UTC), JourneyFields())
    assert store.set_task_token(key("8"), "token-1", "decision", None) is None
    assert store.park(key("8"), "decision", '{"decision": "reject"}', NOW) == "token-1"
    assert store.claim_task_token(key("8"), "token-1") is True
    assert store.claim_task_token(key("8"), "token-1") is False
    record = store.latest_journey("8")
    assert record is not None and record.task_token is None and record.pending_decision is not None


def test_an_engagement_is_never_handed_to_a_wait_for_a_decision(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime_factory(consume_queues=False)
    store = wiring.store()
    store.record_journey(key("6"), JourneyStatus.AWAITING_DECISION, datetime.now(UTC), JourneyFields())
    assert store.set_task_token(key("6"), "decision-token", "decision", None) is None
    # A meeting booked before the rep accepted: kept, but not delivered to the decision wait.
    assert store.park(key("6"), "engagement", '{"kind": "meeting_booked"}', NOW) is None
    assert (
        store.set_task_token(key("6"), "engagement-token", "engagement", None) == '{"kind": "meeting_booked"}'
    )


def test_an_input_arriving_after_a_wait_timed_out_is_kept_for_the_next_wait(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime_factory(consume_queues=False)
    store = wiring.store()
    store.record_journey(key("5"), JourneyStatus.AWAITING_DECISION, datetime.now(UTC), JourneyFields())
    store.set_task_token(key("5"), "timed-out-token", "decision", NOW - 1)
    assert store.park(key("5"), "decision", '{"decision": "accept"}', NOW) is None
    assert store.set_task_token(key("5"), "next-token", "decision", NOW + 60) == '{"decision": "accept"}'


def test_a_contacts_signal_list_keeps_the_newest_two_hundred(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    from datetime import timedelta

    from leadflow.adapters.state_store import MAX_SIGNALS
    from leadflow.core.signals import Signal

    runtime_factory(consume_queues=False)
    store = wiring.store()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    views = [
        Signal(type="page_view", occurred_at=start + timedelta(hours=i), attributes={"url": f"/p{i}"})
        for i in range(MAX_SIGNALS + 50)
    ]
    for chunk in range(0, len(views), 25):
        store.add_signals("9", views[chunk : chunk + 25])
    store.add_signals("9", views[-3:])  # repeats are dropped
    kept = store.load_signals(["9"])["9"]
    assert len(kept) <= MAX_SIGNALS
    assert kept[0] == views[-1] and views[-MAX_SIGNALS + 25] in kept
