"""RFC 3161 timestamps: the school's own in-process TSA, or an external TSA over HTTP.

Every signature carries a timestamp token (PAdES B-T), so that its time does not rest on
the signer's clock (policy T: deadlines are measured on these times; policy M2: the
system records time and persons).
"""

from __future__ import annotations

import asyncio
import urllib.request
from datetime import datetime

from asn1crypto import cms, keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.sign import general
from pyhanko.sign.general import simple_cms_attribute
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from .errors import TimestampError

__all__ = ["HTTPTimeStamper", "SchoolTimeStamper", "make_timestamper", "to_asn1_cert"]


def to_asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    """The asn1crypto form pyHanko works with."""
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class SchoolTimeStamper(DummyTimeStamper):
    """The school TSA, in process: pyHanko's DummyTimeStamper with the school TSA certificate.

    It keeps the parsed RSA key: the parent class re-parses it for every token
    (about 26 ms for RSA-2048).
    """

    def __init__(self, tsa_cert: x509.Certificate, tsa_key: RSAPrivateKey,
                 chain: list[x509.Certificate] = ()):
        if not isinstance(tsa_key, RSAPrivateKey):
            raise TimestampError("school", "pyHanko's in-process timestamper is RSA-only")
        der = tsa_key.private_bytes(serialization.Encoding.DER,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        super().__init__(tsa_cert=to_asn1_cert(tsa_cert),
                         tsa_key=keys.PrivateKeyInfo.load(der),
                         certs_to_embed=[to_asn1_cert(c) for c in chain])
        self._key = tsa_key
        # Built and parsed back once: asn1crypto re-encodes a freshly built attribute (the
        # certificate's issuer name and hash) on every dump, a few ms per token.
        self._signing_cert_attr = cms.CMSAttribute.load(simple_cms_attribute(
            "signing_certificate", general.as_signing_certificate(self.tsa_cert)).dump())

    @classmethod
    def for_pki(cls, pki) -> SchoolTimeStamper:
        """The TSA of a :class:`signing.pki.SchoolPKI` (its TSA certificate, key and root)."""
        return cls(pki.tsa_cert, pki.tsa_key, [pki.ca_cert])

    def _sign_tst_info(self, tst_info_data: bytes, md_algorithm: str,
                       dt: datetime) -> tuple[bytes, cms.CMSAttributes]:
        # Same attributes as DummyTimeStamper._sign_tst_info, with the cached key and
        # signing-certificate attribute.
        hash_algo = get_pyca_cryptography_hash(md_algorithm)
        signed_attrs = cms.CMSAttributes([
            simple_cms_attribute("content_type", "tst_info"),
            simple_cms_attribute("signing_time", cms.Time({"utc_time": dt})),
            self._signing_cert_attr,
            simple_cms_attribute("message_digest", _digest(hash_algo, tst_info_data)),
        ])
        signature = self._key.sign(signed_attrs.dump(), PKCS1v15(), hash_algo)
        return signature, signed_attrs


def _digest(hash_algo, data: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes

    md = hashes.Hash(hash_algo)
    md.update(data)
    return md.finalize()


class HTTPTimeStamper(TimeStamper):
    """An external RFC 3161 TSA reached by HTTP(S) POST (standard library only)."""

    def __init__(self, url: str, *, timeout: float = 10.0, headers: dict | None = None):
        if not url.startswith(("https://", "http://")):
            raise TimestampError(url, "timestamp URL must be http(s)")
        super().__init__()
        self.url = url
        self.timeout = timeout
        self.headers = dict(headers or {})

    def _post(self, body: bytes) -> bytes:
        request = urllib.request.Request(  # noqa: S310 (scheme checked in __init__)
            self.url, data=body, method="POST",
            headers={**self.headers, "Content-Type": "application/timestamp-query"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                if response.headers.get_content_type() != "application/timestamp-reply":
                    raise TimestampError(self.url, "unexpected content type")
                return response.read()
        except OSError as exc:
            raise TimestampError(self.url, type(exc).__name__) from exc

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        raw = await asyncio.to_thread(self._post, req.dump())
        try:
            return tsp.TimeStampResp.load(raw)
        except ValueError as exc:
            raise TimestampError(self.url, "malformed reply") from exc


def make_timestamper(*, school: SchoolTimeStamper | None = None, url: str | None = None,
                     timeout: float = 10.0) -> TimeStamper:
    """Exactly one of ``school`` (the in-process TSA) or ``url`` (an external TSA)."""
    if (school is None) == (url is None):
        raise ValueError("give exactly one of school and url")
    return school if school is not None else HTTPTimeStamper(url, timeout=timeout)
