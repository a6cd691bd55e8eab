"""Business hours: SLA deadlines skip nights, weekends and holidays in the rep's own time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from leadflow.core.calendar import WorkCalendar, on_leave
from leadflow.core.config import CalendarConfig, Leave

BERLIN = ZoneInfo("Europe/Berlin")


def office(**overrides: object) -> WorkCalendar:
    spec = {"timezone": "Europe/Berlin", "hours": "09:00-17:00", **overrides}
    return WorkCalendar.of(CalendarConfig.model_validate(spec))


def test_four_business_hours_from_friday_afternoon_fall_due_on_monday() -> None:
    friday_4pm = datetime(2026, 11, 27, 16, 0, tzinfo=BERLIN)
    assert office().add_business_hours(friday_4pm, 4) == datetime(2026, 11, 30, 12, 0, tzinfo=BERLIN)


def test_a_holiday_is_skipped_like_a_weekend() -> None:
    thursday_4pm = datetime(2026, 12, 24, 16, 0, tzinfo=BERLIN)
    calendar = office(holidays=["2026-12-25"])
    # One hour on Thursday, none on the Friday holiday or the weekend, three on Monday.
    assert calendar.add_business_hours(thursday_4pm, 4) == datetime(2026, 12, 28, 12, 0, tzinfo=BERLIN)


def test_a_lead_arriving_at_night_starts_its_clock_when_the_office_opens() -> None:
    tuesday_3am = datetime(2026, 11, 24, 3, 0, tzinfo=BERLIN)
    assert office().add_business_hours(tuesday_3am, 2) == datetime(2026, 11, 24, 11, 0, tzinfo=BERLIN)


def test_the_clock_runs_in_the_reps_own_time_zone() -> None:
    spec = CalendarConfig.model_validate({"timezone": "Europe/Berlin"})
    new_york = WorkCalendar.of(spec, "America/New_York")
    # 15:00 UTC is 10:00 in New York: inside hours there, although Berlin has closed.
    at = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
    assert new_york.is_open(at)
    assert not WorkCalendar.of(spec).is_open(at)


def test_a_daylight_saving_change_does_not_shift_the_deadline() -> None:
    friday = datetime(2026, 10, 23, 16, 0, tzinfo=BERLIN)  # clocks go back on Sunday the 25th
    assert office().add_business_hours(friday, 2) == datetime(2026, 10, 26, 10, 0, tzinfo=BERLIN)


def test_without_a_calendar_hours_are_clock_hours_and_always_open() -> None:
    around = WorkCalendar.of(None)
    saturday_night = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)
    assert around.is_open(saturday_night)
    assert around.add_business_hours(saturday_night, 4) == datetime(2026, 11, 29, 3, 0, tzinfo=UTC)


def test_working_hours_until_midnight_are_allowed() -> None:
    late = office(hours="18:00-24:00")
    assert late.is_open(datetime(2026, 11, 24, 23, 30, tzinfo=BERLIN))
    assert not late.is_open(datetime(2026, 11, 24, 17, 30, tzinfo=BERLIN))


def test_out_of_office_covers_both_end_days() -> None:
    leave = Leave.model_validate({"from": "2026-12-01", "to": "2026-12-03"})
    assert on_leave([leave], date(2026, 12, 1)) == leave
    assert on_leave([leave], date(2026, 12, 3)) == leave
    assert on_leave([leave], date(2026, 12, 4)) is None


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"timezone": "UTC", "hours": "17:00-09:00"}, "must end after they start"),
        ({"timezone": "UTC", "hours": "9-5"}, "String should match pattern"),
        ({"timezone": "UTC", "days": ["funday"]}, "Input should be"),
    ],
)
def test_a_bad_calendar_is_refused_naming_the_problem(spec: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        CalendarConfig.model_validate(spec)


def test_business_hours_between_two_moments_undo_adding_them() -> None:
    friday_4pm = datetime(2026, 11, 27, 16, 0, tzinfo=BERLIN)
    calendar = office(holidays=["2026-11-30"])
    due = calendar.add_business_hours(friday_4pm, 4)
    assert calendar.business_hours(friday_4pm, due) == 4.0
    assert calendar.business_hours(due, friday_4pm) == 0.0
    around = WorkCalendar.of(None)
    assert around.business_hours(friday_4pm, due) == (due - friday_4pm).total_seconds() / 3600
