"""The state ports' contract: every test runs on FakeStore and on the DynamoDB StateStore (moto).

The fast tier trusts FakeStore to behave as the table does; these tests prove it, one
behaviour each, on both sides: journey records, the task-token handshake, routing counters,
signals and webhook dedupe keys.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadflow.adapters.state_store import MAX_SIGNALS, StateStore
from leadflow.app.ports import AwsUnavailable, CallbackClaim
from leadflow.core.journey_record import (
    FINAL_STATUSES,
    JourneyFields,
    JourneyKey,
    JourneyRecord,
    JourneyStatus,
    Reassignment,
    WaitKind,
)
from leadflow.core.routing import Standing
from leadflow.core.signals import Signal
from tests.contracts.conftest import TABLE
from tests.fast.fakes import FakeStore

Store = FakeStore | StateStore

NOW = 1_800_000_000.0  # epoch seconds, what park compares token expiries with
AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
KINDS: tuple[WaitKind, ...] = ("decision", "engagement", "repair")


@pytest.fixture(params=["fake", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Store:
    """The in-memory FakeStore, or the real StateStore on moto's DynamoDB."""
    if request.param == "fake":
        return FakeStore()
    return StateStore(request.getfixturevalue("dynamodb"), TABLE)


def journey_key(contact: str = "7", epoch: int = 1_800_000_000) -> JourneyKey:
    """A journey's key, named as the state machine names executions."""
    return JourneyKey(contact, f"lead-{contact}-{epoch}")


KEY = journey_key()


def stored(store: Store, key: JourneyKey = KEY) -> JourneyRecord:
    """The journey's record, which must exist."""
    found = store.journey(key)
    assert found is not None, f"no record for {key}"
    return found


def later(hours: float) -> datetime:
    """A moment `hours` after AT."""
    return AT + timedelta(hours=hours)


def waiting(store: Store, kind: WaitKind = "decision", expires_at: float | None = None) -> str:
    """A journey whose wait of `kind` registered its token (expiring at `expires_at`); the token."""
    store.record_journey(KEY, JourneyStatus.AWAITING_DECISION, AT, JourneyFields())
    token = f"token-{kind}"
    store.set_task_token(KEY, token, kind, expires_at)
    return token


# Journey records ------------------------------------------------------------------------------


def test_a_transition_sets_the_status_and_the_time_of_the_update(store: Store) -> None:
    store.record_journey(KEY, JourneyStatus.ROUTED, AT, JourneyFields())
    store.record_journey(KEY, JourneyStatus.AWAITING_DECISION, later(1), JourneyFields())
    record = stored(store)
    assert (record.contact_id, record.journey_id) == (KEY.contact_id, KEY.journey_id)
    assert record.status is JourneyStatus.AWAITING_DECISION
    assert record.updated_at == later(1)


def test_a_status_keeps_the_first_time_it_was_reached(store: Store) -> None:
    store.record_journey(KEY, JourneyStatus.ROUTED, AT, JourneyFields())
    store.record_journey(KEY, JourneyStatus.ESCALATED, later(4), JourneyFields())
    store.record_journey(KEY, JourneyStatus.ROUTED, later(5), JourneyFields())
    record = stored(store)
    assert record.status is JourneyStatus.ROUTED and record.updated_at == later(5)
    assert record.reached == {JourneyStatus.ROUTED: AT, JourneyStatus.ESCALATED: later(4)}


def test_a_transition_writes_the_fields_set_and_leaves_the_others_alone(store: Store) -> None:
    first = JourneyFields(
        mql_at=AT, owner_id="7001", owner_email="ada@example.com", team="emea", escalations=0
    )
    store.record_journey(KEY, JourneyStatus.ROUTED, AT, first)
    store.record_journey(
        KEY, JourneyStatus.ESCALATED, later(4), JourneyFields(owner_id="7002", escalations=1, why="no answer")
    )
    record = stored(store)
    assert (record.owner_id, record.escalations, record.why) == ("7002", 1, "no answer")
    assert (record.mql_at, record.owner_email, record.team) == (AT, "ada@example.com", "emea")
    assert record.deal_id is None and record.decision is None


def test_tasks_and_reassignments_are_kept_per_escalation_and_merged_across_writes(store: Store) -> None:
    ada, grace = Reassignment(owner_id="7001", owner_email="ada@example.com", detail="turn 1"), Reassignment()
    store.record_journey(KEY, JourneyStatus.ROUTED, AT, JourneyFields(tasks={0: "task-0"}))
    store.remember(KEY, JourneyFields(tasks={1: "task-1"}, reassignments={1: ada}))
    store.record_journey(
        KEY, JourneyStatus.ESCALATED, later(4), JourneyFields(tasks={1: "task-1b"}, reassignments={2: grace})
    )
    record = stored(store)
    assert record.tasks == {0: "task-0", 1: "task-1b"}
    assert record.reassignments == {1: ada, 2: grace}


@pytest.mark.parametrize("status", sorted(FINAL_STATUSES))
def test_a_final_status_drops_the_token_and_the_inputs_of_the_wait(
    store: Store, status: JourneyStatus
) -> None:
    waiting(store, expires_at=NOW + 60)
    store.park(KEY, "decision", '{"decision": "accept"}', NOW)
    store.park(KEY, "engagement", '{"kind": "meeting_booked"}', NOW)
    store.record_journey(KEY, status, later(1), JourneyFields(decision="accept"))
    record = stored(store)
    assert (record.status, record.decision) == (status, "accept")
    assert record.task_token is None and record.waiting_for is None and record.token_expires is None
    assert record.pending_decision is None and record.pending_engagement is None


@pytest.mark.parametrize("status", sorted(set(JourneyStatus) - FINAL_STATUSES))
def test_a_status_that_is_not_final_keeps_the_token_and_the_inputs(
    store: Store, status: JourneyStatus
) -> None:
    token = waiting(store, expires_at=NOW + 60)
    store.park(KEY, "engagement", '{"kind": "meeting_booked"}', NOW)
    store.record_journey(KEY, status, later(4), JourneyFields(escalations=1))
    record = stored(store)
    assert (record.task_token, record.waiting_for, record.token_expires) == (token, "decision", NOW + 60)
    assert record.pending_engagement == '{"kind": "meeting_booked"}'


def test_remember_writes_fields_without_a_transition(store: Store) -> None:
    store.record_journey(KEY, JourneyStatus.ROUTED, AT, JourneyFields(owner_id="7001"))
    store.remember(KEY, JourneyFields(task_id="20001", sla_due_at=later(4)))
    record = stored(store)
    assert record.status is JourneyStatus.ROUTED
    assert record.updated_at == AT and record.reached == {JourneyStatus.ROUTED: AT}
    assert (record.owner_id, record.task_id, record.sla_due_at) == ("7001", "20001", later(4))


def test_remember_on_a_journey_without_a_record_leaves_its_status_unset(store: Store) -> None:
    store.remember(KEY, JourneyFields(step="route"))
    record = stored(store)
    assert (record.step, record.status, record.updated_at, record.reached) == ("route", None, None, {})


def test_the_latest_journey_is_the_one_with_the_greatest_journey_id(store: Store) -> None:
    for epoch in (1_700_000_000, 1_800_000_000, 1_750_000_000):
        store.record_journey(
            journey_key("7", epoch), JourneyStatus.ROUTED, AT, JourneyFields(rule=str(epoch))
        )
    # Neither another contact whose id starts alike nor the contact's signals count as its journeys.
    store.record_journey(journey_key("77", 1_900_000_000), JourneyStatus.ROUTED, AT, JourneyFields())
    store.add_signals("7", [Signal(type="page_view", occurred_at=AT)])
    latest = store.latest_journey("7")
    assert latest is not None
    assert (latest.journey_id, latest.rule) == ("lead-7-1800000000", "1800000000")


def test_a_contact_without_journeys_has_no_latest_journey(store: Store) -> None:
    store.add_signals("8", [Signal(type="page_view", occurred_at=AT)])
    assert store.latest_journey("8") is None
    assert store.latest_journey("404") is None


def test_an_absent_journey_has_no_record(store: Store) -> None:
    store.record_journey(KEY, JourneyStatus.ROUTED, AT, JourneyFields())
    assert store.journey(journey_key("7", 1_700_000_000)) is None
    assert store.journey(journey_key("404")) is None


# The task-token handshake ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_token_is_handed_the_input_kept_for_its_own_kind_only(store: Store, kind: WaitKind) -> None:
    store.record_journey(KEY, JourneyStatus.AWAITING_DECISION, AT, JourneyFields())
    for other in KINDS:
        if other != kind:
            store.park(KEY, other, f"{other} input", NOW)
    assert store.set_task_token(KEY, "token-1", kind, None) is None
    store.park(KEY, kind, f"{kind} input", NOW)
    assert store.set_task_token(KEY, "token-2", kind, None) == f"{kind} input"


def test_a_kept_input_is_handed_to_every_later_wait_until_the_journey_ends(store: Store) -> None:
    store.record_journey(KEY, JourneyStatus.ESCALATED, AT, JourneyFields())
    assert store.park(KEY, "decision", '{"decision": "accept"}', NOW) is None  # nobody waits yet
    assert store.set_task_token(KEY, "token-2", "decision", None) == '{"decision": "accept"}'
    # Kept in case that wait times out before it resumes.
    assert store.set_task_token(KEY, "token-3", "decision", None) == '{"decision": "accept"}'
    store.record_journey(KEY, JourneyStatus.SQL, later(1), JourneyFields())
    assert store.set_task_token(KEY, "token-4", "decision", None) is None


def test_a_token_without_an_expiry_never_expires(store: Store) -> None:
    token = waiting(store, expires_at=None)
    assert stored(store).token_expires is None
    assert store.park(KEY, "decision", "{}", 4_000_000_000.0) == token  # in 2096


def test_a_token_records_its_kind_and_expiry(store: Store) -> None:
    token = waiting(store, "engagement", expires_at=NOW + 60)
    record = stored(store)
    assert (record.task_token, record.waiting_for, record.token_expires) == (token, "engagement", NOW + 60)


@pytest.mark.parametrize(
    ("waits_for", "parked", "expires_at", "handed_out"),
    [
        pytest.param("decision", "decision", NOW + 60, True, id="live-wait-of-its-kind"),
        pytest.param("engagement", "engagement", NOW + 0.5, True, id="live-engagement-wait"),
        pytest.param("repair", "repair", None, True, id="repair-without-timeout"),
        pytest.param("decision", "engagement", NOW + 60, False, id="wait-of-another-kind"),
        pytest.param("engagement", "decision", None, False, id="decision-to-engagement-wait"),
        pytest.param("decision", "decision", NOW - 1, False, id="expired"),
        pytest.param("decision", "decision", NOW, False, id="expiring-now"),
    ],
)
def test_park_hands_out_the_token_only_to_a_live_wait_of_its_kind_and_keeps_the_input(
    store: Store, waits_for: WaitKind, parked: WaitKind, expires_at: float | None, handed_out: bool
) -> None:
    token = waiting(store, waits_for, expires_at)
    assert store.park(KEY, parked, "the input", NOW) == (token if handed_out else None)
    assert store.set_task_token(KEY, "next-token", parked, None) == "the input"


def test_park_with_nobody_waiting_keeps_the_input_and_returns_no_token(store: Store) -> None:
    assert store.park(KEY, "decision", '{"decision": "reject"}', NOW) is None
    record = stored(store)
    assert record.pending_decision == '{"decision": "reject"}' and record.task_token is None


def test_park_after_the_token_was_claimed_returns_no_token(store: Store) -> None:
    token = waiting(store)
    assert store.claim_task_token(KEY, token) is True
    assert store.park(KEY, "decision", '{"decision": "accept"}', NOW) is None


def test_a_waiting_token_is_claimed_exactly_once(store: Store) -> None:
    token = waiting(store)
    assert store.park(KEY, "decision", '{"decision": "reject"}', NOW) == token
    assert [store.claim_task_token(KEY, token) for _ in range(3)] == [True, False, False]
    record = stored(store)
    assert record.task_token is None and record.pending_decision == '{"decision": "reject"}'


def test_a_token_that_is_not_the_current_one_cannot_claim_the_wait(store: Store) -> None:
    old = waiting(store)
    store.set_task_token(KEY, "token-new", "decision", None)
    assert store.claim_task_token(KEY, old) is False
    assert stored(store).task_token == "token-new"
    assert store.claim_task_token(KEY, "token-new") is True


def test_a_claimed_token_given_back_is_the_wait_s_again_and_can_be_claimed_once_more(store: Store) -> None:
    token = waiting(store)
    assert store.claim_task_token(KEY, token) is True
    store.restore_task_token(KEY, token)
    assert store.park(KEY, "decision", '{"decision": "accept"}', NOW) == token
    assert store.claim_task_token(KEY, token) is True


def test_a_token_given_back_never_replaces_the_token_of_a_newer_wait(store: Store) -> None:
    old = waiting(store)
    assert store.claim_task_token(KEY, old) is True
    store.set_task_token(KEY, "token-new", "decision", None)
    store.restore_task_token(KEY, old)
    assert stored(store).task_token == "token-new"


def test_claiming_a_token_of_a_journey_without_a_record_fails_and_writes_nothing(store: Store) -> None:
    assert store.claim_task_token(KEY, "token-1") is False
    assert store.journey(KEY) is None


# Routing ledger -------------------------------------------------------------------------------


def test_each_teams_turns_count_one_two_three_independently_over_its_cycle(store: Store) -> None:
    cycles = {"emea": ["a", "b"], "amer": ["c", "d", "e"]}
    turns = [store.next_turn(team, cycles[team]) for team in ("emea", "emea", "amer", "emea", "amer")]
    assert turns == [(1, "a"), (2, "b"), (1, "c"), (3, "a"), (2, "d")]


def test_a_change_of_members_continues_the_cycle_with_whoever_was_next(store: Store) -> None:
    assert [store.next_turn("emea", ["a", "b", "c", "d"])[1] for _ in range(3)] == ["a", "b", "c"]
    # a leaves: d was next, and stays next; then the cycle goes on without a.
    assert [store.next_turn("emea", ["b", "c", "d"])[1] for _ in range(4)] == ["d", "b", "c", "d"]
    # e joins: the round ends as it would have, and e's first turn comes at its place in the cycle.
    assert [store.next_turn("emea", ["b", "c", "d", "e"])[1] for _ in range(5)] == ["b", "c", "d", "e", "b"]


def test_a_reps_standing_adds_up_their_turns_and_leads_per_team(store: Store) -> None:
    store.take_turn("emea", "a@x.io", "a@x.io")
    store.take_turn("emea", "b@x.io", "a@x.io")
    store.take_turn("emea", None, None)
    store.take_turn("amer", "b@x.io", "b@x.io")
    assert store.standings("emea") == {"a@x.io": Standing(1, 2), "b@x.io": Standing(1, 0)}
    assert store.standings("emea")["b@x.io"].owed == 1
    assert store.standings("amer") == {"b@x.io": Standing(1, 1)}
    assert store.standings("apac") == {}


def test_a_rep_gets_exactly_cap_leads_a_day(store: Store) -> None:
    assert [store.claim_capacity("7001", "2026-11-24", 3) for _ in range(5)] == [True] * 3 + [False] * 2
    assert store.claim_capacity("7001", "2026-11-25", 3) is True  # a new day
    assert store.claim_capacity("7002", "2026-11-24", 3) is True  # another rep


def test_a_reps_daily_count_carries_across_calls_with_different_caps(store: Store) -> None:
    assert [store.claim_capacity("7001", "2026-11-24", 2) for _ in range(3)] == [True, True, False]
    assert store.claim_capacity("7001", "2026-11-24", 3) is True  # two counted so far, below three
    assert store.claim_capacity("7001", "2026-11-24", 3) is False
    assert store.claim_capacity("7001", "2026-11-24", 1) is False


# Signals --------------------------------------------------------------------------------------


def view(hours: float, **attributes: str) -> Signal:
    """A page view `hours` after AT."""
    return Signal(type="page_view", occurred_at=later(hours), attributes=attributes)


def test_repeated_signals_are_loaded_once_newest_first(store: Store) -> None:
    home, pricing, demo = view(0, url="/"), view(2, url="/pricing"), view(1, url="/demo")
    reply = Signal(type="email_reply", occurred_at=later(3), id="reply-1")
    store.add_signals("7", [home, pricing, home])
    store.add_signals("7", [demo, pricing, reply])
    # The same id is the same signal, whatever else it says.
    store.add_signals("7", [reply.model_copy(update={"evidence": "re: pricing"})])
    assert store.load_signals(["7"]) == {"7": [reply, pricing, demo, home]}


def test_signals_are_loaded_per_contact_and_unknown_contacts_are_left_out(store: Store) -> None:
    store.add_signals("7", [view(0)])
    store.add_signals("8", [view(1), view(2)])
    assert store.load_signals(["8", "7", "404", "7"]) == {"7": [view(0)], "8": [view(2), view(1)]}
    assert store.load_signals([]) == {}


def test_a_contacts_signal_list_keeps_the_newest_two_hundred(store: Store) -> None:
    views = [view(i, url=f"/p{i}") for i in range(MAX_SIGNALS + 50)]
    for start in range(0, len(views), 25):
        store.add_signals("9", views[start : start + 25])
    store.add_signals("9", views[-3:])  # repeats are dropped
    assert store.load_signals(["9"])["9"] == views[-MAX_SIGNALS:][::-1]


# Webhook dedupe -------------------------------------------------------------------------------


def test_seen_events_are_exactly_the_remembered_keys(store: Store) -> None:
    keys = [f"event-{i}" for i in range(230)]  # more than one batch of each call
    assert store.seen_events(keys) == set()
    store.remember_events(keys[:150])
    store.remember_events(keys[:10])  # remembering again changes nothing
    assert store.seen_events(keys) == set(keys[:150])
    assert store.seen_events(["event-3", "event-3", "event-200"]) == {"event-3"}
    assert store.seen_events([]) == set()


# Workflow callbacks ---------------------------------------------------------------------------


def test_a_callback_is_tied_once_and_its_work_kept_until_done(store: Store) -> None:
    other = journey_key("8")
    first = store.claim_callback("cb-1", KEY, '{"work": 1}')
    again = store.claim_callback("cb-1", other, '{"work": 2}')
    assert first == again == CallbackClaim(KEY, '{"work": 1}')
    assert store.callback_journey("cb-1") == CallbackClaim(KEY, '{"work": 1}')
    store.callback_work_done("cb-1")
    assert store.callback_journey("cb-1") == store.claim_callback("cb-1", other) == CallbackClaim(KEY)
    assert store.callback_journey("cb-2") is None


# DynamoDB's batch answers (StateStore only) ---------------------------------------------------


class Throttled:
    """A DynamoDB client whose batch calls leave all but one item unprocessed, `times` times (as a
    throttled table answers: 200, with the rest under UnprocessedItems/UnprocessedKeys); every call is
    counted, and a run away caller is stopped."""

    def __init__(self, client: Any, times: int) -> None:
        self._client = client
        self.exceptions = client.exceptions
        self.left = times
        self.calls = 0

    def _limited(self, call: Any, requests: dict[str, Any], field: str, unprocessed: str) -> Any:
        self.calls += 1
        assert self.calls < 50, "asked again and again without giving up"
        if self.left == 0:
            return call(RequestItems=requests)
        self.left -= 1
        ((table, request),) = requests.items()
        items = request[field] if field else request
        first, rest = items[:1], items[1:]
        answer = call(RequestItems={table: {**request, field: first} if field else first})
        if rest:
            answer[unprocessed] = {table: {**request, field: rest} if field else rest}
        return answer

    def batch_write_item(self, RequestItems: dict[str, Any]) -> Any:
        return self._limited(self._client.batch_write_item, RequestItems, "", "UnprocessedItems")

    def batch_get_item(self, RequestItems: dict[str, Any]) -> Any:
        return self._limited(self._client.batch_get_item, RequestItems, "Keys", "UnprocessedKeys")


def test_what_dynamodb_leaves_unprocessed_is_asked_again_after_a_growing_backoff(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr("leadflow.adapters.state_store.time.sleep", waits.append)
    monkeypatch.setattr("leadflow.adapters.state_store.random.uniform", lambda low, high: high)
    throttled = Throttled(dynamodb, times=3)
    store = StateStore(throttled, TABLE)
    keys = [f"event-{n}" for n in range(5)]
    store.remember_events(keys)
    assert waits == [0.1, 0.2, 0.4] and throttled.calls == 4
    throttled.left = 2
    assert store.seen_events(keys) == set(keys)


def test_a_batch_dynamodb_keeps_leaving_unprocessed_fails_as_retryable_instead_of_looping(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("leadflow.adapters.state_store.time.sleep", lambda _: None)
    throttled = Throttled(dynamodb, times=1000)
    with pytest.raises(AwsUnavailable, match="left items unprocessed after 6 attempts"):
        StateStore(throttled, TABLE).remember_events([f"event-{n}" for n in range(10)])
    assert throttled.calls == 6
