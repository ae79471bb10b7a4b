"""Server-side sign-in sessions. The browser cookie only names a session; ending it here (logout,
timeout, disabled account) makes the cookie worthless even if it was copied."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.clock import utcnow
from records.db import Base, UTCDateTime
from records.staff import Staff

__all__ = ["SessionStore", "WebSession"]


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
    """Starts, resolves and ends sign-in sessions with idle and absolute timeouts."""

    def __init__(self, session, *, idle: timedelta, absolute: timedelta, clock=utcnow):
        self.session = session
        self.idle, self.absolute, self.clock = idle, absolute, clock

    def start(self, staff: Staff) -> str:
        """A fresh random token for a new session (never reuse one from before sign-in)."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        self.session.add(
            WebSession(token_hash=_digest(token), staff=staff, created_at=now, last_seen_at=now)
        )
        return token

    def resolve(self, token: str) -> tuple[Staff | None, str | None]:
        """(staff, None) for a live session, else (None, why): unknown, ended, idle, expired,
        disabled. Touches last_seen_at at most once a minute to spare the database."""
        row = self.session.scalar(select(WebSession).where(WebSession.token_hash == _digest(token)))
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
        if now - row.last_seen_at > timedelta(minutes=1):
            row.last_seen_at = now
        return row.staff, None

    def end(self, token: str, reason: str = "logout") -> Staff | None:
        row = self.session.scalar(select(WebSession).where(WebSession.token_hash == _digest(token)))
        if row is None or row.ended_at is not None:
            return None
        row.ended_at, row.end_reason = self.clock(), reason
        return row.staff


    def end_others(self, staff: Staff, keep_token: str, reason: str) -> int:
        """End every live session of `staff` but the one of `keep_token` (after a password
        change, a session opened elsewhere with the old password must not live on)."""
        keep, now, ended = _digest(keep_token), self.clock(), 0
        for row in self.session.scalars(select(WebSession).where(
                WebSession.staff_id == staff.id, WebSession.ended_at.is_(None),
                WebSession.token_hash != keep)):
            row.ended_at, row.end_reason = now, reason
            ended += 1
        return ended


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
