"""The local runtime's clock: the time the functions read, and the time the engine's waits count.

Either it runs `scale` times faster than the wall clock (`leadflow local --time-scale 3600`: an
hour of SLA passes in a second), or, with no scale, it stands still until someone moves it
forward (the test suite and the demo), so that a deadline passes exactly when they say and
never because a machine was slow. The deployed functions never see this: production reads
the system clock, and Step Functions counts its own waits.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


@dataclass(order=True)
class Alarm:
    """Something to run once the clock reaches `at`."""

    at: datetime
    seq: int
    fire: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        """Do not run it (harmless once it ran)."""
        self.cancelled = True


class LocalClock:
    """Virtual time with alarms; thread-safe. Use `close()` to fire every pending alarm at the end."""

    def __init__(self, scale: float | None = 1.0, start: datetime | None = None) -> None:
        if scale is not None and scale < 1:
            raise ValueError("the time scale must be at least 1")
        self.scale = scale
        self._origin = start or datetime.now(UTC)
        self._wall_origin = datetime.now(UTC)
        self._offset = timedelta()
        self._alarms: list[Alarm] = []
        self._seq = itertools.count()
        self._changed = threading.Condition()
        self._closed = False
        # A scaled clock fires its alarms on a thread of its own as they fall due; a clock that
        # stands still fires them in `advance`, before it returns.
        self._thread: threading.Thread | None = None
        if scale is not None:
            self._thread = threading.Thread(target=self._run, name="local-clock", daemon=True)
            self._thread.start()

    def now(self) -> datetime:
        """The current virtual time (timezone-aware, UTC)."""
        with self._changed:
            return self._now()

    def _now(self) -> datetime:
        if self.scale is None:
            return self._origin + self._offset
        return self._origin + self._offset + (datetime.now(UTC) - self._wall_origin) * self.scale

    def advance(self, delta: timedelta) -> datetime:
        """Move time forward by `delta`; the alarms that fall due have fired when it returns. The new time."""
        if delta < timedelta():
            raise ValueError("time only moves forward")
        with self._changed:
            self._offset += delta
            now = self._now()
            due = self._due()
            self._changed.notify_all()
        _fire(due)
        return now

    def alarm(self, seconds: float, fire: Callable[[], None]) -> Alarm:
        """Run `fire` once `seconds` of clock time have passed from now."""
        with self._changed:
            alarm = Alarm(self._now() + timedelta(seconds=seconds), next(self._seq), fire)
            heapq.heappush(self._alarms, alarm)
            self._changed.notify_all()
            return alarm

    def pending(self) -> list[datetime]:
        """When the alarms still to fire are due, soonest first."""
        with self._changed:
            return sorted(a.at for a in self._alarms if not a.cancelled)

    def close(self) -> None:
        """Fire every pending alarm now and stop: whatever waits on the clock is released."""
        with self._changed:
            self._closed = True
            due = self._due()
            self._changed.notify_all()
        _fire(due)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _due(self) -> list[Alarm]:
        """Pop the alarms due now (all of them once closed); the caller holds the lock."""
        due = []
        now = self._now()
        while self._alarms and (self._closed or self._alarms[0].at <= now):
            due.append(heapq.heappop(self._alarms))
        return due

    def _sleep_s(self) -> float | None:
        """How long the thread may sleep before the next alarm (None: until something changes)."""
        live = [a for a in self._alarms if not a.cancelled]
        if not live:
            return None
        assert self.scale is not None, "only a scaled clock sleeps"
        return max(0.0, (live[0].at - self._now()).total_seconds() / self.scale)

    def _run(self) -> None:
        while True:
            with self._changed:
                if self._closed:
                    return
                due = self._due()
                if not due:
                    self._changed.wait(self._sleep_s())
                    continue
            _fire(due)


def _fire(alarms: list[Alarm]) -> None:
    for alarm in alarms:
        if not alarm.cancelled:
            alarm.fire()
