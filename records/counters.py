"""Numbers that cannot collide (DESIGN "One request, one transaction"): each yearly series
(JJ-2026-000123 handovers, XS-2026-00012 students, DA-/JY- archive files and loans) takes its
next number from a counter row incremented in the same transaction as the row it numbers.
On PostgreSQL the increment locks the row until commit; on SQLite the write lock does: two
requests never get the same number, and a rolled-back request's number is not reused by
anybody else while it runs (a gap is harmless, a duplicate is not).
"""

from __future__ import annotations

from sqlalchemy import Integer, String, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from records.db import Base, insert_if_absent

__all__ = ["Counter", "next_in_series"]


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
    if session.get(Counter, prefix) is None:
        last = session.scalar(select(func.max(column)).where(column.like(f"{prefix}%")))
        start = int(last[len(prefix):]) if last else 0
        insert_if_absent(session, Counter, "series", series=prefix, value=start)
    value = session.execute(update(Counter).where(Counter.series == prefix)
                            .values(value=Counter.value + 1)
                            .returning(Counter.value)).scalar_one()
    return f"{prefix}{value:0{width}d}"
