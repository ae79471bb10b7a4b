"""PAdES signing: prepare both fields, certify as sender, countersign as receiver.

Policy M1/M3: both parties sign the handover record, with date and content; policy G3:
every step has a named person. The sender certifies the document (DocMDP: form filling
and signatures only); the receiver adds an approval signature as an incremental update,
so the sender's signature still covers exactly what the sender signed. Each signature
carries an RFC 3161 timestamp (PAdES B-T) and the certificates and school CRL needed to
validate it offline (B-LT); the countersigned file then gets a document timestamp over
that validation data (B-LTA, :mod:`signing.ltv`).
"""

from __future__ import annotations

import asyncio
import io
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.constants import ESIC_EXTENSION_1
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from .errors import AlreadySigned, NotYetSigned, SignatureFieldMissing
from .fonts import StampFont
from .ltv import add_archive_timestamp, validation_context
from .pki import SchoolPKI, StaffCredential
from .render import SignatureBox
from .timestamps import SchoolTimeStamper, to_asn1_cert

__all__ = [
    "RECEIVER_FIELD",
    "SENDER_FIELD",
    "StampText",
    "countersign",
    "prepare",
    "sign_sender",
]

# Not prefixes of each other (pyHanko issue 633).
SENDER_FIELD = "Sig_Sender"
RECEIVER_FIELD = "Sig_Receiver"
FIELDS = {"sender": SENDER_FIELD, "receiver": RECEIVER_FIELD}
#: Bytes of a CMS object besides its certificates (signed attributes, ECDSA signature,
#: the timestamp token's TSTInfo and RSA signature): about 1.5 KiB measured, plus margin.
CMS_OVERHEAD = 2048
STAMP_TEMPLATE = "%(role)s：%(name)s\n%(department)s\n%(time)s"


@dataclass(frozen=True)
class StampText:
    """What the visible stamp says (the time is added when signing)."""

    role: str
    """The party, e.g. "移交人" or "接收人"."""
    name: str
    """The signer's name as printed."""
    department: str
    """The signer's department as printed."""
    font: StampFont
    """The Chinese stamp font (cached single face)."""
    timezone: str = "Asia/Shanghai"
    """Time zone of the printed time (the school's local time)."""
    time_format: str = "%Y-%m-%d %H:%M"
    """Format of the printed time."""


#: Unlocks staff keys off the calling thread: Argon2id is C code that releases the GIL, so
#: it runs on another core while pyHanko (Python) lays out the stamp and writes the revision.
_UNLOCKER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="unlock-staff-key")


class _PendingKeySigner(signers.Signer):
    """A pyHanko signer whose ECDSA key is still being unlocked: it waits for the key only
    when the CMS is signed, and keeps the parsed key (SimpleSigner re-parses it per use).
    A wrong password surfaces here, as the unlock's own error, before anything is written."""

    def __init__(self, cert, key: Future[EllipticCurvePrivateKey], registry):
        super().__init__(signing_cert=cert, cert_registry=registry)
        self._key = key

    async def async_sign_raw(self, data: bytes, digest_algorithm: str,
                             dry_run: bool = False) -> bytes:
        key = await asyncio.wrap_future(self._key)
        return key.sign(data, ECDSA(get_pyca_cryptography_hash(digest_algorithm)))


def prepare(pdf: bytes, boxes: dict[str, SignatureBox],
            roles: tuple[str, ...] = ("sender", "receiver")) -> bytes:
    """Add the signature fields of `roles` (both, sender and receiver, by default) before
    anyone signs; a document only one person signs (the loan slip) has the sender's alone.

    Adding the receiver's field after the sender's certification would count as an
    illegal modification of the certified document.
    """
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    for key, field_name in ((k, FIELDS[k]) for k in roles):
        box = boxes.get(key)
        if box is None:
            raise SignatureFieldMissing(f"sigbox-{key}")
        fields.append_signature_field(
            writer, fields.SigFieldSpec(field_name, on_page=box.page_index, box=box.rect))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _check_field(reader: PdfFileReader, field_name: str, *,
                 needs_signed: str | None = None) -> None:
    states = {name: value is not None
              for name, value, _ in fields.enumerate_sig_fields(reader, filled_status=None)}
    if field_name not in states:
        raise SignatureFieldMissing(field_name)
    if states[field_name]:
        raise AlreadySigned(field_name)
    if needs_signed is not None and not states.get(needs_signed, False):
        raise NotYetSigned(needs_signed)


class _Pdf17Signer(signers.PdfSigner):
    """A PAdES signer that leaves the file at PDF 1.7.

    pyHanko declares ISO 32002 (ECDSA in PDF) for a P-256 key, and with it PDF 2.0 in the
    catalog (``/Version /2.0``); the forms are PDF/A-3, which is PDF 1.7. PAdES (ETSI EN
    319 142-1) and PDF 1.7 readers accept ECDSA with the ESIC extension alone.
    """

    def register_extensions(self, pdf_out, *, md_algorithm: str) -> None:
        pdf_out.ensure_output_version(version=(1, 7))
        if pdf_out.output_version < (2, 0):  # a file already at 2.0 stays there
            pdf_out.register_extension(ESIC_EXTENSION_1)


def _reservation(cert, pki: SchoolPKI) -> int:
    """Hex digits to reserve for the signature: staff + root certificates, and the school
    timestamp token (TSA + root certificates) with the overhead.

    A computed size saves pyHanko's dry-run signature, and a tight one keeps /Contents
    small (pyHanko parses it hex digit by hex digit on every later sign and verify).
    An external TSA's chain is unknown, so pyHanko measures it (one dummy request, cached).
    """
    ca = len(to_asn1_cert(pki.ca_cert).dump())
    tsa = len(to_asn1_cert(pki.tsa_cert).dump())
    return 2 * (len(cert.dump()) + 2 * ca + tsa + CMS_OVERHEAD)


def _sign(pdf: bytes, credential: StaffCredential, password: str, *, field_name: str,
          certify: bool, stamp: StampText, pki: SchoolPKI, tsa: TimeStamper,
          reason: str, needs_signed: str | None = None) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    _check_field(writer.prev, field_name, needs_signed=needs_signed)
    pki.check_certificate(credential.certificate)  # unknown or revoked: refused before work
    key = _UNLOCKER.submit(pki.unlock, credential, password)  # wrong password: raised at signing
    cert = to_asn1_cert(credential.certificate)
    ca = to_asn1_cert(pki.ca_cert)
    signer = _PendingKeySigner(cert, key, SimpleCertificateStore.from_certs([ca]))
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, md_algorithm="sha256", reason=reason,
        name=stamp.name, certify=certify,
        docmdp_permissions=fields.MDPPerm.FILL_FORMS,  # policy M2: well-formed, complete
        subfilter=fields.SigSeedSubFilter.PADES,
        embed_validation_info=True, validation_context=validation_context(pki),
        # Validation data in the signature's own revision: one write instead of two, and
        # the last signature then covers the whole file.
        dss_settings=DSSContentSettings(
            placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE,
            include_vri=False))
    printed = {"role": stamp.role, "name": stamp.name, "department": stamp.department,
               "time": datetime.now(ZoneInfo(stamp.timezone)).strftime(stamp.time_format)}
    # The stamp's font holds the glyphs of exactly this text (pyHanko embeds all of them).
    style = TextStampStyle(stamp_text=STAMP_TEMPLATE, border_width=1,
                           text_box_style=TextBoxStyle(font=stamp.font.factory(
                               STAMP_TEMPLATE % printed)))
    pdf_signer = _Pdf17Signer(meta, signer=signer, timestamper=tsa, stamp_style=style)
    reserved = _reservation(cert, pki) if isinstance(tsa, SchoolTimeStamper) else None
    out = pdf_signer.sign_pdf(writer, existing_fields_only=True, bytes_reserved=reserved,
                              appearance_text_params=printed)
    return out.getvalue()


def sign_sender(pdf: bytes, credential: StaffCredential, password: str, *,
                stamp: StampText, pki: SchoolPKI, tsa: TimeStamper) -> bytes:
    """Certify ``pdf`` in the sender's field (DocMDP: fill forms and sign only)."""
    return _sign(pdf, credential, password, field_name=SENDER_FIELD, certify=True,
                 stamp=stamp, pki=pki, tsa=tsa, reason="移交")


def countersign(pdf: bytes, credential: StaffCredential, password: str, *,
                stamp: StampText, pki: SchoolPKI, tsa: TimeStamper,
                archive: bool = True) -> bytes:
    """Add the receiver's approval signature as an incremental update, then (``archive``)
    the validation data and a document timestamp over it (PAdES B-LTA)."""
    signed = _sign(pdf, credential, password, field_name=RECEIVER_FIELD, certify=False,
                   stamp=stamp, pki=pki, tsa=tsa, reason="接收", needs_signed=SENDER_FIELD)
    return add_archive_timestamp(signed, pki=pki, tsa=tsa) if archive else signed
