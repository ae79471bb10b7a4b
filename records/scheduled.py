"""Scheduled jobs run once per school, not once per app server (issue 15): the daily digest,
`handover remind` and the yearly `pdf refresh` may be started by a timer on every server;
the first to insert the row (job, period) does the work, the others find it taken.

The row is inserted with ON CONFLICT DO NOTHING: on PostgreSQL a second server's insert
waits for the first one's transaction and then does nothing, or takes the run over if that
transaction rolled back. A job done in the claiming transaction (the digest) is thus claimed
exactly when its work commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from records.db import Base, UTCDateTime

__all__ = ["ScheduledRun", "claim_run", "release_run"]


class ScheduledRun(Base):
    __tablename__ = "scheduled_run"

    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    """digest, remind, pdf-refresh."""
    period: Mapped[str] = mapped_column(String(20), primary_key=True)
    """The day (2026-12-01) or year (2026) the run is for, in school time."""
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())


def claim_run(session: Session, job: str, period: str, now: datetime) -> bool:
    """Claim this period's run of `job` in the session's transaction; False when another
    server (or an earlier run) has it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    claimed = session.execute(insert(ScheduledRun).values(job=job, period=period, started_at=now)
                              .on_conflict_do_nothing().returning(ScheduledRun.job)).first()
    return claimed is not None


def release_run(session: Session, job: str, period: str) -> None:
    """Give a claimed run back (it failed: the next timer tries again)."""
    session.execute(delete(ScheduledRun).where(ScheduledRun.job == job,
                                               ScheduledRun.period == period))
