"""Signing is refused for an unknown or revoked certificate, a wrong password, a wrong order."""

from __future__ import annotations

import time

import pytest

from signing.errors import (
    AlreadySigned,
    CertificateRevoked,
    NotYetSigned,
    SignatureFieldMissing,
    UnknownCertificate,
    WrongPassword,
)
from signing.pki import SchoolPKI
from signing.sign import RECEIVER_FIELD, SENDER_FIELD, countersign, prepare, sign_sender


@pytest.fixture
def own_pki(tmp_path):
    """A PKI of this test only (revocations must not leak into the session PKI)."""
    return SchoolPKI.create(tmp_path / "pki", bytes(32), "未来星培训学校")


def _countersign(pdf, credential, password, *, pki, stamp, tsa):
    return countersign(pdf, credential, password, stamp=stamp, pki=pki, tsa=tsa)


def test_certificate_from_another_ca_is_refused(sender_signed, pki, tsa, receiver_stamp,
                                                 tmp_path):
    other = SchoolPKI.create(tmp_path / "other", bytes(32), "别的学校")
    stranger = other.issue_staff("李四", "教务部", "pw")
    with pytest.raises(UnknownCertificate) as caught:
        _countersign(sender_signed, stranger, "pw", pki=pki, stamp=receiver_stamp, tsa=tsa)
    assert "李四" in caught.value.subject
    assert "不是本校签发" in str(caught.value)


def test_revoked_certificate_is_refused(own_pki, prepared, sender_stamp):
    from signing.timestamps import SchoolTimeStamper

    staff = own_pki.issue_staff("王五", "教学部", "pw")
    own_pki.revoke(staff.serial, "affiliation_changed")
    with pytest.raises(CertificateRevoked) as caught:
        sign_sender(prepared, staff, "pw", stamp=sender_stamp, pki=own_pki,
                    tsa=SchoolTimeStamper.for_pki(own_pki))
    assert caught.value.serial == staff.serial
    assert caught.value.reason == "affiliationChanged"


def test_wrong_password_is_refused(sender_signed, receiver, pki, tsa, receiver_stamp):
    with pytest.raises(WrongPassword) as caught:
        _countersign(sender_signed, receiver, "not-the-password", pki=pki,
                     stamp=receiver_stamp, tsa=tsa)
    assert caught.value.subject == "李四"


def test_signing_twice_or_out_of_order_is_refused(sender_signed, prepared, sender, receiver,
                                                   pki, tsa, sender_stamp, receiver_stamp):
    with pytest.raises(AlreadySigned) as caught:
        sign_sender(sender_signed, sender, "zhangsan-密码", stamp=sender_stamp, pki=pki,
                    tsa=tsa)
    assert caught.value.field == SENDER_FIELD
    with pytest.raises(NotYetSigned) as caught:
        _countersign(prepared, receiver, "lisi-密码", pki=pki, stamp=receiver_stamp, tsa=tsa)
    assert caught.value.field == SENDER_FIELD


def test_prepare_needs_both_boxes_and_sign_needs_prepared_fields(rendered, sender, pki, tsa,
                                                                 sender_stamp):
    with pytest.raises(SignatureFieldMissing) as caught:
        prepare(rendered.pdf, {"sender": rendered.boxes["sender"]})
    assert caught.value.name == "sigbox-receiver"
    with pytest.raises(SignatureFieldMissing) as caught:
        sign_sender(rendered.pdf, sender, "zhangsan-密码", stamp=sender_stamp, pki=pki,
                    tsa=tsa)
    assert caught.value.name == SENDER_FIELD


def test_revocation_after_signing_keeps_the_signature_good(own_pki, prepared, sender_stamp,
                                                           receiver_stamp):
    """Point-in-time validation: the timestamp proves the signature predates the revocation."""
    from signing.timestamps import SchoolTimeStamper
    from signing.verify import verify_pdf

    tsa = SchoolTimeStamper.for_pki(own_pki)
    a = own_pki.issue_staff("张三", "招生部", "a")
    b = own_pki.issue_staff("李四", "教务部", "b")
    signed = sign_sender(prepared, a, "a", stamp=sender_stamp, pki=own_pki, tsa=tsa)
    signed = countersign(signed, b, "b", stamp=receiver_stamp, pki=own_pki, tsa=tsa)
    # CRL times have whole seconds and are truncated: revoke in a later second.
    time.sleep(1.05)
    own_pki.revoke(a.serial, "affiliation_changed")
    report = verify_pdf(signed, trust_roots=[own_pki.ca_cert], crls=[own_pki.crl()])
    sender = report.by_field(SENDER_FIELD)
    assert report.ok
    assert sender.revoked_later and not sender.revoked
    assert not report.by_field(RECEIVER_FIELD).revoked_later


def test_signature_by_a_certificate_revoked_before_it_signed_fails(own_pki, prepared,
                                                                   sender_stamp):
    """The school learns only later that a key was compromised before it was used."""
    import json
    from datetime import UTC, datetime, timedelta

    from signing.timestamps import SchoolTimeStamper
    from signing.verify import verify_pdf

    staff = own_pki.issue_staff("张三", "招生部", "a")
    signed = sign_sender(prepared, staff, "a", stamp=sender_stamp, pki=own_pki,
                         tsa=SchoolTimeStamper.for_pki(own_pki))
    own_pki.revoke(staff.serial, "key_compromise")
    # Back-date the revocation to before the signature, as a CA does for a key compromise
    # discovered late, and let the PKI issue a fresh CRL from its records.
    revoked_path = own_pki.folder / "revoked.json"
    revoked = json.loads(revoked_path.read_text())
    revoked[str(staff.serial)]["date"] = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    revoked_path.write_text(json.dumps(revoked))
    (own_pki.folder / "crl.der").unlink()
    report = verify_pdf(signed, trust_roots=[own_pki.ca_cert], crls=[own_pki.crl()])
    sender = report.by_field(SENDER_FIELD)
    assert not report.ok
    assert sender.revoked and not sender.trusted and sender.intact
    assert "吊销" in sender.verdict
