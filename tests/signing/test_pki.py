"""The school PKI: idempotent creation, sealed keys, staff certificates, passwords, the CRL."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from signing.errors import PKIError, UnknownCertificate, WrongPassword
from signing.pki import SchoolPKI

KEY = bytes(range(32))


@pytest.fixture
def pki(tmp_path):
    return SchoolPKI.create(tmp_path / "pki", KEY, "未来星培训学校")


def test_create_is_idempotent_and_never_overwrites(pki):
    files = {p.name: p.read_bytes() for p in pki.folder.iterdir() if p.is_file()}
    again = SchoolPKI.create(pki.folder, KEY, "另一个名字")
    assert again.ca_cert_pem() == pki.ca_cert_pem()
    assert {p.name: p.read_bytes() for p in pki.folder.iterdir() if p.is_file()} == files
    assert again.school_name == "未来星培训学校"


def test_private_keys_are_sealed_with_the_given_key(pki, tmp_path):
    for name in ("ca.key.sealed", "tsa.key.sealed"):
        data = (pki.folder / name).read_bytes()
        assert b"PRIVATE KEY" not in data and b"\x30\x81" not in data[:40]
    with pytest.raises(PKIError) as caught:
        SchoolPKI(pki.folder, bytes(32))
    assert "ca.key.sealed" in caught.value.reason


def test_root_and_tsa_certificates(pki):
    ca, tsa = pki.ca_cert, pki.tsa_cert
    assert isinstance(ca.public_key(), ec.EllipticCurvePublicKey)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert isinstance(tsa.public_key(), rsa.RSAPublicKey)
    eku = tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    tsa.verify_directly_issued_by(ca)


def test_staff_certificate_names_person_school_and_department(pki):
    cred = pki.issue_staff("张三", "招生部", "pw", email="zs@example.cn")
    cert = cred.certificate
    subject = {a.oid: a.value for a in cert.subject}
    assert subject[NameOID.COMMON_NAME] == "张三"
    assert subject[NameOID.ORGANIZATIONAL_UNIT_NAME] == "招生部"
    assert subject[NameOID.ORGANIZATION_NAME] == "未来星培训学校"
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.RFC822Name) == ["zs@example.cn"]
    assert isinstance(cert.public_key().curve, ec.SECP256R1)
    # Without a distribution point pyHanko's validator never consults the CRL.
    points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name[0].value == pki.crl_url
    assert cert.serial_number == cred.serial
    cert.verify_directly_issued_by(pki.ca_cert)
    assert isinstance(pki.unlock(cred, "pw"), ec.EllipticCurvePrivateKey)


def test_password_change(pki):
    cred = pki.issue_staff("张三", "招生部", "old")
    with pytest.raises(WrongPassword) as caught:
        pki.change_password(cred.sealed_key, "wrong", "new")
    assert caught.value.subject == "张三"
    resealed = pki.change_password(cred.sealed_key, "old", "new")
    new_cred = type(cred)(cred.cert_pem, resealed, cred.serial)
    assert pki.unlock(new_cred, "new").public_key().public_numbers() == \
        cred.certificate.public_key().public_numbers()
    with pytest.raises(WrongPassword):
        pki.unlock(new_cred, "old")


def test_revocation_reissues_the_crl(pki):
    a = pki.issue_staff("张三", "招生部", "pw")
    b = pki.issue_staff("李四", "教务部", "pw")
    before = x509.load_der_x509_crl(pki.crl())
    pki.revoke(a.serial, "keyCompromise")
    after = x509.load_der_x509_crl(pki.crl())
    number = after.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert number == before.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number + 1
    assert after.is_signature_valid(pki.ca_cert.public_key())
    assert after.get_revoked_certificate_by_serial_number(a.serial) is not None
    assert after.get_revoked_certificate_by_serial_number(b.serial) is None
    assert pki.revoked() == {a.serial: "keyCompromise"}


def test_revoke_refuses_unknown_serials_and_reasons(pki):
    cred = pki.issue_staff("张三", "招生部", "pw")
    with pytest.raises(UnknownCertificate):
        pki.revoke(12345, "unspecified")
    with pytest.raises(ValueError):
        pki.revoke(cred.serial, "离职")
    assert pki.revoked() == {}


def _published(cert: x509.Certificate) -> tuple[str, str | None]:
    """(CRL distribution point, caIssuers URL or None) written into a certificate."""
    crl = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return crl[0].full_name[0].value, None
    issuers = [d.access_location.value for d in aia
               if d.access_method == x509.oid.AuthorityInformationAccessOID.CA_ISSUERS]
    return crl[0].full_name[0].value, issuers[0]


def test_new_certificates_name_the_publication_urls_old_ones_keep_theirs(tmp_path):
    urls = {"crl_url": "https://school.example/pki/crl.der",
            "ca_url": "https://school.example/pki/ca.der"}
    made = SchoolPKI.create(tmp_path / "pki", KEY, "未来星培训学校", **urls)
    assert _published(made.tsa_cert) == (urls["crl_url"], urls["ca_url"])
    before = made.issue_staff("张三", "招生部", "pw").certificate
    assert _published(before) == (urls["crl_url"], urls["ca_url"])
    # The school moves: new certificates get the new address, issued ones are signed as is.
    moved = SchoolPKI(made.folder, KEY, crl_url="https://new.example/pki/crl.der",
                      ca_url="https://new.example/pki/ca.der")
    after = moved.issue_staff("李四", "教务部", "pw").certificate
    assert _published(after) == ("https://new.example/pki/crl.der",
                                 "https://new.example/pki/ca.der")
    assert _published(moved.tsa_cert) == (urls["crl_url"], urls["ca_url"])
    assert _published(before) == (urls["crl_url"], urls["ca_url"])
    assert x509.load_der_x509_certificate(moved.ca_cert_der()) == moved.ca_cert


def test_certificate_lifetimes(pki):
    def years(cert):
        return (cert.not_valid_after_utc - cert.not_valid_before_utc).days // 365

    staff = pki.issue_staff("张三", "招生部", "pw").certificate
    assert (years(pki.ca_cert), years(pki.tsa_cert), years(staff)) == (20, 10, 3)


def test_tsa_renewal_adds_a_certificate_and_keeps_the_old_one(pki):
    first, files = pki.tsa_cert, {p.name: p.read_bytes() for p in pki.folder.iterdir()
                                  if p.name.startswith("tsa")}
    renewed = SchoolPKI(pki.folder, KEY, crl_url="https://school.example/pki/crl.der")
    new = renewed.renew_tsa()
    assert new != first and renewed.tsa_cert == new
    assert renewed.tsa_certs == (first, new)
    assert new.public_key().public_numbers() != first.public_key().public_numbers()
    assert renewed.tsa_key.public_key().public_numbers() == new.public_key().public_numbers()
    assert _published(new)[0] == "https://school.example/pki/crl.der"
    new.verify_directly_issued_by(pki.ca_cert)
    for name, data in files.items():  # never overwritten
        assert (pki.folder / name).read_bytes() == data
    reopened = SchoolPKI(pki.folder, KEY)
    assert reopened.tsa_cert == new and reopened.tsa_certs == (first, new)


def _crl_number(data: bytes) -> int:
    crl = x509.load_der_x509_crl(data)
    return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


def test_issue_crl_always_issues_a_new_one(pki):
    first = pki.crl()
    assert pki.crl() == first  # still fresh: the same one
    assert _crl_number(pki.issue_crl()) == _crl_number(first) + 1


def test_an_interrupted_renewal_does_not_block_the_next(pki):
    (pki.folder / "tsa-2.key.sealed").write_bytes(b"left by a crash")
    assert pki.renew_tsa() == SchoolPKI(pki.folder, KEY).tsa_cert
    assert (pki.folder / "tsa-3.pem").exists()
    assert (pki.folder / "tsa-2.key.sealed").read_bytes() == b"left by a crash"
