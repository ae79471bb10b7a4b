"""Server-side sign-in sessions. The browser cookie only names a session; ending it here (logout,
timeout, disabled account) makes the cookie worthless even if it was copied."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Engine, ForeignKey, Integer, String, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.clock import utcnow
from records.db import Base, UTCDateTime
from records.staff import Staff
from records.unit_of_work import after_commit

__all__ = ["SessionStore", "WebSession", "token_digest"]


class WebSession(Base):
    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(32))

    staff: Mapped[Staff] = relationship(lazy="joined")


class SessionStore:
    """Starts, resolves and ends sign-in sessions with idle and absolute timeouts.

    `touch_engine`, when given, records a session's last activity in a short transaction of
    its own once the request's transaction has committed, and gives up at once if the
    database is busy: on SQLite a page view would otherwise hold the file's write lock from
    its first statement to its end, and a busy file would turn a mere read into a 503."""

    def __init__(self, session, *, idle: timedelta, absolute: timedelta, clock=utcnow,
                 touch_engine: Engine | None = None):
        self.session = session
        self.idle, self.absolute, self.clock = idle, absolute, clock
        self.touch_engine = touch_engine

    def start(self, staff: Staff) -> str:
        """A fresh random token for a new session (never reuse one from before sign-in)."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        self.session.add(
            WebSession(token_hash=token_digest(token), staff=staff, created_at=now,
                       last_seen_at=now)
        )
        return token

    def resolve(self, token: str) -> tuple[Staff | None, str | None]:
        """(staff, None) for a live session, else (None, why): unknown, ended, idle, expired,
        disabled. Touches last_seen_at at most once a minute to spare the database."""
        row = self.session.scalar(
            select(WebSession).where(WebSession.token_hash == token_digest(token)))
        if row is None:
            return None, "unknown"
        if row.ended_at is not None:
            return None, "ended"
        now = self.clock()
        why = None
        if now - row.created_at > self.absolute:
            why = "expired"
        elif now - row.last_seen_at > self.idle:
            why = "idle"
        elif not row.staff.active:
            why = "disabled"
        if why:
            row.ended_at, row.end_reason = now, why
            return None, why
        if now - row.last_seen_at > TOUCH_EVERY:
            if self.touch_engine is None:
                row.last_seen_at = now
            else:
                session_id, engine = row.id, self.touch_engine
                after_commit(self.session, lambda: _touch(engine, session_id, now))
        return row.staff, None

    def end(self, token: str, reason: str = "logout") -> Staff | None:
        row = self.session.scalar(
            select(WebSession).where(WebSession.token_hash == token_digest(token)))
        if row is None or row.ended_at is not None:
            return None
        row.ended_at, row.end_reason = self.clock(), reason
        return row.staff


    def end_others(self, staff: Staff, keep_token: str, reason: str) -> int:
        """End every live session of `staff` but the one of `keep_token` (after a password
        change, a session opened elsewhere with the old password must not live on)."""
        keep, now, ended = token_digest(keep_token), self.clock(), 0
        for row in self.session.scalars(select(WebSession).where(
                WebSession.staff_id == staff.id, WebSession.ended_at.is_(None),
                WebSession.token_hash != keep)):
            row.ended_at, row.end_reason = now, reason
            ended += 1
        return ended


TOUCH_EVERY = timedelta(minutes=1)


def _touch(engine: Engine, session_id: int, now: datetime) -> None:
    """Best effort: a touch lost to a busy database only shortens an idle timeout's margin by
    a minute, and the next request tries again."""
    try:
        with engine.begin() as connection:
            connection.execute(update(WebSession).where(
                WebSession.id == session_id, WebSession.last_seen_at < now - TOUCH_EVERY)
                .values(last_seen_at=now))
    except OperationalError:
        return


def token_digest(token: str) -> str:
    """What is stored of a bearer token: its SHA-256, so a copy of the table opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()
