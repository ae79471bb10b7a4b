"""A re-issued school root (`SchoolPKI.reissue_root`): the old root stays a trusted
predecessor, staff keys are re-certified under the new one, and forms signed before and after
both verify."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from signing.errors import UnknownCertificate
from signing.pki import SchoolPKI
from signing.sign import countersign, sign_sender
from signing.timestamps import SchoolTimeStamper
from signing.verify import verify_pdf
from tests.signing.conftest import RECEIVER, SENDER

KEY = bytes(range(32))
NEW_URL = "https://school.example/pki/crl.der"


def _crl_number(data: bytes) -> int:
    crl = x509.load_der_x509_crl(data)
    return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


@pytest.fixture
def old(tmp_path):
    """A PKI made under the wrong name and the undeliverable default CRL address."""
    return SchoolPKI.create(tmp_path / "pki", KEY, "示例培训学校")


def _reissued(old: SchoolPKI) -> SchoolPKI:
    pki = SchoolPKI(old.folder, KEY, crl_url=NEW_URL)
    pki.reissue_root("启明培训学校")
    return pki


def test_a_new_root_and_tsa_the_old_root_kept_as_predecessor(old):
    files = {p.name: p.read_bytes() for p in old.folder.iterdir()
             if p.suffix in (".pem", ".sealed")}
    pki = _reissued(old)
    assert pki.roots == (old.ca_cert, pki.ca_cert) and pki.ca_cert != old.ca_cert
    assert pki.school_name == "启明培训学校"
    names = [r.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value for r in pki.roots]
    assert names == ["示例培训学校 根证书", "启明培训学校 根证书（第2代）"]
    pki.tsa_cert.verify_directly_issued_by(pki.ca_cert)
    assert pki.tsa_certs == (old.tsa_cert, pki.tsa_cert)
    for name, data in files.items():  # nothing overwritten
        assert (old.folder / name).read_bytes() == data
    reopened = SchoolPKI(old.folder, KEY)
    assert reopened.roots == pki.roots and reopened.tsa_cert == pki.tsa_cert


def test_staff_keys_are_recertified_without_their_password(old):
    cred = old.issue_staff("张三", "招生部", "pw", email="zs@example.cn")
    pki = _reissued(old)
    with pytest.raises(UnknownCertificate):  # an old certificate signs nothing new
        pki.check_certificate(cred.certificate)
    new_pem = pki.recertify(cred.cert_pem)
    new = x509.load_pem_x509_certificate(new_pem)
    new.verify_directly_issued_by(pki.ca_cert)
    assert pki.is_current(new) and not pki.is_current(cred.certificate)
    assert new.public_key() == cred.certificate.public_key()
    subject = {a.oid: a.value for a in new.subject}
    assert (subject[NameOID.COMMON_NAME], subject[NameOID.ORGANIZATIONAL_UNIT_NAME],
            subject[NameOID.ORGANIZATION_NAME]) == ("张三", "招生部", "启明培训学校")
    san = new.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.RFC822Name) == ["zs@example.cn"]
    points = new.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name[0].value == NEW_URL
    moved = type(cred)(new_pem, cred.sealed_key, new.serial_number)
    assert pki.unlock(moved, "pw").public_key() == new.public_key()  # the same sealed key
    with pytest.raises(UnknownCertificate):  # a certificate of no root of ours
        pki.recertify(SchoolPKI.create(old.folder.parent / "other", KEY, "别校")
                      .issue_staff("王五", "教务部", "pw").cert_pem)


def test_one_crl_per_root_and_revoking_the_new_certificate_revokes_the_old(old):
    cred = old.issue_staff("张三", "招生部", "pw")
    before = _crl_number(old.crl())
    pki = _reissued(old)
    new = x509.load_pem_x509_certificate(pki.recertify(cred.cert_pem))
    current, predecessor = (x509.load_der_x509_crl(c) for c in pki.crls())
    assert current.is_signature_valid(pki.ca_cert.public_key())
    assert predecessor.is_signature_valid(old.ca_cert.public_key())
    assert pki.crl() == pki.crls()[0]
    assert min(_crl_number(c) for c in pki.crls()) > before  # increasing for each issuer
    pki.revoke(new.serial_number, "key_compromise")
    assert set(pki.revoked()) == {new.serial_number, cred.serial}
    for crl in map(x509.load_der_x509_crl, pki.crls()):
        assert crl.get_revoked_certificate_by_serial_number(cred.serial) is not None


def test_forms_signed_under_either_root_verify(old, prepared, sender_stamp, receiver_stamp):
    def both_sign(pki, sender, receiver):
        tsa = SchoolTimeStamper.for_pki(pki)
        signed = sign_sender(prepared, sender, SENDER[2], stamp=sender_stamp, pki=pki, tsa=tsa)
        return countersign(signed, receiver, RECEIVER[2], stamp=receiver_stamp, pki=pki,
                           tsa=tsa)

    people = [old.issue_staff(*SENDER), old.issue_staff(*RECEIVER)]
    before = both_sign(old, *people)
    pki = _reissued(old)
    after = both_sign(pki, *(type(p)(pki.recertify(p.cert_pem), p.sealed_key, 0)
                             for p in people))
    for pdf in (before, after):
        report = verify_pdf(pdf, trust_roots=pki.roots, crls=pki.crls())
        assert report.ok and all(s.trusted for s in report.signatures), report.to_dict()
    # the old form needs the predecessor; the new one chains to the new root alone
    assert not verify_pdf(before, trust_roots=[pki.ca_cert], crls=pki.crls()).ok
    assert verify_pdf(after, trust_roots=[pki.ca_cert], crls=[pki.crl()]).ok
