"""verify_pdf on files that are not signed handovers."""

from __future__ import annotations

import pytest

from signing.errors import VerificationError
from signing.verify import verify_pdf


def test_unsigned_pdf_is_not_ok(prepared, pki):
    report = verify_pdf(prepared, trust_roots=[pki.ca_cert_pem()], crls=[pki.crl()])
    assert report.signatures == () and not report.ok
    assert report.to_dict() == {"ok": False, "signatures": [], "timestamps": []}


def test_not_a_pdf_raises_a_verification_error(pki):
    with pytest.raises(VerificationError) as caught:
        verify_pdf(b"%PDF-1.7\nnot really", trust_roots=[pki.ca_cert_pem()])
    assert caught.value.reason
    assert "无法读取" in str(caught.value)


def test_another_schools_root_does_not_trust_our_signatures(countersigned, tmp_path):
    from signing.pki import SchoolPKI

    other = SchoolPKI.create(tmp_path / "other", bytes(32), "别的学校")
    report = verify_pdf(countersigned, trust_roots=[other.ca_cert], crls=[other.crl()])
    assert not report.ok
    for sig in report.signatures:
        assert sig.intact and sig.valid and not sig.trusted
        assert "不可信" in sig.verdict
