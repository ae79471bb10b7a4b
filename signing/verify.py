"""Validation reports: is each signature intact, valid, trusted, timestamped, within DocMDP?

A signature is validated at the time its RFC 3161 timestamp proves (point-in-time,
the PAdES long-term model): a staff certificate revoked *after* it signed does not undo
the handover it signed, one revoked *before* does. Revocation data comes from the CRLs
handed in (the school's current CRL) and from the file's own DSS (embedded at signing),
so a file validates offline.

Document timestamps (PAdES B-LTA, :mod:`signing.ltv`) are reported too: each is checked at
the time the next one proves, the newest one now. A file whose newest document timestamp
no longer checks out (its TSA certificate expired before it was renewed) is not ``ok``.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError
from pyhanko_certvalidator import ValidationContext

from . import verdicts
from .errors import VerificationError

__all__ = ["SignatureReport", "TimestampReport", "VerificationReport", "verify_pdf"]


@dataclass(frozen=True)
class SignatureReport:
    """The result for one signature field."""

    field: str
    """Signature field name (``Sig_Sender`` or ``Sig_Receiver``)."""
    signer: str
    """Signer's common name (CN)."""
    department: str
    """Signer's department (OU)."""
    signing_time: datetime | None
    """Time the signer's computer claimed (not authoritative)."""
    timestamp_time: datetime | None
    """Time proven by the RFC 3161 timestamp, if there is one."""
    timestamp_ok: bool
    """The timestamp token is present, intact, valid and trusted."""
    intact: bool
    """The signed bytes are unchanged."""
    valid: bool
    """The signature arithmetic checks out (stays true on a tampered file; see ``ok``)."""
    trusted: bool
    """The certificate chains to a trusted root and was not revoked at the proven time."""
    revoked: bool
    """The certificate was revoked before the proven signing time."""
    revoked_later: bool
    """The certificate has been revoked since (the signature stays good)."""
    docmdp_ok: bool
    """Later changes are within what the certification allows (form filling, signatures)."""
    modification_level: str
    """pyHanko's modification level of later updates (``NONE``, ``FORM_FILLING``, ...)."""
    coverage: str
    """What the signature covers (``ENTIRE_FILE``, ``ENTIRE_REVISION``, ...)."""
    certified: bool
    """This is a certification (DocMDP) signature."""
    ok: bool
    """The overall verdict: bottom line, intact, valid, trusted, DocMDP and timestamp."""
    verdict: str
    """The verdict in plain Chinese for a school user."""

    def to_dict(self) -> dict:
        """JSON-ready: datetimes as ISO 8601 strings."""
        return _json_ready(asdict(self))


@dataclass(frozen=True)
class TimestampReport:
    """The result for one document timestamp (the archive timestamps of PAdES B-LTA)."""

    field: str
    """Its field name (``Archive_TS_001``, ...)."""
    time: datetime | None
    """The time it proves."""
    tsa: str
    """The timestamping certificate's common name."""
    checked_at: datetime
    """When it was checked for: the time of the next document timestamp, or now."""
    intact: bool
    """The timestamped bytes are unchanged."""
    valid: bool
    """The token's signature checks out."""
    trusted: bool
    """The TSA certificate chains to a trusted root and was valid and not revoked at
    ``checked_at``."""
    ok: bool
    """Intact, valid and trusted, and nothing but validation data was added after it."""
    verdict: str
    """The verdict in plain Chinese."""

    def to_dict(self) -> dict:
        """JSON-ready: datetimes as ISO 8601 strings."""
        return _json_ready(asdict(self))


@dataclass(frozen=True)
class VerificationReport:
    """The result for a whole file."""

    signatures: tuple[SignatureReport, ...]
    """One report per signature, in file order."""
    timestamps: tuple[TimestampReport, ...] = ()
    """One report per document timestamp, oldest first (none in files made before B-LTA)."""

    @property
    def ok(self) -> bool:
        """At least one signature, every signature ok, every document timestamp ok."""
        return (bool(self.signatures) and all(s.ok for s in self.signatures)
                and all(t.ok for t in self.timestamps))

    @property
    def failed(self) -> tuple[str, ...]:
        """Names of the fields whose signature or document timestamp is not ok."""
        return tuple(s.field for s in (*self.signatures, *self.timestamps) if not s.ok)

    def by_field(self, name: str) -> SignatureReport:
        """The report of one field; ``KeyError`` if that field holds no signature."""
        for sig in self.signatures:
            if sig.field == name:
                return sig
        raise KeyError(name)

    def to_dict(self) -> dict:
        """JSON-ready form of the report."""
        return {"ok": self.ok, "signatures": [s.to_dict() for s in self.signatures],
                "timestamps": [t.to_dict() for t in self.timestamps]}


def _json_ready(data: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


def _timestamp_time(embedded) -> datetime | None:
    attrs = embedded.signer_info["unsigned_attrs"]
    if attrs.native is None:
        return None
    for attr in attrs:
        if attr["type"].native == "signature_time_stamp_token":
            return _token_time(attr["values"][0]["content"])
    return None


def _revoked_since(cert: asn1_x509.Certificate, crls: list[asn1_crl.CertificateList]) -> bool:
    for crl in crls:
        if crl.issuer != cert.issuer:
            continue
        for entry in crl["tbs_cert_list"]["revoked_certificates"]:
            if entry["user_certificate"].native == cert.serial_number:
                return True
    return False


def _subject(cert: asn1_x509.Certificate, key: str) -> str:
    value = cert.subject.native.get(key, "")
    return value[0] if isinstance(value, list) else str(value)


def verify_pdf(pdf: bytes, *, trust_roots, crls=()) -> VerificationReport:
    """Validate every signature of ``pdf``.

    ``trust_roots``: certificates (PEM/DER bytes, ``cryptography`` or asn1crypto objects)
    to trust, normally the school root. ``crls``: current CRLs (DER bytes or asn1crypto).
    """
    roots = [_asn1_cert(c) for c in trust_roots]
    current = [c if isinstance(c, asn1_crl.CertificateList) else asn1_crl.CertificateList.load(c)
               for c in crls]
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_regular_signatures)
        stamps = list(reader.embedded_timestamp_signatures)
    except (PdfReadError, ValueError, KeyError) as exc:
        raise VerificationError(type(exc).__name__) from exc
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        dss = None
    times = [_token_time(t.signed_data) for t in stamps]
    now = datetime.now(UTC)
    return VerificationReport(
        tuple(_report(sig, roots, current, dss) for sig in embedded),
        tuple(_stamp_report(stamp, roots, current, dss, (times[i + 1:] + [now])[0] or now)
              for i, stamp in enumerate(stamps)))


def _token_time(signed_data) -> datetime | None:
    return signed_data["encap_content_info"]["content"].parsed["gen_time"].native


def _stamp_report(embedded, roots, current, dss, moment: datetime) -> TimestampReport:
    kwargs = {"trust_roots": roots, "crls": current, "allow_fetching": False,
              "moment": moment, "retroactive_revinfo": True}
    vc = dss.as_validation_context(kwargs) if dss else ValidationContext(**kwargs)
    status = validate_pdf_timestamp(embedded, validation_context=vc)
    level = status.modification_level.name if status.modification_level else "NONE"
    ok = bool(status.intact and status.valid and status.trusted
              and level in ("NONE", "LTA_UPDATES"))
    tsa = _subject(embedded.signer_cert, "common_name")
    return TimestampReport(
        field=embedded.field_name, time=status.timestamp, tsa=tsa, checked_at=moment,
        intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
        ok=ok, verdict=verdicts.timestamp_verdict(
            ok=ok, intact=bool(status.intact and status.valid),
            trusted=bool(status.trusted), later_changes=level not in ("NONE", "LTA_UPDATES")))


def _report(embedded, roots, current, dss) -> SignatureReport:
    ts_time = _timestamp_time(embedded)
    kwargs = {"trust_roots": roots, "crls": current, "allow_fetching": False,
              "moment": ts_time or datetime.now(UTC), "retroactive_revinfo": True}
    vc = dss.as_validation_context(kwargs) if dss else ValidationContext(**kwargs)
    status = validate_pdf_signature(embedded, signer_validation_context=vc)
    ts = status.timestamp_validity
    timestamp_ok = bool(ts and ts.intact and ts.valid and ts.trusted)
    docmdp_ok = bool(status.docmdp_ok) or status.modification_level is None
    ok = bool(status.bottom_line and status.intact and status.valid and status.trusted
              and docmdp_ok and timestamp_ok)
    cert = embedded.signer_cert
    facts = {
        "intact": bool(status.intact), "valid": bool(status.valid),
        "trusted": bool(status.trusted), "revoked": bool(status.revoked),
        "docmdp_ok": docmdp_ok, "timestamp_ok": timestamp_ok,
    }
    return SignatureReport(
        field=embedded.field_name,
        signer=_subject(cert, "common_name"),
        department=_subject(cert, "organizational_unit_name"),
        signing_time=status.signer_reported_dt,
        timestamp_time=ts.timestamp if ts else None,
        revoked_later=not status.revoked and _revoked_since(cert, current),
        modification_level=status.modification_level.name if status.modification_level
        else "NONE",
        coverage=status.coverage.name if status.coverage else "UNKNOWN",
        certified=embedded.docmdp_level is not None,
        ok=ok,
        verdict=verdicts.verdict(ok=ok, field=embedded.field_name,
                                 signer=_subject(cert, "common_name"), **facts),
        **facts,
    )


def _asn1_cert(value) -> asn1_x509.Certificate:
    if isinstance(value, asn1_x509.Certificate):
        return value
    if hasattr(value, "public_bytes"):  # cryptography certificate
        from cryptography.hazmat.primitives.serialization import Encoding

        value = value.public_bytes(Encoding.DER)
    if isinstance(value, bytes) and value.lstrip().startswith(b"-----BEGIN"):
        from asn1crypto import pem

        _, _, value = pem.unarmor(value)
    return asn1_x509.Certificate.load(value)
