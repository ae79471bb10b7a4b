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
from .pki import SchoolPKI, StaffCredential
from .render import RenderedPdf, Renderer, SignatureBox, check_harfbuzz_subsetting
from .sign import RECEIVER_FIELD, SENDER_FIELD, StampText, countersign, prepare, sign_sender
from .timestamps import HTTPTimeStamper, SchoolTimeStamper, make_timestamper
from .verify import SignatureReport, VerificationReport, verify_pdf
from .watermark import watermark

__all__ = [
    "RECEIVER_FIELD",
    "SENDER_FIELD",
    "HTTPTimeStamper",
    "SchoolPKI",
    "SchoolTimeStamper",
    "SignatureReport",
    "StaffCredential",
    "StampFont",
    "StampText",
    "VerificationReport",
    "countersign",
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
