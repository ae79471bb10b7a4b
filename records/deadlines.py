"""Deadlines in working days (工作日, policy T1a-T5b).

Working days follow the official calendar of the State Council: weekends and statutory
holidays are off, make-up working days (调休, e.g. Sunday 2026-09-20 and Saturday 2026-10-10)
are on. The default source is `chinese_calendar.is_workday`, which knows each year only after
the State Council's notice (around November): `WorkingCalendar.check_coverage` tells an
operator in time, the operator can enter the notice's days meanwhile (records.calendar_supplement),
and a year known to neither raises `CalendarDataMissing` instead of guessing.

How a deadline is counted (readings of the policy, each documented here once):
- "within N working days" (T1a, T2, T3b, T4a, T4b, T5a, T5b): the trigger day is not counted
  (as for any period counted in days in Chinese law); the deadline is the end of the N-th
  working day after the trigger's date.
- "the same day" (T1b, or N = 0): the end of the trigger's working day; triggered on a day off
  or after the end of the working day, the end of the next working day.
- a fixed weekly time (T3a): the next configured weekday at the configured hour after the
  trigger; on a day off, the same hour on the next working day.
All times are timezone-aware and computed in the school's zone (Asia/Shanghai). Every number
is a school setting (`settings` mapping) with the catalogue's default as fallback.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from records.calendar_supplement import CalendarSupplement
from records.catalogue import DeadlineBasis, DeadlineRule
from records.errors import DomainError

__all__ = [
    "CalendarDataMissing",
    "DAY_END_HOUR_KEY",
    "DAY_END_MINUTE_KEY",
    "SCHOOL_TZ",
    "WorkingCalendar",
]

SCHOOL_TZ = ZoneInfo("Asia/Shanghai")
DAY_END_HOUR_KEY = "deadline.workday_end_hour"
"""Setting: hour at which a working day ends (default 18)."""
DAY_END_MINUTE_KEY = "deadline.workday_end_minute"
"""Setting: minute at which a working day ends (default 0)."""
DEFAULT_DAY_END = time(18, 0)
DEFAULT_REPORT_WEEKDAY = 5  # Friday (ISO weekday), policy T3a "e.g. Friday [X] pm"
DEFAULT_REPORT_HOUR = 16
MAX_DAYS_OFF_IN_A_ROW = 31  # longer than any official holiday: a broken calendar, not a holiday


class CalendarDataMissing(DomainError):
    """The working-day calendar has no data for `year` (chinese-calendar must be updated)."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            f"缺少 {year} 年的法定节假日数据，无法计算工作日期限。"
            f"请管理员按国务院节假日安排通知填写节假日补充文件（calendar.toml），"
            f"或升级 chinese-calendar 软件包。"
        )


def _default_is_workday(day: date) -> bool:
    import chinese_calendar

    return chinese_calendar.is_workday(day)


def _setting(settings: Mapping[str, int], key: str, default: int, low: int, high: int) -> int:
    value = settings.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"setting {key} must be an integer in [{low}, {high}], got {value!r}")
    return value


class WorkingCalendar:
    """Working days of the official calendar and the deadlines counted in them (policy T)."""

    def __init__(self, is_workday: Callable[[date], bool] | None = None, *,
                 supplement: CalendarSupplement | None = None, zone: ZoneInfo = SCHOOL_TZ):
        self._is_workday = is_workday or _default_is_workday
        self.supplement = supplement or CalendarSupplement()
        self.zone = zone

    # -- days ------------------------------------------------------------------------------

    def is_workday(self, day: date) -> bool:
        """True on a working day (make-up working days included). The operator's supplement
        decides the days it lists, and Monday to Friday the other days of a year it declares
        that the package does not know yet."""
        listed = self.supplement.says(day)
        if listed is not None:
            return listed
        try:
            return bool(self._is_workday(day))
        except NotImplementedError:  # chinese_calendar: "no available data for year ..."
            if self.supplement.knows_year(day.year):
                return day.weekday() < 5
            raise CalendarDataMissing(day.year) from None

    def check_coverage(self, today: date) -> list[int]:
        """Years among this one and the next that the calendar has no data for (operator check:
        an empty list means deadlines can be computed until the end of next year)."""
        missing = []
        for year in (today.year, today.year + 1):
            try:
                self.is_workday(date(year, 1, 1))
                self.is_workday(date(year, 12, 31))
            except CalendarDataMissing:
                missing.append(year)
        return missing

    def next_workday(self, day: date) -> date:
        """`day` itself when it is a working day, else the first working day after it."""
        for _ in range(MAX_DAYS_OFF_IN_A_ROW + 1):
            if self.is_workday(day):
                return day
            day += timedelta(days=1)
        raise ValueError(f"no working day within {MAX_DAYS_OFF_IN_A_ROW} days of {day}")

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("deadline times must be timezone-aware")
        return moment.astimezone(self.zone)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same local time on the `days`-th working day after `start`'s date (the start day
        is not counted); with `days` = 0, on `start`'s date if a working day, else the next."""
        if days < 0:
            raise ValueError("days must not be negative")
        local = self._local(start)
        day = self.next_workday(local.date()) if days == 0 else local.date()
        for _ in range(days):
            day = self.next_workday(day + timedelta(days=1))
        return datetime.combine(day, local.timetz())

    # -- deadlines -------------------------------------------------------------------------

    def day_end(self, day: date, settings: Mapping[str, int]) -> datetime:
        """End of the working day `day` in the school's zone (setting, default 18:00)."""
        hour = _setting(settings, DAY_END_HOUR_KEY, DEFAULT_DAY_END.hour, 0, 23)
        minute = _setting(settings, DAY_END_MINUTE_KEY, DEFAULT_DAY_END.minute, 0, 59)
        return datetime.combine(day, time(hour, minute), tzinfo=self.zone)

    def due_time(self, trigger: datetime, rule: DeadlineRule,
                 settings: Mapping[str, int]) -> datetime:
        """When a handover triggered at `trigger` is due under `rule` (policy T)."""
        local = self._local(trigger)
        if rule.basis is DeadlineBasis.PERIODIC:  # policy T3a
            return self._next_report_time(local, rule, settings)
        days = 0
        if rule.basis is DeadlineBasis.WORKING_DAYS:
            days = _setting(settings, rule.setting_key, rule.default_days, 0, 365)
        if days == 0:  # policy T1b: the same working day
            day = self.next_workday(local.date())
            if day == local.date() and local >= self.day_end(day, settings):
                day = self.next_workday(day + timedelta(days=1))
            return self.day_end(day, settings)
        return self.day_end(self.add_working_days(local, days).date(), settings)

    def _next_report_time(self, local: datetime, rule: DeadlineRule,
                          settings: Mapping[str, int]) -> datetime:
        weekday = _setting(settings, f"deadline.{rule.clause}_weekday",
                           DEFAULT_REPORT_WEEKDAY, 1, 7)
        hour = _setting(settings, f"deadline.{rule.clause}_hour", DEFAULT_REPORT_HOUR, 0, 23)
        day = local.date() + timedelta(days=(weekday - local.isoweekday()) % 7)
        if datetime.combine(day, time(hour), tzinfo=self.zone) <= local:
            day += timedelta(days=7)
        return datetime.combine(self.next_workday(day), time(hour), tzinfo=self.zone)

    @staticmethod
    def is_overdue(due: datetime, now: datetime) -> bool:
        """True once `now` is past `due`."""
        return now > due

    def working_days_left(self, due: datetime, now: datetime) -> int:
        """Working days after today up to and including the due day: 0 = due today (or overdue
        today). Once overdue, minus the working days passed since the due day."""
        today, due_day = self._local(now).date(), self._local(due).date()
        step = 1 if due_day >= today else -1
        lo, hi = (today, due_day) if step == 1 else (due_day, today)
        count, day = 0, lo + timedelta(days=1)
        while day <= hi:
            count += self.is_workday(day)
            day += timedelta(days=1)
        return step * count
