"""One HubSpot budget in the state table (moto's DynamoDB), shared by every function: calls wait for
their slot, functions racing for a slot each get their own, a call that would wait past its patience
is refused before anything reaches HubSpot, and searches draw from their own budget."""

from __future__ import annotations

import bisect
from typing import Any

import pytest

from leadflow.adapters.hubspot import HubSpotGateway
from leadflow.adapters.hubspot_pacer import HubSpotPacer, patience
from leadflow.adapters.state_store import StateStore
from leadflow.app.ports import HubSpotBusy
from leadflow_cli.hubspot_standin import HubSpotStandIn
from tests.conftest import STANDIN_TOKEN
from tests.contracts.conftest import TABLE

T0 = 1_800_000_000.0


class Clock:
    """Wall-clock seconds that move only when a call sleeps (recorded)."""

    def __init__(self) -> None:
        self.now = T0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


class CountingStore(StateStore):
    """The state store, counting how often a budget was read from the table."""

    reads = 0

    def pace(self, name: str) -> float | None:
        self.reads += 1
        return super().pace(name)


def pacer(store: StateStore, clock: Clock, per_ten_seconds: int = 190) -> HubSpotPacer:
    return HubSpotPacer(store, per_ten_seconds, 4, clock, clock.sleep)


def test_functions_sharing_the_table_each_get_their_own_slot_within_hubspot_s_limit(dynamodb: Any) -> None:
    store = CountingStore(dynamodb, TABLE)
    clock = Clock()
    functions = [pacer(store, clock), pacer(store, clock)]
    # 400 calls at the same moment, the two functions taking turns.

    def call(function: HubSpotPacer) -> float:
        with patience(60.0):  # each call its own invocation
            return T0 + function.wait_turn("/crm/objects/2026-09/contacts/batch/read")

    starts = sorted(call(functions[i % 2]) for i in range(400))
    assert len(set(starts)) > 380
    assert max(i + 1 - bisect.bisect_right(starts, t - 10.0) for i, t in enumerate(starts)) <= 190
    assert store.reads <= 2  # under the burst each call took its slot in one atomic write, nothing read
    assert store.pace("ten_secondly") == pytest.approx(starts[-1] + 14 * 10 / 161 + 10 / 161)


def test_a_call_waits_for_its_slot_then_reaches_hubspot(dynamodb: Any, standin: HubSpotStandIn) -> None:
    contact = standin.store.create_object("contacts", {"industry": "RETAIL"})
    store, clock = StateStore(dynamodb, TABLE), Clock()
    store.advance_pace("ten_secondly", None, T0 + 3.0)
    gateway = HubSpotGateway(STANDIN_TOKEN, standin.base_url, pacer=pacer(store, clock))
    with patience(12.0):
        assert gateway.read_contacts([contact], ["industry"])[contact]["industry"] == "RETAIL"
    assert clock.slept == [pytest.approx(3.0 - 14 * 10 / 161)]
    assert standin.store.call_count("contacts.batch_read") == 1


def test_a_call_that_would_wait_past_its_patience_is_refused_and_sends_nothing(
    dynamodb: Any, standin: HubSpotStandIn
) -> None:
    contact = standin.store.create_object("contacts", {"industry": "RETAIL"})
    store, clock = StateStore(dynamodb, TABLE), Clock()
    store.advance_pace("ten_secondly", None, T0 + 6.0)
    gateway = HubSpotGateway(STANDIN_TOKEN, standin.base_url, pacer=pacer(store, clock))
    with (
        patience(4.0),
        pytest.raises(HubSpotBusy, match=r"ten_secondly budget is spoken for the next 5\.1 s"),
    ):
        gateway.read_contacts([contact], ["industry"])
    assert standin.store.call_count() == 0
    assert clock.slept == []
    assert store.pace("ten_secondly") == T0 + 6.0


def test_a_call_never_waits_longer_than_its_function_has_left(dynamodb: Any, standin: HubSpotStandIn) -> None:
    contact = standin.store.create_object("contacts", {})
    store, clock = StateStore(dynamodb, TABLE), Clock()
    store.advance_pace("ten_secondly", None, T0 + 6.0)
    # 15 s left: 2 s kept for the function's end and 10 s for the call and its work leave 3 s to wait.
    gateway = HubSpotGateway(STANDIN_TOKEN, standin.base_url, lambda: 15.0, pacer(store, clock))
    with patience(12.0), pytest.raises(HubSpotBusy, match=r"\(3\.0 s\)"):
        gateway.read_contacts([contact], ["email"])
    assert standin.store.call_count() == 0


def test_searches_draw_from_their_own_budget(dynamodb: Any, standin: HubSpotStandIn) -> None:
    standin.store.create_object("contacts", {"leadflow_journey_id": "j-1"})
    store, clock = StateStore(dynamodb, TABLE), Clock()
    store.advance_pace("ten_secondly", None, T0 + 60.0)
    gateway = HubSpotGateway(STANDIN_TOKEN, standin.base_url, pacer=pacer(store, clock))
    with patience(1.0):
        gateway.contacts_where("leadflow_journey_id", "j-1")
    assert clock.slept == []
    assert store.pace("search") == pytest.approx(T0 + 0.5)


def test_patience_is_what_an_invocation_s_calls_wait_in_all(dynamodb: Any, standin: HubSpotStandIn) -> None:
    contact = standin.store.create_object("contacts", {})
    store, clock = StateStore(dynamodb, TABLE), Clock()
    gateway = HubSpotGateway(STANDIN_TOKEN, standin.base_url, pacer=pacer(store, clock))
    store.advance_pace("ten_secondly", None, T0 + 3.0 + 14 * 10 / 161)
    with patience(4.0):
        gateway.read_contacts([contact], ["email"])  # waits 3 s of its 4; the next slot is 3 s away too
        with pytest.raises(HubSpotBusy, match=r"\(1\.0 s\)"):
            gateway.read_contacts([contact], ["email"])
    assert clock.slept == [pytest.approx(3.0)]
    assert standin.store.call_count() == 1


def test_a_budget_moved_on_under_a_burst_is_started_again_once_idle(dynamodb: Any) -> None:
    store = StateStore(dynamodb, TABLE)
    store.advance_pace("ten_secondly", None, T0)
    for _ in range(7):  # a burst: the table adds each interval exactly, whatever a float would make of it
        assert store.pace_on("ten_secondly", T0 - 1, T0 + 10, 10 / 161) is not None
    seen = store.pace("ten_secondly")
    assert seen == pytest.approx(T0 + 7 * 10 / 161)
    # Once idle, the next call starts the budget again with the value it read.
    assert store.advance_pace("ten_secondly", seen, T0 + 60)
    assert store.pace("ten_secondly") == T0 + 60
