"""Where the working days of a year come from (policy T).

A source answers for a whole year: a `YearDays` table (one byte per day of the year, 1 on a
working day) or None when it does not know the year. `WorkingCalendar` asks, in order:
the operator's supplement (records.calendar_supplement) for the days it lists,
`chinese-calendar`, the `holidays` package's copy of the State Council's notices, a year the
supplement declares (Monday to Friday apart from its listed days), and last the statutory
fallback, which never fails and is *provisional* (临时): Monday to Friday minus the holidays
fixed in law, counted without the notice's swaps (调休).

The law is 《全国年节及纪念日放假办法》 as amended in 2024: New Year's Day (Jan 1), Spring
Festival (the lunar New Year's Eve and the first three days of the lunar year), Qingming (a
solar term, Apr 4 or 5), Labour Day (May 1-2), Dragon Boat (lunar 5/5), Mid-Autumn (lunar 8/15)
and National Day (Oct 1-3); its article 6 gives a working day off (补假) for a holiday that
falls on a Saturday or Sunday. The `holidays` package computes exactly these days (with its
lunar calendar, up to 2100; a later year would count Monday to Friday only) for any year, and
lists a year's official arrangement, make-up working days included, only once a release
carries that year's notice.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date, timedelta

__all__ = ["HolidaysPackage", "YearDays", "chinese_calendar_year", "days_of", "from_is_workday",
           "weekdays"]

YearDays = bytes
"""One byte per day of a year from January 1: 1 on a working day, 0 on a day off."""

STATUTORY_NAMES = frozenset({"元旦", "农历除夕", "春节", "清明节", "劳动节", "端午节", "中秋节",
                             "国庆节"})
"""The package's (zh_CN) names of the holidays fixed in law; "（补假）" marks an article-6 day."""


def days_of(year: int) -> list[date]:
    first, last = date(year, 1, 1), date(year, 12, 31)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def weekdays(year: int) -> YearDays:
    """Monday to Friday on, weekends off."""
    return bytes(day.weekday() < 5 for day in days_of(year))


def from_is_workday(is_workday: Callable[[date], bool]) -> Callable[[int], YearDays | None]:
    """A year source from a day-by-day answer that raises NotImplementedError for a year it
    has no data for (chinese-calendar's convention)."""

    def year_days(year: int) -> YearDays | None:
        try:
            return bytes(bool(is_workday(day)) for day in days_of(year))
        except NotImplementedError:  # chinese_calendar: "no available data for year ..."
            return None

    return year_days


def _chinese_calendar_is_workday(day: date) -> bool:
    import chinese_calendar

    return chinese_calendar.is_workday(day)


chinese_calendar_year = from_is_workday(_chinese_calendar_is_workday)
"""The `chinese-calendar` package: each year after the State Council's notice (a release
around November), None for other years."""


class HolidaysPackage:
    """The `holidays` package's China calendar.

    `official_years`: the years to take as the State Council's arrangement; by default those
    the installed release carries a notice for (2001 to 2026 in release 0.109, which has no
    2027 notice). Tests pass a fixed set so that their answers do not change with a release.
    """

    def __init__(self, official_years: Collection[int] | None = None):
        self._official_years = None if official_years is None else frozenset(official_years)

    def _china(self, year: int):
        import holidays

        return holidays.country_holidays("CN", years=year, language="zh_CN")

    def knows(self, year: int) -> bool:
        """True when the package carries the State Council's notice for `year`."""
        if self._official_years is not None:
            return year in self._official_years
        # A year's notice is a table of special (swapped) days; a computed year has none.
        return year in getattr(self._china(year), "special_public_holidays", {})

    def official(self, year: int) -> YearDays | None:
        """The notice's working days (swapped days and make-up working days included), or None
        when the package has no notice for `year`."""
        if not self.knows(year):
            return None
        china = self._china(year)
        return bytes(china.is_working_day(day) for day in days_of(year))

    def statutory(self, year: int) -> YearDays:
        """Provisional: Monday to Friday minus the holidays fixed in law and their article-6
        days off, without any make-up working day (those come only with the notice)."""
        china = self._china(year)
        off = {day for day, name in china.items()
               if any(part.split("（")[0] in STATUTORY_NAMES for part in name.split("; "))}
        return bytes(day.weekday() < 5 and day not in off for day in days_of(year))
