"""One HubSpot budget for every function: calls paced under the portal's rate limits.

HubSpot counts an app's calls in a rolling ten-second window (100 on Free and Starter, 190 on
Professional and Enterprise) and its search calls per second, apart from that window
(https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines,
https://developers.hubspot.com/changelog/crm-search-api-rate-limit-increase). Every Lambda that calls
HubSpot draws from the same budget, so leadflow stays under the limit instead of bouncing off it.

The budget is a generic cell rate algorithm (GCRA): one number per limit, the theoretical arrival
time (`tat`) of the next call, kept in the state table. A call reserves the next free slot and waits
for it; calls are spaced `interval_s` apart, with `tolerance_s` of burst. In any window the budget
lets through at most `share` of the limit plus the burst, below the limit itself, so clock skew
between functions and the network's jitter do not reach a 429.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

# The part of HubSpot's limit that is paced evenly, and the part kept as burst: a ten-second window
# of 190 gets 161 calls spaced 62 ms apart and 14 calls of burst (176 at most, 14 kept in reserve).
SHARE: Final = 0.85


@dataclass(frozen=True)
class Budget:
    """One rate limit, as GCRA spaces it: a call every `interval_s`, `tolerance_s` of burst."""

    name: str
    interval_s: float
    tolerance_s: float

    @classmethod
    def of(cls, name: str, calls: int, window_s: float) -> Budget:
        """The budget of HubSpot's limit of `calls` per `window_s`: SHARE of it evenly spaced (two below
        the limit at most, for a small one), half of what is left as burst (GCRA lets
        (window + tolerance) / interval + 1 calls into any window)."""
        paced = max(1, min(math.floor(calls * SHARE), calls - 2))
        interval = window_s / paced
        spare = calls - paced - 1
        return cls(name, interval, max(0.0, spare / 2) * interval)

    def most_in(self, window_s: float) -> int:
        """The most calls this budget lets into any window of `window_s`."""
        return math.floor((window_s + self.tolerance_s) / self.interval_s + 1e-9) + 1


@dataclass(frozen=True)
class Slot:
    """A reserved call: it may start at `start`; `tat` is the budget's next theoretical arrival time."""

    start: float
    tat: float


def reserve(budget: Budget, tat: float | None, now: float, patience_s: float) -> Slot | None:
    """The slot a call arriving at `now` may take, or None when it would wait longer than `patience_s`.

    A call is due at `tat - tolerance_s` at the earliest; taking it moves `tat` one interval on.
    """
    last = now if tat is None else max(tat, now)
    start = max(now, last - budget.tolerance_s)
    if start - now > patience_s:
        return None
    return Slot(start=start, tat=last + budget.interval_s)
