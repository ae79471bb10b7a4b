"""The search outbox (issue 15): every change to what the search index holds is a row here,
written in the transaction of the change, so a rolled-back request leaves none. A row names
the document ("h12": handover 12, "s3": student 3) and what happened, never a value: each
server's indexer rebuilds the document from the database (records.indexer), since the index
keeps private text only as keyed tokens (policy C2).

Ids come from a sequence (SQLite: AUTOINCREMENT, so an id is never reused after pruning)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import BigInteger, Integer, String, delete, func, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from records.db import Base, UTCDateTime
from search.position import Position

__all__ = ["Op", "OutboxEntry", "enqueue", "oldest_unapplied", "prune"]


class Op(StrEnum):
    UPSERT = "upsert"
    DELETE = "delete"


class OutboxEntry(Base):
    __tablename__ = "search_outbox"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"),
                                    primary_key=True, autoincrement=True)
    doc_id: Mapped[str] = mapped_column(String(24))  # an id, never a value (policy C2)
    op: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


def enqueue(session: Session, doc_id: str, op: Op, now: datetime) -> None:
    """Record a change of `doc_id` in the caller's transaction."""
    session.add(OutboxEntry(doc_id=doc_id, op=op.value, created_at=now))


def oldest_unapplied(session: Session, position: Position | None) -> datetime | None:
    """When the oldest change a replica at `position` has not applied was made (one
    statement); None when it is up to date."""
    unapplied = OutboxEntry.id > (position.applied if position else 0)
    if position and position.gaps:
        unapplied = or_(unapplied, OutboxEntry.id.in_(sorted(position.gaps)))
    return session.scalar(select(func.min(OutboxEntry.created_at)).where(unapplied))


def prune(session: Session, now: datetime, retention: timedelta) -> int:
    """Delete the rows older than `retention`; a replica that has not read the outbox for
    that long rebuilds (records.indexer)."""
    return session.execute(delete(OutboxEntry).where(
        OutboxEntry.created_at < now - retention)).rowcount
