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
from .render import RenderedPdf, Renderer, SignatureBox, check_harfbuzz_subsetting

__all__ = [
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
