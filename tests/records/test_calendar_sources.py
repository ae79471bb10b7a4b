"""Where working days come from (policy T): chinese-calendar, the holidays package's copy of the
State Council's notices, and the provisional count by law for a year no source knows; and the
working-day ordinals that replace day-by-day loops.

Facts checked against the installed releases (chinese-calendar 1.11.0, holidays 0.109): both
end their official data with 2026. holidays 0.109 lists 2027 from the law only: Spring Festival
Fri Feb 5 (lunar New Year's Eve) to Mon Feb 8, and Tue Feb 9, Wed Feb 10 off in place of the
Saturday and Sunday (article 6); it has no make-up working day (调休) for 2027, because the
State Council's 2027 notice is not in it. The tests fix which years count as known, so that a
later release with the 2027 notice does not change their answers."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
import pytest

from records.calendar_sources import HolidaysPackage
from records.catalogue import get_kind
from records.deadlines import SCHOOL_TZ, WorkingCalendar

T1A = get_kind("F1").deadline  # 2 working days by default
T4B = get_kind("F8").deadline  # 10 working days by default


def at(y, m, d, hh=10, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SCHOOL_TZ)


def until(last_year: int):
    """chinese-calendar as a release knowing the years up to `last_year` would answer."""

    def is_workday(day: date) -> bool:
        if day.year > last_year:
            raise NotImplementedError(f"no available data for year {day.year}")
        return chinese_calendar.is_workday(day)

    return is_workday


AS_RELEASED = WorkingCalendar(until(2026),
                              package=HolidaysPackage(official_years=range(2001, 2027)))
"""Both packages as released in November 2026: 2027 is provisional."""


def test_2027_spring_festival_by_law_without_make_up_days():
    cal = AS_RELEASED
    off = [date(2027, 2, d) for d in range(5, 11)]  # Fri Feb 5 (eve) .. Wed Feb 10 (补假)
    assert not any(cal.is_workday(d) for d in off)
    assert cal.is_workday(date(2027, 2, 4)) and cal.is_workday(date(2027, 2, 11))
    # No make-up Saturday or Sunday: the package has no 2027 notice to take them from.
    assert not cal.is_workday(date(2027, 1, 31)) and not cal.is_workday(date(2027, 2, 20))
    assert all(cal.is_provisional(d) for d in off)
    # Thu Feb 4 + 2 working days: Thu Feb 11 and Fri Feb 12.
    assert cal.due_time(at(2027, 2, 4), T1A, {}) == at(2027, 2, 12, 18)
    # + 10: Feb 11, 12, 15-19, 22, 23, 24.
    assert cal.due_time(at(2027, 2, 4), T4B, {}) == at(2027, 2, 24, 18)


def test_the_package_s_notice_decides_a_year_chinese_calendar_lacks():
    """The second source: chinese-calendar without 2026, the holidays package with its notice."""
    cal = WorkingCalendar(until(2025), package=HolidaysPackage(official_years={2025, 2026}))
    assert cal.is_workday(date(2026, 9, 20)) and cal.is_workday(date(2026, 10, 10))  # 调休
    assert not any(cal.is_workday(date(2026, 10, d)) for d in range(1, 8))
    assert cal.due_time(at(2026, 9, 30), T1A, {"deadline.T1a_days": 3}) == at(2026, 10, 10, 18)
    assert not cal.is_provisional(date(2026, 10, 10))
    day = date(2026, 1, 1)
    while day.year == 2026:  # the two packages agree on the whole year
        assert cal.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_the_installed_package_knows_the_notices_it_ships():
    assert HolidaysPackage().knows(2026) and not HolidaysPackage().knows(2099)


def test_a_year_no_source_knows_counts_weekends_and_the_statutory_holidays():
    cal = WorkingCalendar(until(2026), package=HolidaysPackage(official_years=()))
    # 2031 by law: Jan 1; Jan 22 (eve) - Jan 25 (Sat) and Mon Jan 27 in place of the Saturday;
    # Apr 5 (Sat, Qingming) and Mon Apr 7; May 1-2; Jun 24 (Dragon Boat);
    # Oct 1-3 (Mid-Autumn falls on Oct 1 too).
    off = [date(2031, 1, 1), date(2031, 1, 22), date(2031, 1, 23), date(2031, 1, 24),
           date(2031, 1, 27), date(2031, 4, 7), date(2031, 5, 1), date(2031, 5, 2),
           date(2031, 6, 24), date(2031, 10, 1), date(2031, 10, 2), date(2031, 10, 3)]
    assert not any(cal.is_workday(d) for d in off)
    working = [d for d in _days(date(2031, 1, 1), date(2031, 12, 31))
               if d.weekday() < 5 and d not in off]
    assert all(cal.is_workday(d) for d in working)
    assert sum(map(cal.is_workday, _days(date(2031, 1, 1), date(2031, 12, 31)))) == len(working)
    assert cal.is_provisional(date(2031, 6, 1)) and not cal.is_provisional(date(2026, 6, 1))


@pytest.mark.parametrize("clock", [at(2026, 12, 20, 9), at(2027, 6, 1, 9)])
def test_submitting_in_december_or_next_year_never_fails(clock):
    """The old calendar raised for both: 2027 was known to no installed source."""
    due = WorkingCalendar().due_time(clock, T4B, {})
    assert due > clock
    expected = {2026: at(2027, 1, 4, 18), 2027: at(2027, 6, 16, 18)}[clock.year]
    # Sun Dec 20 + 10: Dec 21-25, 28-31, then Fri Jan 1 off, so Mon Jan 4.
    # Tue Jun 1 + 10: Jun 2-4, 7, 8, Wed Jun 9 (Dragon Boat) off, Jun 10, 11, 14-16.
    due = AS_RELEASED.due_time(clock, T4B, {})
    assert due == expected and AS_RELEASED.is_provisional(due.date())


def test_check_coverage_warns_60_days_ahead():
    cal = AS_RELEASED
    assert cal.check_coverage(date(2026, 9, 1)) == []
    assert cal.check_coverage(date(2026, 10, 31)) == []  # Dec 31 is 61 days away
    assert cal.check_coverage(date(2026, 11, 1)) == [2027]  # 60 days away
    assert cal.check_coverage(date(2026, 12, 20)) == [2027]
    assert cal.check_coverage(date(2027, 3, 1)) == [2027]
    known = WorkingCalendar(until(2026), package=HolidaysPackage(official_years={2027}))
    assert known.check_coverage(date(2027, 11, 1)) == [2028]
    assert known.check_coverage(date(2027, 6, 1)) == []


# -- ordinals against the day-by-day count ------------------------------------------------


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _add_by_loop(on: dict[date, bool], day: date, n: int) -> date:
    """The old day-by-day count of `add_working_days` (`on`: is_workday per day)."""
    if n == 0:
        while not on[day]:
            day += timedelta(days=1)
        return day
    for _ in range(n):
        day += timedelta(days=1)
        while not on[day]:
            day += timedelta(days=1)
    return day


def _left_by_loop(on: dict[date, bool], due: date, today: date) -> int:
    """The old day-by-day count of `working_days_left`."""
    lo, hi, sign = (today, due, 1) if due >= today else (due, today, -1)
    return sign * sum(on[d] for d in _days(lo + timedelta(days=1), hi))


@pytest.mark.parametrize("cal", [AS_RELEASED, WorkingCalendar()], ids=["as-released", "installed"])
def test_ordinals_agree_with_the_day_by_day_count(cal):
    days = _days(date(2026, 1, 1), date(2027, 12, 31))
    on = {d: cal.is_workday(d) for d in _days(date(2026, 1, 1), date(2028, 2, 29))}
    for day in days:
        start = at(day.year, day.month, day.day, 11)
        for n in range(16):
            assert cal.add_working_days(start, n).date() == _add_by_loop(on, day, n), (day, n)
    for today in days[::14]:
        for due in days[::11]:
            now, due_at = at(today.year, today.month, today.day), at(due.year, due.month, due.day)
            assert cal.working_days_left(due_at, now) == _left_by_loop(on, due, today)


def test_ordinals_stay_put_when_the_window_grows_back_and_forth():
    cal = WorkingCalendar(until(2026), package=HolidaysPackage(official_years=()))
    first = cal.ordinal(date(2026, 10, 8))
    assert cal.ordinal(date(2024, 1, 2)) < first < cal.ordinal(date(2031, 1, 2))
    assert cal.ordinal(date(2026, 10, 8)) == first
    # Working days from 2024-12-31 (exclusive) to 2026-01-01: all of 2025.
    in_2025 = sum(map(chinese_calendar.is_workday, _days(date(2025, 1, 1), date(2025, 12, 31))))
    assert cal.ordinal(date(2025, 12, 31)) - cal.ordinal(date(2024, 12, 31)) == in_2025
