"""Working-day deadlines (policy T) against the official 2026 calendar (State Council notice,
as shipped in chinese-calendar 1.11.0): Mid-Autumn Sep 25-27, National Day Oct 1-7 off;
Sunday Sep 20 and Saturday Oct 10 are make-up working days (调休)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import chinese_calendar
import pytest

from records.calendar_sources import HolidaysPackage
from records.catalogue import DeadlineBasis, DeadlineRule, get_kind
from records.deadlines import SCHOOL_TZ, WorkingCalendar

CAL = WorkingCalendar()
T1A = get_kind("F1").deadline  # 2 working days by default
T1B = get_kind("F2").deadline  # the same working day
T4B = get_kind("F8").deadline  # 10 working days by default


def at(y, m, d, hh=10, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SCHOOL_TZ)


def test_catalogue_rules_are_the_ones_tested():
    assert (T1A.clause, T1A.default_days, T1A.basis) == ("T1a", 2, DeadlineBasis.WORKING_DAYS)
    assert (T1B.clause, T1B.basis) == ("T1b", DeadlineBasis.SAME_DAY)
    assert (T4B.clause, T4B.default_days) == ("T4b", 10)


def test_official_2026_national_day_calendar():
    off = [date(2026, 10, d) for d in range(1, 8)] + [date(2026, 9, 25), date(2026, 10, 11)]
    on = [date(2026, 9, 20), date(2026, 10, 10), date(2026, 10, 8), date(2026, 9, 30)]
    assert not any(CAL.is_workday(d) for d in off)
    assert all(CAL.is_workday(d) for d in on)


def test_deadline_across_national_day_and_make_up_saturday():
    # Triggered Wed Sep 30: day 1 is Thu Oct 8, day 2 is Fri Oct 9 (Oct 1-7 off).
    assert CAL.due_time(at(2026, 9, 30), T1A, {}) == at(2026, 10, 9, 18)
    # Three days: the make-up Saturday Oct 10 counts as the third.
    assert CAL.due_time(at(2026, 9, 30), T1A, {"deadline.T1a_days": 3}) == at(2026, 10, 10, 18)
    # Four days: Sunday Oct 11 is off, so Monday Oct 12.
    assert CAL.due_time(at(2026, 9, 30), T1A, {"deadline.T1a_days": 4}) == at(2026, 10, 12, 18)


def test_ten_working_days_across_both_holidays():
    # From Thu Sep 24: Sep 28, 29, 30, Oct 8, 9, 10, 12, 13, 14, 15.
    assert CAL.due_time(at(2026, 9, 24), T4B, {}) == at(2026, 10, 15, 18)


def test_make_up_sunday_is_a_working_day():
    # Triggered Sat Sep 19: day 1 is the make-up Sunday Sep 20, day 2 Monday Sep 21.
    assert CAL.due_time(at(2026, 9, 19), T1A, {}) == at(2026, 9, 21, 18)
    # Same-day rule on the make-up Sunday: that very day.
    assert CAL.due_time(at(2026, 9, 20, 9), T1B, {}) == at(2026, 9, 20, 18)


def test_same_day_rule():
    assert CAL.due_time(at(2026, 9, 29, 9, 30), T1B, {}) == at(2026, 9, 29, 18)
    # Configured day end 17:30.
    settings = {"deadline.workday_end_hour": 17, "deadline.workday_end_minute": 30}
    assert CAL.due_time(at(2026, 9, 29, 9), T1B, settings) == at(2026, 9, 29, 17, 30)
    # After the day's end: the next working day (here across the National Day holiday).
    assert CAL.due_time(at(2026, 9, 30, 19), T1B, {}) == at(2026, 10, 8, 18)
    # A configured zero-day rule means the same day too.
    assert CAL.due_time(at(2026, 9, 29), T1A, {"deadline.T1a_days": 0}) == at(2026, 9, 29, 18)


def test_trigger_on_a_sunday():
    # Sunday Oct 18, 2026 (an ordinary weekend): same day -> Monday; 2 days -> Tuesday.
    assert CAL.due_time(at(2026, 10, 18, 11), T1B, {}) == at(2026, 10, 19, 18)
    assert CAL.due_time(at(2026, 10, 18, 11), T1A, {}) == at(2026, 10, 20, 18)


def test_trigger_in_utc_is_counted_in_the_school_zone():
    # 2026-09-29 17:00 UTC is already Sep 30 01:00 in Shanghai.
    due = CAL.due_time(datetime(2026, 9, 29, 17, 0, tzinfo=UTC), T1A, {})
    assert due == at(2026, 10, 9, 18) and due.tzinfo is not None


def test_add_working_days_keeps_the_time_of_day():
    assert CAL.add_working_days(at(2026, 9, 30, 14, 5), 1) == at(2026, 10, 8, 14, 5)
    assert CAL.add_working_days(at(2026, 10, 3, 8), 0) == at(2026, 10, 8, 8)
    with pytest.raises(ValueError):
        CAL.add_working_days(datetime(2026, 9, 30, 14), 1)  # naive


def test_overdue_and_days_left():
    due = CAL.due_time(at(2026, 9, 30), T1A, {})  # Fri Oct 9 18:00
    assert CAL.working_days_left(due, at(2026, 9, 30, 11)) == 2
    assert CAL.working_days_left(due, at(2026, 10, 4)) == 2  # still in the holiday
    assert CAL.working_days_left(due, at(2026, 10, 9, 17)) == 0
    assert not CAL.is_overdue(due, at(2026, 10, 9, 17, 59))
    assert CAL.is_overdue(due, at(2026, 10, 9, 18, 1))
    assert CAL.working_days_left(due, at(2026, 10, 12)) == -2  # Sat 10 (make-up) and Mon 12


def test_periodic_report_time():
    rule = get_kind("F6").deadline
    assert rule.basis is DeadlineBasis.PERIODIC
    # Triggered Mon Sep 21 -> Friday Sep 25 is Mid-Autumn: next working day Mon Sep 28, 16:00.
    assert CAL.due_time(at(2026, 9, 21), rule, {}) == at(2026, 9, 28, 16)
    assert CAL.due_time(at(2026, 10, 12), rule, {"deadline.T3a_hour": 15}) == at(2026, 10, 16, 15)


def test_bad_setting_is_refused():
    with pytest.raises(ValueError, match="deadline.T1a_days"):
        CAL.due_time(at(2026, 9, 30), T1A, {"deadline.T1a_days": -1})


def test_a_year_no_source_knows_is_counted_provisionally():
    # 2099: no package has the State Council's arrangement; Mon 2099-03-02 + 3 working days.
    rule = DeadlineRule("T5a", "deadline.T5a_days", 3, "test")
    due = CAL.due_time(datetime(2099, 3, 2, 10, tzinfo=SCHOOL_TZ), rule, {})
    assert due == datetime(2099, 3, 5, 18, tzinfo=SCHOOL_TZ)
    assert CAL.is_provisional(due.date()) and not CAL.is_provisional(date(2026, 10, 8))


def _until_2026(day: date) -> bool:
    """The official calendar as a package knowing only years up to 2026 would see it."""
    if day.year > 2026:
        raise NotImplementedError(f"no available data for year {day.year}")
    return chinese_calendar.is_workday(day)


UNTIL_2026 = WorkingCalendar(_until_2026, package=HolidaysPackage(official_years=range(2001, 2027)))
"""Both packages as released in November 2026: no State Council arrangement for 2027 yet."""


def test_deadline_running_into_a_year_without_data():
    rule = DeadlineRule("T4b", "deadline.T4b_days", 10, "test")
    # Mon Dec 28 + 10: Dec 29, 30, 31, then 2027 by law: Jan 1 (New Year's Day) off, so
    # Jan 4-8 and Jan 11, 12: a provisional deadline, not an error.
    due = UNTIL_2026.due_time(at(2026, 12, 28), rule, {})
    assert due == at(2027, 1, 12, 18) and UNTIL_2026.is_provisional(due.date())


def test_check_coverage_names_provisional_years_60_days_ahead():
    assert CAL.check_coverage(date(2025, 6, 1)) == []
    assert CAL.check_coverage(date(2099, 6, 1)) == [2099]
    assert CAL.check_coverage(date(2099, 11, 15)) == [2099, 2100]
    assert UNTIL_2026.check_coverage(date(2026, 6, 1)) == []
    assert UNTIL_2026.check_coverage(date(2026, 10, 31)) == []  # 61 days before Dec 31
    assert UNTIL_2026.check_coverage(date(2026, 11, 1)) == [2027]  # 60 days before
    assert UNTIL_2026.check_coverage(date(2027, 6, 1)) == [2027]


def test_injected_calendar_is_used():
    weekdays_only = WorkingCalendar(lambda d: d.weekday() < 5)
    assert weekdays_only.due_time(at(2026, 9, 30), T1A, {}) == at(2026, 10, 2, 18)
