"""Certificate and CRL builders for the school PKI (pure functions over ``cryptography``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["build_ca", "build_crl", "build_staff", "build_tsa", "name"]

SKEW = timedelta(minutes=5)
#: Certificate lifetimes in years (docs/signatures.md, "Lifetimes and renewal").
ROOT_YEARS, TSA_YEARS, STAFF_YEARS = 20, 10, 3


def name(common_name: str, school: str, unit: str | None = None) -> x509.Name:
    """A subject: C=CN, O=school, optional OU, CN."""
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
             x509.NameAttribute(NameOID.ORGANIZATION_NAME, school)]
    if unit:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def _usage(*, sign: bool = False, ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign, content_commitment=sign, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
        encipher_only=False, decipher_only=False)


def _builder(subject: x509.Name, issuer: x509.Certificate | None, public_key,
             years: int) -> x509.CertificateBuilder:
    now = datetime.now(UTC)
    issuer_name = issuer.subject if issuer else subject
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
               .public_key(public_key).serial_number(x509.random_serial_number())
               .not_valid_before(now - SKEW).not_valid_after(now + timedelta(days=365 * years))
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), False))
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()), False)
    return builder


def _crl_point(url: str) -> x509.CRLDistributionPoints:
    # Validators look for revocation only where a certificate names a CRL distribution
    # point; without one, pyHanko's validator never consults the school CRL at all.
    return x509.CRLDistributionPoints([x509.DistributionPoint(
        full_name=[x509.UniformResourceIdentifier(url)], relative_name=None, reasons=None,
        crl_issuer=None)])


def _published(builder: x509.CertificateBuilder, crl_url: str,
               ca_url: str | None) -> x509.CertificateBuilder:
    """Where a validator fetches the CRL and (authority information access, caIssuers) the
    issuing root; both are written into the certificate for good."""
    builder = builder.add_extension(_crl_point(crl_url), False)
    if ca_url:
        builder = builder.add_extension(x509.AuthorityInformationAccess([
            x509.AccessDescription(x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                                   x509.UniformResourceIdentifier(ca_url))]), False)
    return builder


def build_ca(school: str, key: ec.EllipticCurvePrivateKey, *,
             generation: int = 1) -> x509.Certificate:
    """The self-signed school root: CA, path length 0, signs certificates and CRLs. A root
    re-issued later names its generation, so that no two roots share a name (validators
    find an issuer by its name)."""
    common = f"{school} 根证书" + (f"（第{generation}代）" if generation > 1 else "")
    builder = (_builder(name(common, school), None, key.public_key(), ROOT_YEARS)
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
               .add_extension(_usage(ca=True), True))
    return builder.sign(key, hashes.SHA256())


def build_tsa(school: str, ca: x509.Certificate, ca_key, public_key,
              crl_url: str, ca_url: str | None = None) -> x509.Certificate:
    """The school's timestamping certificate (EKU timeStamping, critical, RFC 3161 2.3)."""
    builder = (_builder(name(f"{school} 时间戳服务", school), ca, public_key, TSA_YEARS)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
               .add_extension(_usage(sign=True), True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True))
    return _published(builder, crl_url, ca_url).sign(ca_key, hashes.SHA256())


def build_staff(subject: x509.Name, ca: x509.Certificate, ca_key, public_key,
                email: str | None, crl_url: str, ca_url: str | None = None) -> x509.Certificate:
    """A staff signing certificate: digital signature and non-repudiation."""
    builder = (_builder(subject, ca, public_key, STAFF_YEARS)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
               .add_extension(_usage(sign=True), True))
    builder = _published(builder, crl_url, ca_url)
    if email:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(email)]), False)
    return builder.sign(ca_key, hashes.SHA256())


def build_crl(ca: x509.Certificate, ca_key, revoked: dict[int, dict], number: int,
              lifetime: timedelta) -> x509.CertificateRevocationList:
    """A CRL listing ``revoked`` (serial -> {"date": iso, "reason": ReasonFlags value})."""
    now = datetime.now(UTC)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
               .last_update(now - SKEW).next_update(now + lifetime)
               .add_extension(x509.CRLNumber(number), False)
               .add_extension(
                   x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key()), False))
    for serial, entry in sorted(revoked.items()):
        item = (x509.RevokedCertificateBuilder().serial_number(serial)
                .revocation_date(datetime.fromisoformat(entry["date"]))
                .add_extension(x509.CRLReason(x509.ReasonFlags(entry["reason"])), False)
                .build())
        builder = builder.add_revoked_certificate(item)
    return builder.sign(ca_key, hashes.SHA256())
