"""signing: HTML to PDF, the school PKI, PAdES signing and countersigning, verification.

Knows nothing of students or handovers: it takes HTML, PDFs, names and departments.
"""

from .errors import (
    AlreadySigned,
    CertificateRevoked,
    FetchRefused,
    FontError,
    HarfBuzzMissing,
    NotYetSigned,
    PKIError,
    RenderError,
    SignatureFieldMissing,
    SigningError,
    TimestampError,
    UnknownCertificate,
    VerificationError,
    WrongPassword,
)
from .fonts import StampFont
from .ltv import (
    DocumentTimestamp,
    add_archive_timestamp,
    archive_timestamp_due,
    document_timestamps,
)
from .pki import SchoolPKI, StaffCredential
from .render import RenderedPdf, Renderer, SignatureBox, check_harfbuzz_subsetting
from .sign import RECEIVER_FIELD, SENDER_FIELD, StampText, countersign, prepare, sign_sender
from .timestamps import HTTPTimeStamper, SchoolTimeStamper, make_timestamper
from .verify import SignatureReport, TimestampReport, VerificationReport, verify_pdf
from .watermark import watermark

__all__ = [
    "RECEIVER_FIELD",
    "SENDER_FIELD",
    "DocumentTimestamp",
    "HTTPTimeStamper",
    "SchoolPKI",
    "SchoolTimeStamper",
    "SignatureReport",
    "StaffCredential",
    "StampFont",
    "StampText",
    "TimestampReport",
    "VerificationReport",
    "add_archive_timestamp",
    "archive_timestamp_due",
    "countersign",
    "document_timestamps",
    "make_timestamper",
    "prepare",
    "sign_sender",
    "verify_pdf",
    "watermark",
    "AlreadySigned",
    "CertificateRevoked",
    "FetchRefused",
    "FontError",
    "HarfBuzzMissing",
    "NotYetSigned",
    "PKIError",
    "RenderError",
    "RenderedPdf",
    "Renderer",
    "SignatureBox",
    "SignatureFieldMissing",
    "SigningError",
    "TimestampError",
    "UnknownCertificate",
    "VerificationError",
    "WrongPassword",
    "check_harfbuzz_subsetting",
]
