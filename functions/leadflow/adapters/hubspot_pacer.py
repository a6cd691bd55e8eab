"""Every function's HubSpot calls drawn from one budget in the state table (`core.pacing`).

Under a burst a call takes the next slot with one atomic write; an idle budget is started again with
a conditional write after a read. The call then sleeps until its slot. How long a caller may wait is
its patience: the work a rep is waiting on (a routed lead's hand-off) waits longer than a new lead's
routing, so under a burst the leads that came first are handed off first, and the newcomers' steps
try again a little later (`HubSpotBusy`, retried by the journey).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Final, Protocol

from leadflow.app.ports import HubSpotBusy
from leadflow.core.pacing import Budget, reserve
from leadflow.observability import count

# How long a call may wait for its slot, outside any `patience`.
DEFAULT_PATIENCE_S: Final = 10.0
# A batch of lead events: the burst's first work (scoring), waits its turn longest.
LEAD_EVENTS_PATIENCE_S: Final = 15.0
# A journey step of a lead already routed, or a fast-track one: a rep is, or soon is, on it.
JOURNEY_PATIENCE_S: Final = 10.0
# A new lead's routing yields to those under way when the budget is taken for longer than this.
NEW_LEAD_PATIENCE_S: Final = 4.0
# Conditional writes lost to other functions before the call gives up for now (HubSpotBusy).
MAX_RACES: Final = 20


@dataclass
class _Patience:
    left_s: float


_patience: ContextVar[_Patience | None] = ContextVar("hubspot_patience", default=None)


@contextmanager
def patience(seconds: float) -> Iterator[None]:
    """Let the HubSpot calls made inside wait, in all, up to `seconds` for their slots in the budget:
    an invocation's calls one after the other never wait longer together than it can afford."""
    token = _patience.set(_Patience(seconds))
    try:
        yield
    finally:
        _patience.reset(token)


class PaceStore(Protocol):
    """Where the budgets' theoretical arrival times are kept (the state table)."""

    def pace(self, name: str) -> float | None: ...

    def pace_on(self, name: str, earliest: float, latest: float, interval: float) -> float | None: ...

    def advance_pace(self, name: str, seen: float | None, tat: float) -> bool: ...


class HubSpotPacer:
    """Spaces HubSpot calls under the portal's limits: the ten-second window, and the search API's."""

    def __init__(
        self,
        store: PaceStore,
        calls_per_ten_seconds: int,
        searches_per_second: int,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # Wall-clock epoch seconds: the budget is shared by functions on different hosts.
        self._store = store
        self._general = Budget.of("ten_secondly", calls_per_ten_seconds, 10.0)
        self._search = Budget.of("search", searches_per_second, 1.0)
        self._clock = clock
        self._sleep = sleep

    def wait_turn(self, path: str, time_left_s: float | None = None) -> float:
        """Wait for the next slot of the budget `path` draws from; the seconds waited.

        Raises HubSpotBusy, having sent nothing, when the slot is further away than the caller's
        patience (or than `time_left_s`, what its function has left for waiting).
        """
        budget = self._search if path.endswith("/search") else self._general
        left = _patience.get()
        most = DEFAULT_PATIENCE_S if left is None else left.left_s
        # A free slot is taken whatever is left: whether the call itself still fits is the caller's to say.
        most = max(0.0, most if time_left_s is None else min(most, time_left_s))
        for _ in range(MAX_RACES):
            now = self._clock()
            # A busy budget: one atomic write takes the next slot, if it is no further away than `most`.
            tat = self._store.pace_on(budget.name, now, now + most + budget.tolerance_s, budget.interval_s)
            if tat is not None:
                return self._wait_until(max(now, tat - budget.interval_s - budget.tolerance_s), now, left)
            seen = self._store.pace(budget.name)
            slot = reserve(budget, seen, now, most)
            if slot is None:
                count("HubSpotBusy")
                taken = (seen or now) - budget.tolerance_s - now
                raise HubSpotBusy(
                    f"HubSpot's {budget.name} budget is spoken for the next {taken:.1f} s, longer than "
                    f"this call waits ({most:.1f} s): nothing was sent"
                )
            # An idle budget (or none yet): start it now, unless another call just did.
            if (seen is None or seen < now) and self._store.advance_pace(budget.name, seen, slot.tat):
                return self._wait_until(slot.start, now, left)
        raise HubSpotBusy(f"HubSpot's {budget.name} budget: {MAX_RACES} other calls took each slot first")

    def _wait_until(self, start: float, now: float, left: _Patience | None) -> float:
        """Sleep until the slot's start, spending the invocation's patience; the seconds waited."""
        waited = max(0.0, start - now)
        if waited:
            if left is not None:
                left.left_s -= waited
            self._sleep(waited)
        return waited
