"""The operator's holiday supplement (policy T): deadlines keep working into a year the
chinese-calendar package does not know yet, and a wrong file is refused with its place.

The packages' data is replaced by stand-ins only for "a year without data" (2027 is one today,
but will not be once the packages are updated, so these tests say which years they lack)."""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from pathlib import Path

import pytest

from records.calendar_sources import HolidaysPackage
from records.calendar_supplement import CalendarFileError, CalendarSupplement
from records.catalogue import get_kind
from records.deadlines import SCHOOL_TZ, WorkingCalendar

T1A = get_kind("F1").deadline  # 2 working days by default

NOTICE_2027 = """
# 国务院办公厅关于2027年部分节假日安排的通知（示例）
[2027]
holidays = ["2027-01-01", "2027-02-06..2027-02-12", 2027-05-03]
workdays = ["2027-02-20"]
"""


def package_without(*years: int):
    """The package's answer for known years (Monday to Friday, 2026-12-31 off for the test),
    and its NotImplementedError for `years`."""

    def is_workday(day: date) -> bool:
        if day.year in years:
            raise NotImplementedError(f"no available data for year {day.year}")
        return day.weekday() < 5 and day != date(2026, 12, 31)

    return is_workday


NO_NOTICES = HolidaysPackage(official_years=())
"""The holidays package as a stand-in that has no State Council arrangement for any year."""


def calendar(text: str = NOTICE_2027, *missing: int) -> WorkingCalendar:
    supplement = CalendarSupplement.parse(tomllib.loads(text))
    return WorkingCalendar(package_without(*(missing or (2027,))), supplement=supplement,
                           package=NO_NOTICES)


def test_a_declared_year_follows_the_notice_and_monday_to_friday_otherwise():
    cal = calendar()
    assert not cal.is_workday(date(2027, 1, 1))  # Friday, listed holiday
    assert all(not cal.is_workday(date(2027, 2, d)) for d in range(6, 13))  # a range
    assert not cal.is_workday(date(2027, 5, 3))  # a TOML date literal
    assert cal.is_workday(date(2027, 2, 20))  # Saturday, make-up working day (调休)
    assert cal.is_workday(date(2027, 1, 4)) and not cal.is_workday(date(2027, 1, 2))
    assert cal.check_coverage(date(2026, 11, 28)) == []


def test_a_deadline_crosses_into_the_declared_year():
    # Wed 2026-12-30 + 2 working days: Thu 12-31 off (package), Fri 01-01 off (notice),
    # weekend, so Mon 01-04 and Tue 01-05.
    due = calendar().due_time(datetime(2026, 12, 30, 10, tzinfo=SCHOOL_TZ), T1A, {})
    assert due == datetime(2027, 1, 5, 18, tzinfo=SCHOOL_TZ)


def test_a_year_known_to_neither_is_provisional_not_refused():
    cal = calendar(NOTICE_2027, 2027, 2028)
    # 2028 by law only: New Year's Day is a Saturday, so Monday Jan 3 is off in its place
    # (article 6); Tue Jan 25 is the lunar New Year's Eve.
    assert not cal.is_workday(date(2028, 1, 3)) and cal.is_workday(date(2028, 1, 4))
    assert not cal.is_workday(date(2028, 1, 25)) and cal.is_workday(date(2028, 1, 24))
    assert cal.is_provisional(date(2028, 3, 1)) and not cal.is_provisional(date(2027, 3, 1))
    assert cal.check_coverage(date(2027, 6, 1)) == []
    assert cal.check_coverage(date(2027, 11, 15)) == [2028]
    no_supplement = WorkingCalendar(package_without(2027), package=NO_NOTICES)
    assert no_supplement.check_coverage(date(2026, 11, 28)) == [2027]


def test_listed_days_win_over_the_package_for_a_year_it_knows():
    cal = calendar('[2026]\nworkdays = ["2026-12-31"]\nholidays = ["2026-12-30"]\n')
    assert cal.is_workday(date(2026, 12, 31)) and not cal.is_workday(date(2026, 12, 30))
    assert cal.is_workday(date(2026, 12, 29))  # not listed: the package decides


@pytest.mark.parametrize(("text", "problem"), [
    ('[2027]\nholidays = ["2027-13-01"]', "'2027-13-01' 不是日期"),
    ('[2027]\nholidays = ["2028-01-01"]', "不在 2027 年"),
    ('[2027]\nholidays = ["2027-02-12..2027-02-06"]', "区间 2027-02-12..2027-02-06 不合理"),
    ('[2027]\nholidays = ["2027-01-01..2027-03-01"]', "不合理"),
    ('[2027]\nholidays = ["2027-01-01"]\nworkdays = ["2027-01-01"]', "同时列为放假和上班"),
    ('[2027]\nholiday = ["2027-01-01"]', "不认识：holiday"),
    ('[next]\nholidays = []', "「next」应是年份表"),
    ('[2027]\nholidays = "2027-01-01"', "应是日期列表"),
    ("[2027]\nholidays = [2027-01-01T09:00:00]", "不是日期"),
])
def test_a_wrong_file_names_its_problem(tmp_path: Path, text, problem):
    path = tmp_path / "calendar.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarFileError) as refused:
        CalendarSupplement.load(path)
    assert problem in refused.value.problem and str(path) in str(refused.value)


def test_a_missing_file_is_an_empty_supplement_and_broken_toml_is_refused(tmp_path: Path):
    assert CalendarSupplement.load(tmp_path / "none.toml") == CalendarSupplement()
    (tmp_path / "bad.toml").write_text("[2027\n", encoding="utf-8")
    with pytest.raises(CalendarFileError, match="不是有效的 TOML"):
        CalendarSupplement.load(tmp_path / "bad.toml")
