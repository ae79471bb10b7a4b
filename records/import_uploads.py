"""An uploaded import file between its preview and its import: kept encrypted in the vault
(never in clear on disk, policy C2), for the person who uploaded it only, for at most
`KEPT_MINUTES`. Importing or abandoning it discards it at once; an abandoned preview that is
never closed is discarded by the next import request after it expires (`sweep`).

Why keep the file rather than ask for it again: the preview lets the user change how columns
are read, and a browser cannot send the same file a second time without the user choosing it
again; the vault already encrypts every object under its own key and records every read."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from records.db import Base, UTCDateTime
from records.unit_of_work import after_commit, discard_on_rollback

__all__ = ["KEPT_MINUTES", "ImportUpload", "drop", "keep", "sweep", "take"]

KEPT_MINUTES = 60
"""How long an uploaded file waits for its import after the preview."""
_ID = re.compile(r"[0-9a-f]{32}")  # a vault object id, as vault.put makes them
REASON_KEEP = "批量导入：待确认"
REASON_READ = "批量导入：预览或确认"


class ImportUpload(Base):
    __tablename__ = "import_upload"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_id: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    suffix: Mapped[str] = mapped_column(String(8))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


def keep(session: Session, vault, data: bytes, suffix: str, *, staff_id: int, actor: str,
         now: datetime) -> str:
    """Store `data` encrypted for `staff_id`; returns the id the preview form carries."""
    object_id = vault.put(data, actor=actor, reason=REASON_KEEP, context={"bytes": len(data)})
    discard_on_rollback(session, vault, object_id)
    session.add(ImportUpload(object_id=object_id, staff_id=staff_id, suffix=suffix,
                             expires_at=now + timedelta(minutes=KEPT_MINUTES)))
    session.flush()
    return object_id


def take(session: Session, vault, object_id: str, *, staff_id: int, actor: str,
         now: datetime) -> tuple[bytes, str] | None:
    """The file and its suffix, if `object_id` is this person's own upload and not expired."""
    if not _ID.fullmatch(object_id or ""):
        return None
    upload = session.scalar(select(ImportUpload).where(ImportUpload.object_id == object_id))
    if upload is None or upload.staff_id != staff_id or upload.expires_at <= now:
        return None
    return vault.get(object_id, actor=actor, reason=REASON_READ), upload.suffix


def drop(session: Session, vault, object_id: str, *, staff_id: int, actor: str) -> bool:
    """Forget this person's upload: the row now, the encrypted file once that is committed."""
    if not _ID.fullmatch(object_id or ""):
        return False
    done = session.execute(delete(ImportUpload).where(
        ImportUpload.object_id == object_id, ImportUpload.staff_id == staff_id)).rowcount
    if done:
        after_commit(session, lambda: vault.discard(object_id, actor=actor,
                                                    reason="批量导入：已导入或放弃"))
    return bool(done)


def sweep(session: Session, vault, *, now: datetime) -> int:
    """Discard every upload past its time (previews nobody came back to)."""
    expired = list(session.scalars(select(ImportUpload.object_id).where(
        ImportUpload.expires_at <= now)))
    if expired:
        session.execute(delete(ImportUpload).where(ImportUpload.object_id.in_(expired)))
        def discard() -> None:
            for object_id in expired:
                vault.discard(object_id, actor="system", reason="批量导入：预览已过期")

        after_commit(session, discard)
    return len(expired)
