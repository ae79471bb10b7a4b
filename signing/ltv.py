"""Long-term validation (PAdES B-LTA): validation data under a document timestamp, renewed
before the timestamp's certificate expires.

A signature can be checked for as long as the certificates and revocation data it needs are
at hand and still provably current at a time some still-valid timestamp proves. So a
countersigned form ends with one more revision holding the validation data (the
certificates and the school CRL, in the DSS) and a *document timestamp* over the whole file
(ETSI EN 319 142-1, level B-LTA). That timestamp is only as good as its TSA certificate
(ten years): before it expires, :func:`add_archive_timestamp` runs again and adds the CRL as
it is then (showing the earlier certificates were not revoked) and a new document timestamp
under the current, later-expiring TSA certificate. Every round is an incremental update:
the bytes before it, and so every earlier signature and timestamp, stay exactly as they
were.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import crl as asn1_crl
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.signers.pdf_signer import TimestampDSSContentSettings
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko_certvalidator import ValidationContext

from .pki import SchoolPKI
from .timestamps import SchoolTimeStamper, to_asn1_cert

__all__ = [
    "ARCHIVE_FIELD_PREFIX",
    "DocumentTimestamp",
    "add_archive_timestamp",
    "archive_timestamp_due",
    "document_timestamps",
    "validation_context",
]

#: Document timestamp fields are named ``Archive_TS_001``, ``Archive_TS_002``, ...: fixed
#: width, so that no name is a prefix of another (pyHanko issue 633).
ARCHIVE_FIELD_PREFIX = "Archive_TS_"
#: Bytes of a timestamp token besides its certificates (TSTInfo, signed attributes, the RSA
#: signature): about 1 KiB measured, plus margin.
_TOKEN_OVERHEAD = 2048


@dataclass(frozen=True)
class DocumentTimestamp:
    """One document timestamp of a file (what the yearly refresh looks at)."""

    field: str
    """Its signature field (``Archive_TS_001``, ...)."""
    time: datetime
    """The time it proves (the token's genTime)."""
    tsa: str
    """The timestamping certificate's common name."""
    tsa_serial: int
    """The timestamping certificate's serial number."""
    tsa_expires: datetime
    """When that certificate expires: the timestamp must be renewed before then."""


def validation_context(pki: SchoolPKI, *, moment: datetime | None = None) -> ValidationContext:
    """Trust the school's roots (the current one and its predecessors), know every TSA
    certificate and the current CRLs, never fetch: what signing embeds and what the school
    checks its own files against."""
    kwargs = {"moment": moment} if moment is not None else {}
    return ValidationContext(
        trust_roots=[to_asn1_cert(root) for root in pki.roots],
        other_certs=[to_asn1_cert(c) for c in pki.tsa_certs],
        crls=[asn1_crl.CertificateList.load(crl) for crl in pki.crls()],
        allow_fetching=False,
        **kwargs,
    )


def document_timestamps(pdf: bytes) -> tuple[DocumentTimestamp, ...]:
    """The document timestamps of ``pdf``, oldest first (not validated: see
    :func:`signing.verify.verify_pdf`)."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    found = []
    for embedded in reader.embedded_timestamp_signatures:
        info = embedded.signed_data["encap_content_info"]["content"].parsed
        cert = embedded.signer_cert
        found.append(DocumentTimestamp(
            field=embedded.field_name,
            time=info["gen_time"].native,
            tsa=cert.subject.native.get("common_name", ""),
            tsa_serial=cert.serial_number,
            tsa_expires=cert["tbs_certificate"]["validity"]["not_after"].native,
        ))
    return tuple(found)


def archive_timestamp_due(pdf: bytes, before: datetime) -> bool:
    """Whether ``pdf`` needs a new document timestamp: it has none yet (signed before
    archive timestamps were added), or the certificate of its newest one expires before
    ``before``."""
    stamps = document_timestamps(pdf)
    return not stamps or stamps[-1].tsa_expires < before


def add_archive_timestamp(pdf: bytes, *, pki: SchoolPKI, tsa: TimeStamper) -> bytes:
    """Append one revision to ``pdf``: the validation data of the timestamping certificate
    and the school CRL as it is now (in the DSS), and a document timestamp over the whole
    file, the DSS included. Nothing before that revision changes."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    number = len(reader.embedded_timestamp_signatures) + 1
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    stamper = signers.PdfTimeStamper(tsa, field_name=f"{ARCHIVE_FIELD_PREFIX}{number:03d}",
                                     readable_field_name="存档时间戳")
    reserved = None
    if isinstance(tsa, SchoolTimeStamper):  # an external TSA's chain is measured by pyHanko
        reserved = 2 * (len(tsa.tsa_cert.dump()) + sum(len(c.dump()) for c in tsa.certs_to_embed)
                        + _TOKEN_OVERHEAD)
    out = stamper.timestamp_pdf(
        writer, "sha256", validation_context=validation_context(pki), bytes_reserved=reserved,
        # The DSS goes into the timestamped revision, so the timestamp covers it (B-LTA).
        dss_settings=TimestampDSSContentSettings(update_before_ts=True, include_vri=False))
    return out.getvalue()

