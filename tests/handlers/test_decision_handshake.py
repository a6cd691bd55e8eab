"""The token handshake between a rep's decision and the journey's wait, on DynamoDB (moto)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from leadflow import wiring
from leadflow_cli.local.runtime import LocalRuntime


def test_a_decision_kept_between_waits_is_handed_to_the_next_wait(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime_factory(consume_queues=False)
    store = wiring.store()
    store.record_journey("7", "lead-7-1", "escalated", datetime.now(UTC))
    assert store.park("7", "lead-7-1", "decision", '{"decision": "accept"}') is None  # nobody waiting yet
    assert store.set_task_token("7", "lead-7-1", "token-2") == '{"decision": "accept"}'
    # Kept until the journey's final step, in case that wait times out before it resumes.
    assert store.set_task_token("7", "lead-7-1", "token-3") == '{"decision": "accept"}'
    store.record_journey("7", "lead-7-1", "sal", datetime.now(UTC), final=True)
    record = store.latest_journey("7")
    assert record is not None and "pending_decision" not in record and "task_token" not in record


def test_a_waiting_token_is_claimed_exactly_once(runtime_factory: Callable[..., LocalRuntime]) -> None:
    runtime_factory(consume_queues=False)
    store = wiring.store()
    store.record_journey("8", "lead-8-1", "awaiting_decision", datetime.now(UTC))
    assert store.set_task_token("8", "lead-8-1", "token-1") is None
    assert store.park("8", "lead-8-1", "decision", '{"decision": "reject"}') == "token-1"
    assert store.claim_task_token("8", "lead-8-1", "token-1") is True
    assert store.claim_task_token("8", "lead-8-1", "token-1") is False
    record = store.latest_journey("8")
    assert record is not None and "task_token" not in record and "pending_decision" in record


def test_an_engagement_is_never_handed_to_a_wait_for_a_decision(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime_factory(consume_queues=False)
    store = wiring.store()
    store.record_journey("6", "lead-6-1", "awaiting_decision", datetime.now(UTC))
    assert store.set_task_token("6", "lead-6-1", "decision-token", "decision") is None
    # A meeting booked before the rep accepted: kept, but not delivered to the decision wait.
    assert store.park("6", "lead-6-1", "engagement", '{"kind": "meeting_booked"}') is None
    assert (
        store.set_task_token("6", "lead-6-1", "engagement-token", "engagement")
        == '{"kind": "meeting_booked"}'
    )


def test_an_input_arriving_after_a_wait_timed_out_is_kept_for_the_next_wait(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    import time

    runtime_factory(consume_queues=False)
    store = wiring.store()
    store.record_journey("5", "lead-5-1", "awaiting_decision", datetime.now(UTC))
    store.set_task_token("5", "lead-5-1", "timed-out-token", "decision", expires_at=time.time() - 1)
    assert store.park("5", "lead-5-1", "decision", '{"decision": "accept"}') is None
    assert (
        store.set_task_token("5", "lead-5-1", "next-token", "decision", time.time() + 60)
        == '{"decision": "accept"}'
    )


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
