"""Numbers that cannot collide (DESIGN "One request, one transaction"): each yearly series
(JJ-2026-000123 handovers, XS-2026-00012 students, DA-/JY- archive files and loans) takes its
next number from a counter row incremented in the same transaction as the row it numbers.
On PostgreSQL the increment locks the row until commit; on SQLite the write lock does: two
requests never get the same number, and a rolled-back request's number is not reused by
anybody else while it runs (a gap is harmless, a duplicate is not).
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Integer, String, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from records.db import Base, insert_if_absent

__all__ = ["Counter", "next_in_series", "raise_series_floor", "reserve_in_series",
           "yearly_numbers"]


class Counter(Base):
    __tablename__ = "number_counter"

    series: Mapped[str] = mapped_column(String(40), primary_key=True)
    """The prefix of the series, e.g. "JJ-2026-"."""
    value: Mapped[int] = mapped_column(Integer)
    """The last number given."""


def next_in_series(session: Session, column, prefix: str, width: int) -> str:
    """`prefix` followed by the series' next number, `width` digits. A series met for the
    first time starts after the highest number `column` already holds (instances made before
    the counters existed)."""
    return f"{prefix}{reserve_in_series(session, column, prefix, 1):0{width}d}"


def reserve_in_series(session: Session, column, prefix: str, count: int) -> int:
    """Take `count` consecutive numbers of the series at once and return the first (a bulk
    load numbers its rows from it); the counter then holds the last, so that the next
    `next_in_series` follows the block, in the same transaction as the rows it numbers."""
    if count < 1:
        raise ValueError("count must be at least 1")
    if session.get(Counter, prefix) is None:
        last = session.scalar(select(func.max(column)).where(column.like(f"{prefix}%")))
        start = int(last[len(prefix):]) if last else 0
        insert_if_absent(session, Counter, "series", series=prefix, value=start)
    value = session.execute(update(Counter).where(Counter.series == prefix)
                            .values(value=Counter.value + count)
                            .returning(Counter.value)).scalar_one()
    return value - count + 1


def raise_series_floor(session: Session, column, prefix: str, value: int) -> None:
    """A row numbered `prefix` + `value` from elsewhere (an import keeping its numbers): the
    series' counter is moved up to it, never down, so the next number follows it."""
    if session.get(Counter, prefix) is None:
        reserve_in_series(session, column, prefix, 1)  # creates it past what the table holds
    session.execute(update(Counter).where(Counter.series == prefix, Counter.value < value)
                    .values(value=value))


def yearly_numbers(session: Session, column, series: str, width: int,
                   moments: Sequence[datetime]) -> list[str]:
    """Numbers for rows made at `moments` (a bulk load), in that order, in the yearly series
    `series` (e.g. "JJ-" → JJ-2026-000123; the UTC year, as `next_in_series` callers take
    it), each year's block reserved from its counter in the caller's transaction."""
    years = Tally(moment.astimezone(UTC).year for moment in moments)
    following = {year: reserve_in_series(session, column, f"{series}{year}-", count)
                 for year, count in sorted(years.items())}
    out = []
    for moment in moments:
        year = moment.astimezone(UTC).year
        out.append(f"{series}{year}-{following[year]:0{width}d}")
        following[year] += 1
    return out
