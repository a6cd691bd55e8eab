"""Working calendars: whether a rep is at work, and when N business hours from now fall due.

Written by hand because the well-kept business-hours libraries either ignore time zones or
pull in a holiday database; leadflow only needs a team's own hours, days and holidays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from leadflow.core.config import CalendarConfig, Leave

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Ten years of days without a working minute means the calendar has none at all.
_MAX_DAYS = 3660


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True)
class WorkCalendar:
    """A rep's working week in their own time zone; `None` hours mean around the clock."""

    zone: ZoneInfo
    start_minute: int = 0
    end_minute: int = 24 * 60
    days: frozenset[int] = frozenset(range(7))
    holidays: frozenset[date] = frozenset()
    around_the_clock: bool = True

    @classmethod
    def of(cls, config: CalendarConfig | None, timezone: str | None = None) -> WorkCalendar:
        """The calendar a team's configuration describes, in the member's own time zone if set."""
        if config is None:
            return cls(zone=ZoneInfo(timezone or "UTC"))
        start, end = config.hours.split("-")
        return cls(
            zone=ZoneInfo(timezone or config.timezone),
            start_minute=_minutes(start),
            end_minute=_minutes(end),
            days=frozenset(_DAYS.index(d) for d in config.days),
            holidays=frozenset(config.holidays),
            around_the_clock=False,
        )

    def local_date(self, at: datetime) -> date:
        """The calendar date at `at` in this calendar's time zone."""
        return at.astimezone(self.zone).date()

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working window of a local day, as UTC datetimes, or None on a day off."""
        if day.weekday() not in self.days or day in self.holidays:
            return None
        midnight = datetime.combine(day, time(0), tzinfo=self.zone)
        opens = datetime.combine(day, time(self.start_minute // 60, self.start_minute % 60), tzinfo=self.zone)
        closes = (
            datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone)
            if self.end_minute == 24 * 60
            else midnight.replace(hour=self.end_minute // 60, minute=self.end_minute % 60)
        )
        return opens.astimezone(UTC), closes.astimezone(UTC)

    def is_open(self, at: datetime) -> bool:
        """Whether `at` falls inside working hours."""
        if self.around_the_clock:
            return True
        window = self._window(self.local_date(at))
        return window is not None and window[0] <= at < window[1]

    def add_business_hours(self, start: datetime, hours: float) -> datetime:
        """The moment `hours` of working time after `start` (time outside working hours does not count).

        Around the clock this is plain addition; with working hours Mon-Fri 09:00-17:00, four
        hours from Friday 16:00 fall due on Monday at 12:00.
        """
        if self.around_the_clock:
            return start + timedelta(hours=hours)
        remaining = timedelta(hours=hours)
        cursor = start.astimezone(UTC)
        day = self.local_date(start)
        for _ in range(_MAX_DAYS):
            window = self._window(day)
            if window is not None:
                opens, closes = window
                cursor = max(cursor, opens)
                if cursor < closes:
                    if remaining <= closes - cursor:
                        return cursor + remaining
                    remaining -= closes - cursor
            day += timedelta(days=1)
        raise ValueError("the calendar has no working time")

    def business_hours(self, start: datetime, end: datetime) -> float:
        """The working hours between two moments (0 when `end` is not after `start`): the inverse of
        `add_business_hours`."""
        if end <= start:
            return 0.0
        if self.around_the_clock:
            return (end - start).total_seconds() / 3600
        worked = timedelta()
        day, last = self.local_date(start), self.local_date(end)
        while day <= last:
            window = self._window(day)
            if window is not None:
                opens, closes = max(window[0], start), min(window[1], end)
                worked += max(timedelta(), closes - opens)
            day += timedelta(days=1)
        return worked.total_seconds() / 3600


def on_leave(leaves: list[Leave], day: date) -> Leave | None:
    """The out-of-office period covering `day`, if any."""
    return next((leave for leave in leaves if leave.start <= day <= leave.end), None)
