"""Time as the domain reads it: a clock is a function returning the current aware datetime.

Production code reads `utcnow`; the local runtime hands the functions its own clock (which a
test or the demo can move forward), so no production path knows about compressed time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]

# The times leadflow takes from outside (a webhook event's occurredAt, a signal's occurred_at, a
# record's version stamps): anything earlier or later is a sender's mistake, and arithmetic on it
# can overflow (`datetime.fromtimestamp` of 10^17 seconds raises).
EARLIEST: Final = datetime(2000, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(2100, 1, 1, tzinfo=UTC)
EARLIEST_MS: Final = int(EARLIEST.timestamp() * 1000)
LATEST_MS: Final = int(LATEST.timestamp() * 1000)


def utcnow() -> datetime:
    """The current time, timezone-aware (the production clock)."""
    return datetime.now(UTC)


def next_midnight(now: datetime, time_zone: str) -> datetime:
    """The next midnight in `time_zone` after `now` (in UTC)."""
    local = now.astimezone(ZoneInfo(time_zone))
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=local.tzinfo)
    return midnight.astimezone(UTC)


def seconds_until(now: datetime, due_at: datetime) -> int:
    """Whole seconds from `now` until `due_at`, at least one (Step Functions waits at least a second)."""
    return max(1, round((due_at - now).total_seconds()))
