"""Searches kept server-side for a short while, so that a result page has an address of its own
(Back and reload work, no "confirm form resubmission") while the terms, which often name a
student, stay out of every URL, browser history and access log (policy C2). The address is
an opaque random token; the terms are stored encrypted, for their owner only, and pruned after
`keep`."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from records.clock import utcnow
from records.db import Base, UTCDateTime
from records.staff import Staff
from records.web_sessions import token_digest
from vault.sqltypes import EncryptedText

__all__ = ["SavedSearch", "SavedSearches"]


class SavedSearch(Base):
    __tablename__ = "saved_search"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    terms: Mapped[str] = mapped_column(EncryptedText("search.terms"))  # policy C2
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class SavedSearches:
    """Keeps a person's search form under a token, and gives it back to that person only."""

    def __init__(self, session: Session, *, keep: timedelta, clock=utcnow):
        self.session, self.keep, self.clock = session, keep, clock

    def save(self, staff: Staff, terms: Mapping[str, Sequence[str]]) -> str:
        """A new token for `terms` (field -> values, as the form posted them)."""
        now = self.clock()
        self.session.execute(delete(SavedSearch).where(SavedSearch.created_at < now - self.keep))
        token = secrets.token_urlsafe(16)
        self.session.add(SavedSearch(token_hash=token_digest(token), staff_id=staff.id,
                                     terms=json.dumps({k: list(v) for k, v in terms.items()},
                                                      ensure_ascii=False),
                                     created_at=now))
        return token

    def load(self, staff: Staff, token: str) -> dict[str, list[str]] | None:
        """The terms saved under `token` by `staff`; None if unknown, someone else's or
        older than `keep`."""
        row = self.session.scalar(select(SavedSearch).where(
            SavedSearch.token_hash == token_digest(token), SavedSearch.staff_id == staff.id,
            SavedSearch.created_at >= self.clock() - self.keep))
        return None if row is None else json.loads(row.terms)

