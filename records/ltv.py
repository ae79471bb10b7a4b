"""Signed forms that stay provable for the whole retention period (30 years; DESIGN, "What is
at rest"): the yearly archive-timestamp refresh.

A countersigned form ends with a document timestamp over its validation data (PAdES B-LTA,
``signing.ltv``). That timestamp proves something only while its timestamping certificate
is valid (ten years). :meth:`ArchiveTimestamps.refresh_due` finds every stored countersigned
PDF (form and meeting record) whose newest document timestamp expires before a date, or
that has none (countersigned before archive timestamps existed), and adds a new one: an
incremental revision, stored as a new vault object that the version then points to. The
earlier object is a byte-for-byte prefix of the new one (checked before storing), so
nothing that was signed changes; both ids are in the ledger.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from pyhanko.sign.timestamps.api import TimeStamper
from sqlalchemy import select
from sqlalchemy.orm import Session

from records.errors import Conflict
from records.handovers import HandoverVersion
from records.unit_of_work import discard_on_rollback, record_change
from signing import (
    SchoolPKI,
    SchoolTimeStamper,
    add_archive_timestamp,
    archive_timestamp_due,
    document_timestamps,
)
from vault import Ledger, Vault

__all__ = ["ArchiveTimestamps", "Refreshed"]

#: The countersigned documents of a version: (document, column holding its vault object).
DOCUMENTS = (("form", "final_object_id"), ("meeting", "meeting_final_object_id"))


@dataclass(frozen=True)
class Refreshed:
    """One stored PDF that was (or, on a dry run, would be) given a new archive timestamp."""

    number: str
    """The handover number."""
    version: int
    """The version of that handover."""
    document: str
    """``form``, or ``meeting`` for the meeting record (policy M3)."""
    previous_object_id: str
    """The vault object it had."""
    object_id: str | None
    """The new vault object; ``None`` on a dry run."""
    last_timestamp: datetime | None
    """The time of the document timestamp that was newest before; ``None``: it had none."""
    last_expires: datetime | None
    """When that timestamp's certificate expires."""


class ArchiveTimestamps:
    def __init__(self, session: Session, *, vault: Vault, audit: Ledger, pki: SchoolPKI,
                 tsa: TimeStamper):
        self.session, self.vault, self.audit, self.pki, self.tsa = (
            session, vault, audit, pki, tsa)

    def refresh_due(self, before: datetime, *, actor: str,
                    dry_run: bool = False) -> Iterator[Refreshed]:
        """Yield each stored countersigned PDF whose newest document timestamp's certificate
        expires before ``before`` (or that has none), after adding a new archive timestamp
        to it unless ``dry_run``. Each PDF read is a recorded vault read. Commit after each
        item: one item's failure then loses none of the others.

        Refuses (:class:`Conflict`) when the school's own timestamping certificate in use
        would itself expire before ``before``: its timestamp would be due again at once
        (renew it first: ``handover pki renew-tsa``)."""
        if not dry_run:
            self._check_tsa(before)
        for version_id, document, column, object_id in self._stored():
            pdf = self.vault.get(object_id, actor=actor, reason="长期验证：检查存档时间戳")
            if not archive_timestamp_due(pdf, before):
                continue
            stamps = document_timestamps(pdf)
            v = self.session.get(HandoverVersion, version_id)
            number = v.handover.number
            new_id = None if dry_run else self._refresh(v, column, object_id, pdf, actor,
                                                       number=number, document=document)
            yield Refreshed(number, v.version, document, object_id, new_id,
                            stamps[-1].time if stamps else None,
                            stamps[-1].tsa_expires if stamps else None)

    def _check_tsa(self, before: datetime) -> None:
        if not isinstance(self.tsa, SchoolTimeStamper):
            return  # an external TSA's certificate is its operator's to renew
        expires = self.tsa.tsa_cert["tbs_certificate"]["validity"]["not_after"].native
        if expires <= before:
            raise Conflict(f"本校时间戳证书将于 {expires:%Y-%m-%d} 到期，不晚于 "
                           f"{before:%Y-%m-%d}：新加的存档时间戳会立即再次到期。"
                           "请先运行 handover pki renew-tsa 更新时间戳证书。")

    def _stored(self) -> list[tuple[int, str, str, str]]:
        """(version id, document, column, object id) of every countersigned PDF, oldest
        first; read at once, since the caller commits between items."""
        rows = self.session.execute(
            select(HandoverVersion.id, HandoverVersion.final_object_id,
                   HandoverVersion.meeting_final_object_id)
            .where(HandoverVersion.final_object_id.is_not(None))
            .order_by(HandoverVersion.id)).all()
        found = []
        for version_id, form_id, meeting_id in rows:
            for (document, column), object_id in zip(DOCUMENTS, (form_id, meeting_id),
                                                     strict=True):
                if object_id is not None:
                    found.append((version_id, document, column, object_id))
        return found

    def _refresh(self, v: HandoverVersion, column: str, object_id: str, pdf: bytes,
                 actor: str, *, number: str, document: str) -> str:
        refreshed = add_archive_timestamp(pdf, pki=self.pki, tsa=self.tsa)
        if not refreshed.startswith(pdf):  # an incremental update never rewrites a byte
            raise Conflict(f"交接单 {number} 追加存档时间戳时改动了已签名的内容，未保存。")
        context = {"handover": number, "version": v.version, "document": document,
                   "previous": object_id}
        new_id = self.vault.put(refreshed, actor=actor, reason="长期验证：追加存档时间戳",
                                context=context)
        discard_on_rollback(self.session, self.vault, new_id)
        setattr(v, column, new_id)
        self.session.flush()
        record_change(self.session, self.audit, actor=actor,
                      action="handover.archive_timestamp", subject=f"handover:{number}",
                      context={**context, "object": new_id})
        return new_id
