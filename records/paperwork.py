"""From a handover version to signed PDF bytes: lay out the form (records.forms), render it
(signing.Renderer), place both signature fields, sign as sender (certifying, DocMDP), and
countersign as receiver (approval, incremental) — policy M2, F1-F13.

The desk's tools (renderer, PKI, timestamper, stamp font) are built when first used: they load
WeasyPrint and pyHanko, which a use case that only reads or lists (obligations, reminders) does
not need.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from records.forms import AttachmentRef, FormDocument, Party, render_form_html
from records.staff import Staff

if TYPE_CHECKING:  # signing (WeasyPrint, pyHanko) is imported by the methods that use it
    from pyhanko.sign.timestamps import TimeStamper

    from signing import (
        Renderer,
        SchoolPKI,
        StaffCredential,
        StampFont,
        StampText,
        VerificationReport,
    )

__all__ = ["FormDesk", "SigningTools"]

SCHOOL_TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class SigningTools:
    renderer: Renderer
    """Renders form HTML to PDF (fetches nothing but the form stylesheet)."""
    pki: SchoolPKI
    """The school CA: staff credentials, CRL, trust root for verification."""
    timestamper: TimeStamper
    """The school's own TSA, or an external one."""
    stamp_font: StampFont
    """Chinese font for the visible signature stamps."""


@dataclass
class FormDesk:
    open_tools: Callable[[], SigningTools]
    """Builds the signing tools; called once, on first use."""
    school_name: str
    """Printed in the masthead."""
    base_url: str
    """Public address; the QR code points to <base_url>/verify/<number> (no private data)."""

    @cached_property
    def tools(self) -> SigningTools:
        return self.open_tools()

    @property
    def renderer(self) -> Renderer:
        return self.tools.renderer

    @property
    def pki(self) -> SchoolPKI:
        return self.tools.pki

    @property
    def timestamper(self) -> TimeStamper:
        return self.tools.timestamper

    @property
    def stamp_font(self) -> StampFont:
        return self.tools.stamp_font

    def document(self, *, number: str, version: int, kind: str, method: str, sender: Staff,
                 sender_dept: str, receiver_name: str, receiver_dept: str,
                 values: Mapping[str, Any], attachments: tuple[AttachmentRef, ...],
                 due_at: datetime | None) -> FormDocument:
        deadline = (due_at.astimezone(SCHOOL_TZ).strftime("%Y年%m月%d日 %H:%M 前")
                    if due_at else "")
        return FormDocument(
            school_name=self.school_name, number=number, version=version, kind=kind,
            sender=Party(sender.display_name, sender_dept),
            receiver=Party(receiver_name, receiver_dept),
            values=values, method=method,
            verify_url=f"{self.base_url.rstrip('/')}/verify/{number}",
            deadline_text=deadline, attachments=attachments)

    def unsigned_pdf(self, doc: FormDocument) -> bytes:
        """The rendered form with both signature fields in place (before any signature:
        adding one later would break the first signature's DocMDP check)."""
        return self.unsigned_pdf_of(render_form_html(doc))

    def unsigned_pdf_of(self, html: str) -> bytes:
        """`unsigned_pdf` of a form's HTML (records.forms.render_form_html)."""
        from signing import prepare

        rendered = self.renderer.render(html)
        return prepare(rendered.pdf, rendered.boxes)

    def _stamp(self, role: str, staff: Staff) -> StampText:
        from signing import StampText

        dept = "、".join(d.label_zh for d in staff.department_codes)
        return StampText(role=role, name=staff.display_name, department=dept,
                         font=self.stamp_font)

    def sign_as_sender(self, pdf: bytes, staff: Staff, credential: StaffCredential,
                       password: str) -> bytes:
        from signing import sign_sender

        return sign_sender(pdf, credential, password, stamp=self._stamp("移交人", staff),
                           pki=self.pki, tsa=self.timestamper)

    def countersign(self, pdf: bytes, staff: Staff, credential: StaffCredential,
                    password: str) -> bytes:
        from signing import countersign

        return countersign(pdf, credential, password, stamp=self._stamp("接收人", staff),
                           pki=self.pki, tsa=self.timestamper)

    def verify(self, pdf: bytes) -> VerificationReport:
        from signing import verify_pdf

        # every root the school has had: forms signed before a re-issued root stay trusted
        return verify_pdf(pdf, trust_roots=self.pki.roots, crls=self.pki.crls())
