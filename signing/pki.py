"""The school PKI: a root CA, a timestamping certificate, staff certificates and the CRL.

Files in ``folder`` (never overwritten once written, but for the JSON lists and the CRLs):

- ``ca.pem``, ``ca.key.sealed``: the ECDSA P-256 root and its key, sealed with the
  "pki" key the caller hands in; each re-issue of the root (:meth:`SchoolPKI.reissue_root`,
  for a school whose root carries a wrong name) adds ``ca-2.pem``, ``ca-3.pem``, ... and
  the highest number is the current root. The earlier ones stay as trusted predecessors:
  forms signed under them keep verifying, and each keeps a CRL of its own
  (``ca.crl.der``, ``ca-2.crl.der``, ...) for the certificates it issued;
- ``tsa.pem``, ``tsa.key.sealed``: the RSA-2048 timestamping certificate (pyHanko's
  in-process timestamper is RSA-only) and its sealed key; each renewal
  (:meth:`SchoolPKI.renew_tsa`) adds ``tsa-2.pem``, ``tsa-3.pem``, ... beside it, and the
  highest number timestamps from then on (the earlier ones stay: old tokens name them);
- ``issued.json``: serial -> subject of every staff certificate issued (and, for one
  re-certified under a new root, the serial it ``replaces``: the same key);
- ``revoked.json``, ``crl.der``: revocations and the current root's CRL, re-issued on every
  revocation and before it gets stale.

Certificates name where the CRL (and, when given, the root certificate) is published:
``crl_url`` and ``ca_url``, handed in by the caller. They are written into each certificate
when it is issued and cannot change afterwards: certificates issued under an older URL keep
it.

Staff keys never touch the folder: :meth:`SchoolPKI.issue_staff` returns them sealed
under the staff member's own password (policy G3: every step has a named person, and
only that person can sign).
"""

from __future__ import annotations

import fcntl
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from . import certs
from .errors import CertificateRevoked, PKIError, UnknownCertificate, WrongPassword
from .files import write_atomic, write_new
from .sealing import SealedOpenError, open_sealed, seal

__all__ = ["SchoolPKI", "StaffCredential", "subject_of"]

CRL_LIFETIME = timedelta(days=7)
#: Where certificates say the CRL is published when the caller names no address.
#: ``.invalid`` never resolves (RFC 2606): a validator that fetches revocation data (as
#: pyHanko's does by default) then fails; the application passes its public address.
DEFAULT_CRL_URL = "http://pki.school.invalid/school-root.crl"
_TSA_FILE = re.compile(r"^tsa(?:-(\d+))?\.pem$")
_ROOT_FILE = re.compile(r"^ca(?:-(\d+))?\.pem$")
_OU = x509.NameOID.ORGANIZATIONAL_UNIT_NAME
_PEM = serialization.Encoding.PEM
_PKCS8 = serialization.PrivateFormat.PKCS8
_NO_ENC = serialization.NoEncryption()


@dataclass(frozen=True)
class StaffCredential:
    """What a staff member holds: a certificate and a key only their password opens."""

    cert_pem: bytes
    """The staff certificate (PEM), issued by the school root."""
    sealed_key: bytes
    """The ECDSA P-256 private key, sealed under the staff member's password."""
    serial: int
    """The certificate serial number (what :meth:`SchoolPKI.revoke` takes)."""

    @property
    def certificate(self) -> x509.Certificate:
        """The parsed certificate."""
        return x509.load_pem_x509_certificate(self.cert_pem)


def subject_of(cert: x509.Certificate, oid=x509.NameOID.COMMON_NAME) -> str:
    """One attribute of a certificate subject (CN by default), or ``""``."""
    values = cert.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def _key_der(key) -> bytes:
    return key.private_bytes(serialization.Encoding.DER, _PKCS8, _NO_ENC)


class SchoolPKI:
    """Opens an existing PKI folder; :meth:`create` makes one."""

    def __init__(self, folder: Path, seal_key: bytes, *, crl_url: str = DEFAULT_CRL_URL,
                 ca_url: str | None = None):
        """``crl_url``, ``ca_url``: where new certificates say the CRL (DER) and the root
        certificate (DER) are published."""
        self.folder = Path(folder)
        self.crl_url = crl_url
        self.ca_url = ca_url
        if len(seal_key) != 32:
            raise PKIError(str(self.folder), "seal key must be 32 bytes")
        self._seal_key = bytes(seal_key)
        self._load_roots()
        self._load_tsa()
        _ = self.ca_key  # unseal now: a wrong seal key fails here, not at a revocation

    @classmethod
    def create(cls, folder: Path, seal_key: bytes, school_name: str, *,
               crl_url: str = DEFAULT_CRL_URL, ca_url: str | None = None) -> SchoolPKI:
        """Create the root and TSA certificates where missing; never overwrite a key."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        with _locked(folder):
            if not (folder / "ca.pem").exists():
                key = ec.generate_private_key(ec.SECP256R1())
                write_new(folder / "ca.key.sealed", seal(_key_der(key), key=seal_key))
                write_new(folder / "ca.pem", certs.build_ca(school_name, key).public_bytes(_PEM))
            if not (folder / "tsa.pem").exists():
                ca = x509.load_pem_x509_certificate((folder / "ca.pem").read_bytes())
                ca_key = _open_key_file(folder / "ca.key.sealed", seal_key, folder)
                key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                write_new(folder / "tsa.key.sealed", seal(_key_der(key), key=seal_key))
                tsa = certs.build_tsa(school_name, ca, ca_key, key.public_key(), crl_url, ca_url)
                write_new(folder / "tsa.pem", tsa.public_bytes(_PEM))
        return cls(folder, seal_key, crl_url=crl_url, ca_url=ca_url)

    @cached_property
    def ca_key(self) -> ec.EllipticCurvePrivateKey:
        """The current root's private key (unsealed once)."""
        return self._open_key(self._root_stems[-1] + ".key.sealed")

    @cached_property
    def tsa_key(self) -> rsa.RSAPrivateKey:
        """The current TSA's private key, unsealed on first use (parsing RSA costs tens of
        ms)."""
        return self._open_key(self._tsa_stem + ".key.sealed")

    # -- numbered certificates: the roots and the timestamping certificates -------------
    def _numbered(self, pattern: re.Pattern) -> list[tuple[int, str]]:
        """``(number, file stem)`` of the certificates ``pattern`` matches, oldest first."""
        found = []
        for path in self.folder.iterdir():
            match = pattern.match(path.name)
            if match:
                found.append((int(match.group(1) or 1), path.name[:-len(".pem")]))
        return sorted(found)

    def _next_number(self, pattern: re.Pattern, prefix: str) -> int:
        """Past every number in use, also one whose key was written but not its certificate
        (an interrupted renewal): write_new never overwrites."""
        any_file = re.compile(rf"^{prefix}-(\d+)\.")
        used = [int(m.group(1)) for m in map(any_file.match,
                                             (p.name for p in self.folder.iterdir())) if m]
        return max([self._numbered(pattern)[-1][0], *used]) + 1

    def _load_numbered(self, pattern: re.Pattern,
                       first: str) -> tuple[tuple[x509.Certificate, ...], list[str]]:
        files = self._numbered(pattern)
        if not files:
            raise PKIError(str(self.folder), f"{first}: FileNotFoundError")
        stems = [stem for _, stem in files]
        return tuple(self._load_cert(stem + ".pem") for stem in stems), stems

    def _load_roots(self) -> None:
        self.roots, self._root_stems = self._load_numbered(_ROOT_FILE, "ca.pem")
        """Every root the school has had, oldest first: all are trusted for verification."""
        self.ca_cert = self.roots[-1]
        """The current root: it issues every new certificate and the served CRL."""
        self.school_name = subject_of(self.ca_cert, x509.NameOID.ORGANIZATION_NAME)
        self.__dict__.pop("ca_key", None)

    def _load_tsa(self) -> None:
        self.tsa_certs, stems = self._load_numbered(_TSA_FILE, "tsa.pem")
        """Every timestamping certificate the school has had, oldest first."""
        self.tsa_cert = self.tsa_certs[-1]
        """The current one: new timestamps are issued under it."""
        self._tsa_stem = stems[-1]
        self.__dict__.pop("tsa_key", None)

    def reissue_root(self, school_name: str) -> x509.Certificate:
        """Make a new root for ``school_name`` (new key, a full lifetime) and a timestamping
        certificate under it, both current from now on. The earlier roots stay trusted
        predecessors (:attr:`roots`); staff certificates move with :meth:`recertify`."""
        with _locked(self.folder):
            number = self._next_number(_ROOT_FILE, "ca")
            key = ec.generate_private_key(ec.SECP256R1())
            write_new(self.folder / f"ca-{number}.key.sealed",
                      seal(_key_der(key), key=self._seal_key))
            root = certs.build_ca(school_name, key, generation=number)
            write_new(self.folder / f"ca-{number}.pem", root.public_bytes(_PEM))
        self._load_roots()
        self.renew_tsa()
        return self.ca_cert

    def renew_tsa(self) -> x509.Certificate:
        """Issue a new timestamping certificate (new key, a full lifetime, the current
        publication URLs) under the current root; it is current from now on. The earlier
        ones stay in the folder: timestamps they issued are checked against them."""
        with _locked(self.folder):
            number = self._next_number(_TSA_FILE, "tsa")
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            write_new(self.folder / f"tsa-{number}.key.sealed",
                      seal(_key_der(key), key=self._seal_key))
            cert = certs.build_tsa(self.school_name, self.ca_cert, self.ca_key,
                                   key.public_key(), self.crl_url, self.ca_url)
            write_new(self.folder / f"tsa-{number}.pem", cert.public_bytes(_PEM))
        self._load_tsa()
        return self.tsa_cert

    # -- reading -----------------------------------------------------------------
    def _load_cert(self, filename: str) -> x509.Certificate:
        try:
            return x509.load_pem_x509_certificate((self.folder / filename).read_bytes())
        except (OSError, ValueError) as exc:
            raise PKIError(str(self.folder), f"{filename}: {type(exc).__name__}") from exc

    def _open_key(self, filename: str):
        return _open_key_file(self.folder / filename, self._seal_key, self.folder)

    def _json(self, filename: str) -> dict:
        path = self.folder / filename
        return json.loads(path.read_text("utf-8")) if path.exists() else {}

    def ca_cert_pem(self) -> bytes:
        """The current school root certificate, for readers' trust stores and for
        validation."""
        return self.ca_cert.public_bytes(_PEM)

    def ca_cert_der(self) -> bytes:
        """The school root certificate in DER, as validators fetch it (caIssuers)."""
        return self.ca_cert.public_bytes(serialization.Encoding.DER)

    # -- staff ---------------------------------------------------------------------
    def issue_staff(self, name: str, department: str, password: str, *,
                    email: str | None = None) -> StaffCredential:
        """Issue a certificate (CN name, O school, OU department) and a password-sealed key."""
        key = ec.generate_private_key(ec.SECP256R1())
        cert = self._issue_staff(name, department, key.public_key(), email)
        sealed = seal(_key_der(key), password=password,
                      meta={"serial": cert.serial_number, "subject": name})
        return StaffCredential(cert.public_bytes(_PEM), sealed, cert.serial_number)

    def recertify(self, cert_pem: bytes) -> bytes:
        """A certificate under the current root for the key of ``cert_pem`` (a staff
        certificate of a predecessor root): same name, department and e-mail, the current
        school name and publication URLs. The key, sealed under its owner's password, is
        unchanged, so no password is needed; revoking the new certificate revokes the one
        it replaces too. Returns the new certificate (PEM)."""
        old = x509.load_pem_x509_certificate(cert_pem)
        if not any(_issued_by(old, root) for root in self.roots):
            raise UnknownCertificate(old.subject.rfc4514_string())
        try:
            san = old.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            email = (san.get_values_for_type(x509.RFC822Name) or [None])[0]
        except x509.ExtensionNotFound:
            email = None
        cert = self._issue_staff(subject_of(old), subject_of(old, _OU), old.public_key(), email,
                                 replaces=old.serial_number)
        return cert.public_bytes(_PEM)

    def is_current(self, cert: x509.Certificate) -> bool:
        """Whether ``cert`` was issued by the current root (one of a predecessor cannot
        sign any more: :meth:`recertify` it)."""
        return _issued_by(cert, self.ca_cert)

    def _issue_staff(self, name: str, department: str, public_key, email: str | None, *,
                     replaces: int | None = None) -> x509.Certificate:
        subject = certs.name(name, self.school_name, department or None)
        cert = certs.build_staff(subject, self.ca_cert, self.ca_key, public_key, email,
                                 self.crl_url, self.ca_url)
        entry = {"cn": name, "ou": department}
        if replaces is not None:
            entry["replaces"] = str(replaces)
        with _locked(self.folder):
            issued = self._json("issued.json")
            issued[str(cert.serial_number)] = entry
            write_atomic(self.folder / "issued.json",
                         json.dumps(issued, ensure_ascii=False, indent=1).encode("utf-8"))
        return cert

    def change_password(self, sealed_key: bytes, old: str, new: str) -> bytes:
        """Re-seal a staff key under a new password; :class:`WrongPassword` if ``old`` fails."""
        meta, der = _open_staff(sealed_key, old)
        return seal(der, password=new, meta=meta)

    def unlock(self, credential: StaffCredential, password: str) -> ec.EllipticCurvePrivateKey:
        """The staff member's parsed private key, after checking the certificate."""
        self.check_certificate(credential.certificate)
        _, der = _open_staff(credential.sealed_key, password)
        return serialization.load_der_private_key(der, password=None)

    def check_certificate(self, cert: x509.Certificate) -> None:
        """Raise :class:`UnknownCertificate` or :class:`CertificateRevoked` unless usable
        for a new signature: issued by the current root and not revoked."""
        if not self.is_current(cert):
            raise UnknownCertificate(cert.subject.rfc4514_string())
        entry = self._json("revoked.json").get(str(cert.serial_number))
        if entry is not None:
            raise CertificateRevoked(cert.serial_number, entry["reason"])

    # -- revocation ----------------------------------------------------------------
    def revoke(self, serial: int, reason: str = "unspecified") -> None:
        """Revoke a staff certificate, and those it replaces (the same key under a
        predecessor root), and re-issue the CRLs.

        ``reason`` is an X.509 reason: a ``ReasonFlags`` name (``key_compromise``) or
        value (``keyCompromise``); anything else raises ``ValueError``.
        """
        flag = x509.ReasonFlags[reason] if reason in x509.ReasonFlags.__members__ \
            else x509.ReasonFlags(reason)
        with _locked(self.folder):
            issued = self._json("issued.json")
            if str(serial) not in issued:
                raise UnknownCertificate(f"serial={serial}")
            revoked = self._json("revoked.json")
            entry = {"date": datetime.now(UTC).isoformat(), "reason": flag.value}
            key: str | None = str(serial)
            while key is not None and key in issued:
                revoked.setdefault(key, entry)
                key = issued[key].get("replaces")
            write_atomic(self.folder / "revoked.json", json.dumps(revoked, indent=1).encode())
            for path, root, open_key in self._crl_issuers():
                self._issue_crl(path, root, open_key(), revoked)

    def revoked(self) -> dict[int, str]:
        """Revoked serial numbers and their reasons."""
        return {int(k): v["reason"] for k, v in self._json("revoked.json").items()}

    def crl(self) -> bytes:
        """The current root's CRL (DER); re-issued when missing or past half its
        lifetime."""
        return self._fresh_crl(*self._crl_issuers()[-1])

    def crls(self) -> list[bytes]:
        """A fresh CRL of every root, the current one first: what verification needs for
        certificates of predecessor roots too."""
        return [self._fresh_crl(*issuer) for issuer in reversed(self._crl_issuers())]

    def issue_crl(self) -> bytes:
        """Issue a new CRL of the current root now (a full lifetime from now), return it."""
        path, root, open_key = self._crl_issuers()[-1]
        with _locked(self.folder):
            return self._issue_crl(path, root, open_key(), self._json("revoked.json"))

    def _crl_issuers(self) -> list[tuple[Path, x509.Certificate, Callable]]:
        """``(CRL file, root, key opener)`` of every root, oldest first; the current root's
        CRL is ``crl.der`` (served at /pki/crl.der), a predecessor's ``<its stem>.crl.der``."""
        issuers = []
        for stem, root in zip(self._root_stems, self.roots, strict=True):
            current = root is self.ca_cert
            issuers.append((self.folder / ("crl.der" if current else f"{stem}.crl.der"), root,
                            (lambda: self.ca_key) if current
                            else (lambda stem=stem: self._open_key(stem + ".key.sealed"))))
        return issuers

    def _fresh_crl(self, path: Path, root: x509.Certificate, open_key: Callable) -> bytes:
        if path.exists():
            held = x509.load_der_x509_crl(path.read_bytes())
            # crl.der was the predecessor's until the first CRL of a new root
            if held.issuer == root.subject and \
                    held.next_update_utc - datetime.now(UTC) > CRL_LIFETIME / 2:
                return path.read_bytes()
        with _locked(self.folder):
            return self._issue_crl(path, root, open_key(), self._json("revoked.json"))

    def _issue_crl(self, path: Path, root: x509.Certificate, key, revoked: dict) -> bytes:
        # Every root's CRL lists every revoked serial (serials are random, 159 bits): one
        # revocation list, signed by each root for the certificates it issued.
        # One count for all roots' CRLs, so that a predecessor's first CRL of its own
        # still numbers past the ones it issued as crl.der (RFC 5280 5.2.3: increasing).
        number = 1 + max([_crl_number(p) for p in {path, self.folder / "crl.der"}
                          if p.exists()], default=0)
        crl = certs.build_crl(root, key, {int(k): v for k, v in revoked.items()}, number,
                              CRL_LIFETIME)
        data = crl.public_bytes(serialization.Encoding.DER)
        write_atomic(path, data)
        return data


def _crl_number(path: Path) -> int:
    crl = x509.load_der_x509_crl(path.read_bytes())
    return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


def _issued_by(cert: x509.Certificate, root: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(root)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _open_key_file(path: Path, seal_key: bytes, folder: Path):
    try:
        _, der = open_sealed(path.read_bytes(), key=seal_key)
    except OSError as exc:
        raise PKIError(str(folder), f"{path.name}: {type(exc).__name__}") from exc
    except SealedOpenError as exc:
        raise PKIError(str(folder), f"{path.name}: 密钥无法解封（封存密钥不符）") from exc
    return serialization.load_der_private_key(der, password=None)


def _open_staff(sealed_key: bytes, password: str) -> tuple[dict, bytes]:
    try:
        return open_sealed(sealed_key, password=password)
    except SealedOpenError as exc:
        raise WrongPassword(str(exc.header.get("subject", ""))) from exc


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with open(folder / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
