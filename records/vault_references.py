"""Which vault objects the records refer to: every other object was written by a request that
never committed (a process that died mid-step) and may be discarded by
`handover vault check --repair` once it is old enough not to belong to a request in flight."""

from __future__ import annotations

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from records.archive import ArchiveLoan
from records.handovers import Attachment, HandoverVersion
from records.import_uploads import ImportUpload

__all__ = ["referenced_object_ids"]

_COLUMNS = (HandoverVersion.signed_object_id, HandoverVersion.final_object_id,
            HandoverVersion.meeting_signed_object_id, HandoverVersion.meeting_final_object_id,
            HandoverVersion.unsigned_object_id,
            Attachment.object_id, ArchiveLoan.slip_object_id,
            ImportUpload.object_id)  # a preview waiting for its import (until it expires)


def referenced_object_ids(session: Session) -> set[str]:
    query = union(*(select(column).where(column.is_not(None)) for column in _COLUMNS))
    return set(session.scalars(query))
