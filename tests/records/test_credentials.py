"""Signing credentials follow the password: issued on add, re-sealed on change, replaced and
revoked on an administrator's reset or when the account is disabled."""

from __future__ import annotations

import pytest
from cryptography import x509

from records.credentials import Credentials
from signing import CertificateRevoked, WrongPassword


def _creds(app, login):
    svc = app.extensions["handover"]
    db = svc.session_factory()
    staff = svc.accounts(db).get(login)
    return svc, db, staff, Credentials(db, svc.pki)


def test_add_issues_a_certificate_only_the_password_opens(app, add_staff):
    login, password = add_staff("enr", name="王晓燕", depts=("ENR",))
    svc, db, staff, creds = _creds(app, login)
    cred = creds.require(staff)
    cert = cred.certificate
    assert cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "王晓燕"
    assert "招生部" in cert.subject.rfc4514_string()
    assert svc.pki.unlock(cred, password) is not None
    with pytest.raises(WrongPassword):
        svc.pki.unlock(cred, "not-the-password-1")
    assert password.encode() not in cred.sealed_key
    db.close()


def test_change_reseals_and_reset_revokes(app, add_staff):
    login, password = add_staff("aca", depts=("ACA",))
    svc, db, staff, creds = _creds(app, login)
    first = creds.require(staff)
    svc.accounts(db).change_password(staff, password, "Changed-pass-22")
    resealed = creds.require(staff)
    assert resealed.serial == first.serial  # same key and certificate
    svc.pki.unlock(resealed, "Changed-pass-22")
    with pytest.raises(WrongPassword):
        svc.pki.unlock(resealed, password)

    svc.accounts(db).reset_password(login, "Reset-by-admin-33")
    fresh = creds.require(staff)
    assert fresh.serial != first.serial
    svc.pki.unlock(fresh, "Reset-by-admin-33")
    with pytest.raises(CertificateRevoked):
        svc.pki.unlock(resealed, "Changed-pass-22")
    crl = x509.load_der_x509_crl(svc.pki.crl())
    assert crl.get_revoked_certificate_by_serial_number(first.serial) is not None

    svc.accounts(db).disable(login)
    assert creds.current(staff) is None
    with pytest.raises(CertificateRevoked):
        svc.pki.unlock(fresh, "Reset-by-admin-33")
    db.close()
