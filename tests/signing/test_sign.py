"""Sign and countersign a rendered Chinese form; check with pyHanko, pdfsig and qpdf."""

from __future__ import annotations

import io
import re
import subprocess

import pypdf
import pytest

from signing.sign import RECEIVER_FIELD, SENDER_FIELD


def test_both_signatures_validate_with_pyhanko(countersigned, verify):
    report = verify(countersigned)
    assert report.ok, report.to_dict()
    sender, receiver = report.signatures
    assert (sender.field, receiver.field) == (SENDER_FIELD, RECEIVER_FIELD)
    assert (sender.signer, sender.department) == ("张三", "招生部")
    assert (receiver.signer, receiver.department) == ("李四", "教务部")
    for sig in report.signatures:
        assert sig.intact and sig.valid and sig.trusted and sig.docmdp_ok
        assert sig.timestamp_ok and sig.timestamp_time is not None
        assert not sig.revoked and not sig.revoked_later
        assert "有效" in sig.verdict
    assert sender.certified and not receiver.certified
    # Validation data sits in each signature's own revision; after the receiver's come only
    # the archive timestamp and its validation data (PAdES B-LTA, test_ltv.py).
    assert receiver.coverage == "ENTIRE_REVISION"
    assert receiver.modification_level == "LTA_UPDATES"
    assert sender.modification_level == "FORM_FILLING"
    assert [t.field for t in report.timestamps] == ["Archive_TS_001"]
    assert sender.timestamp_time <= receiver.timestamp_time
    assert report.to_dict()["signatures"][0]["signer"] == "张三"


def test_sender_only_is_certified_and_receiver_field_stays_open(sender_signed, verify):
    report = verify(sender_signed)
    assert report.ok
    assert [s.field for s in report.signatures] == [SENDER_FIELD]
    reader = pypdf.PdfReader(io.BytesIO(sender_signed))
    names = {f for f in reader.get_fields()}
    assert {SENDER_FIELD, RECEIVER_FIELD} <= names


def test_stamps_land_in_the_signature_boxes(countersigned, rendered):
    page = pypdf.PdfReader(io.BytesIO(countersigned)).pages[0]
    rects = {}
    for ref in page["/Annots"]:
        annot = ref.get_object()
        if annot.get("/FT") == "/Sig" and annot["/T"] in (SENDER_FIELD, RECEIVER_FIELD):
            rects[annot["/T"]] = [round(float(v), 1) for v in annot["/Rect"]]
            assert "/AP" in annot
    for key, field in (("sender", SENDER_FIELD), ("receiver", RECEIVER_FIELD)):
        assert rects[field] == [round(v, 1) for v in rendered.boxes[key].rect]


def test_validation_info_is_embedded_for_offline_checks(countersigned):
    root = pypdf.PdfReader(io.BytesIO(countersigned)).trailer["/Root"]
    dss = root["/DSS"]
    assert len(dss["/Certs"]) >= 3  # staff x2, TSA, root
    assert len(dss["/CRLs"]) >= 1


@pytest.fixture
def nss_db(tmp_path, pki):
    """An NSS database in tmp_path that trusts the school root (C,C,C)."""
    db = tmp_path / "nss"
    db.mkdir()
    (tmp_path / "ca.pem").write_bytes(pki.ca_cert_pem())
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{db}", "-n", "school-root", "-t", "C,C,C",
                    "-i", str(tmp_path / "ca.pem")], check=True)
    return db


def pdfsig(pdf: bytes, tmp_path, nss_db) -> list[dict]:
    """Run poppler's pdfsig and parse one dict per signature (it exits 0 even on failure)."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss_db}", str(path)],
                            capture_output=True, text=True)
    sigs = []
    for block in re.split(r"^Signature #\d+:", result.stdout, flags=re.M)[1:]:
        fields = dict(re.findall(r"^\s+- ([^:\n]+): (.*)$", block, flags=re.M))
        sigs.append(fields)
    return sigs


def test_pdfsig_validates_both_signatures(countersigned, tmp_path, nss_db):
    sigs = pdfsig(countersigned, tmp_path, nss_db)
    assert len(sigs) == 3
    for sig in sigs[:2]:
        assert sig["Signature Validation"] == "Signature is Valid."
        assert sig["Certificate Validation"] == "Certificate is Trusted."
    assert sigs[0]["Signature Field Name"] == SENDER_FIELD
    assert "张三" in sigs[0]["Signer Certificate Common Name"]
    # The archive timestamp: pdfsig lists it, covering the whole file, but cannot check it
    # ("Unable to validate this type of signature"); pyHanko does (test_ltv.py).
    assert sigs[2]["Signature Field Name"] == "Archive_TS_001"
    assert sigs[2]["Signature Validation"].startswith("Signature has not yet been verified")


def test_pdfsig_without_the_school_root_does_not_trust(countersigned, tmp_path):
    db = tmp_path / "empty-nss"
    db.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True)
    sigs = pdfsig(countersigned, tmp_path, db)
    assert len(sigs) == 3
    assert all(s.get("Certificate Validation") != "Certificate is Trusted." for s in sigs)


def test_qpdf_check_passes(countersigned, tmp_path):
    path = tmp_path / "doc.pdf"
    path.write_bytes(countersigned)
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors" in result.stdout
