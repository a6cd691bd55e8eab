"""The HubSpot budget's arithmetic (`core.pacing`): no window ever sees more calls than HubSpot's limit,
a busy budget refuses a call that would wait past its patience, an idle one lets a burst through."""

from __future__ import annotations

import bisect

import pytest

from leadflow.core.pacing import SHARE, Budget, reserve


def _slots(budget: Budget, arrivals: list[float]) -> list[float]:
    """When each call starts, for calls arriving at these times, each willing to wait for ever."""
    tat: float | None = None
    starts = []
    for now in arrivals:
        slot = reserve(budget, tat, now, patience_s=float("inf"))
        assert slot is not None
        tat = slot.tat
        starts.append(slot.start)
    return starts


def _busiest(starts: list[float], window_s: float) -> int:
    """The most calls any window of `window_s` (HubSpot's rolling one: (t - window, t]) holds."""
    ordered = sorted(starts)
    return max(i + 1 - bisect.bisect_right(ordered, t - window_s) for i, t in enumerate(ordered))


@pytest.mark.parametrize(("limit", "window_s"), [(100, 10.0), (190, 10.0), (250, 10.0), (4, 1.0), (10, 1.0)])
def test_no_window_holds_more_calls_than_hubspot_s_limit_however_the_calls_arrive(
    limit: int, window_s: float
) -> None:
    budget = Budget.of("ten_secondly", limit, window_s)
    at_once = [0.0] * (limit * 5)
    trickled = [i * window_s / (limit * 3) for i in range(limit * 9)]
    after_a_pause = [0.0] * limit + [window_s * 3 + i * 0.001 for i in range(limit * 3)]
    for arrivals in (at_once, trickled, after_a_pause):
        assert _busiest(_slots(budget, arrivals), window_s) <= min(limit, budget.most_in(window_s))
    # ...and the budget still spends most of the limit under a sustained burst.
    assert _busiest(_slots(budget, at_once), window_s) >= int(limit * SHARE) - 2


def test_a_call_that_would_wait_past_its_patience_takes_no_slot() -> None:
    budget = Budget.of("ten_secondly", 190, 10.0)
    taken = reserve(budget, 100.0 + 5.0, now=100.0, patience_s=4.0)
    assert taken is None
    waited = reserve(budget, 100.0 + 5.0, now=100.0, patience_s=12.0)
    assert waited is not None
    assert waited.start == pytest.approx(105.0 - budget.tolerance_s)
    assert waited.tat == pytest.approx(105.0 + budget.interval_s)


def test_an_idle_budget_lets_a_burst_through_without_waiting() -> None:
    budget = Budget.of("ten_secondly", 190, 10.0)
    starts = _slots(budget, [50.0] * 15)
    assert starts == pytest.approx([50.0] * 15)
    assert _slots(budget, [50.0] * 16)[-1] == pytest.approx(50.0 + budget.interval_s)
