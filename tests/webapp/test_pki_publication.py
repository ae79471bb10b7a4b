"""Signatures that stay provable (issue 11 item 5), through the application: the CRL and root
at the address written into new certificates, an independent pyHanko validation with its
default settings, the daily CRL and the TSA renewal commands, and the yearly `pdf refresh`."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select
from werkzeug.serving import make_server

from records.handovers import Handover
from signing import certs
from signing.ltv import document_timestamps
from signing.timestamps import to_asn1_cert
from tests.conftest import _add_staff, make_app


def test_crl_and_root_in_der_where_certificates_point(app, client):
    svc = app.extensions["handover"]
    crl = client.get("/pki/crl.der")
    assert crl.status_code == 200 and crl.mimetype == "application/pkix-crl"
    x509.load_der_x509_crl(crl.data).is_signature_valid(svc.pki.ca_cert.public_key())
    ca = client.get("/pki/ca.der")
    assert ca.status_code == 200 and ca.mimetype == "application/pkix-cert"
    assert x509.load_der_x509_certificate(ca.data) == svc.pki.ca_cert
    # The old addresses stay.
    assert client.get("/pki/ca.pem").status_code == client.get("/pki/crl").status_code == 200
    base = app.config.get("BASE_URL") or svc.settings["BASE_URL"]
    assert svc.pki_urls == {"crl_url": f"{base}/pki/crl.der", "ca_url": f"{base}/pki/ca.der"}
    issued = svc.pki.issue_staff("测试", "招生部", "pw").certificate
    points = issued.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name[0].value == f"{base}/pki/crl.der"


def test_pki_crl_issues_a_fresh_one(app, runner, tmp_path):
    before = x509.load_der_x509_crl(app.extensions["handover"].pki.crl())
    out = tmp_path / "school.crl"
    r = runner.invoke(args=["pki", "crl", "--out", str(out)])
    assert r.exit_code == 0, r.output
    after = x509.load_der_x509_crl(out.read_bytes())
    numbers = [crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
               for crl in (before, after)]
    assert numbers[1] == numbers[0] + 1 and f"第 {numbers[1]} 号" in r.output


# -- an independent validation, with pyHanko's defaults, of a form exported from the app ---

@pytest.fixture
def served(tmp_path):
    """A fresh instance whose BASE_URL is a loopback port the app itself is served on, so
    the CRL address in its certificates answers (a default validation fetches it)."""
    holder = {}
    server = make_server("127.0.0.1", 0, lambda env, start: holder["app"](env, start),
                         threaded=True)
    base = f"http://127.0.0.1:{server.port}"
    app = holder["app"] = make_app(tmp_path / "served", BASE_URL=base,
                                   PASSWORD_HASH_COST="low")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app
    server.shutdown()
    thread.join(timeout=5)
    app.extensions["handover"].close()


def _completed_form(app) -> bytes:
    pw: dict[str, str] = {}
    for login, name, dept in (("enr", "王晓燕", "ENR"), ("aca", "李建国", "ACA")):
        _add_staff(app, pw, login, name=name, depts=(dept,))
    number = countersigned(app, pw, "XY-1")
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        wf = svc.workflow(db)
        aca = svc.accounts(db).get("aca")
        return wf.pdf(aca, wf.get(aca, number), reason="独立核验")


def countersigned(app, passwords: dict, agreement: str) -> str:
    """A new F2 handover for the sample student by enr, countersigned by aca; its number."""
    from records.students import StudentInput

    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        students = svc.students(db)
        found = students.find_by_phone("13987654321")
        sid = found[0].id if found else students.add(StudentInput(
            "李浩然", "男", "2014-07-28", "", "", "", "李娜", "13987654321"),
            actor_id=None, actor="t").id
        wf = svc.workflow(db)
        enr, aca = svc.accounts(db).get("enr"), svc.accounts(db).get("aca")
        h = wf.create(enr, "F2", {
            "student": sid, "course": "少儿编程", "registration_date": "2026-03-02",
            "fee_paid": "3200", "payment_method": "现金", "class_hours": 24,
            "agreement_number": agreement}, uploads=_uploads())
        wf.submit(enr, h, passwords["enr"])
        wf.countersign(aca, wf.get(aca, h.number), passwords["aca"])
        db.commit()
        return h.number


def _uploads():
    from records.workflow import Upload

    scan = b"%PDF-1.4\n% scan\n%%EOF\n"
    return [Upload("enrollment_agreement", "入学协议.pdf", scan),
            Upload("paper_scan", "交接清单.pdf", scan)]


def _pyhanko_cli() -> str | None:
    """The `pyhanko` command (distribution pyhanko-cli), beside this Python or on PATH."""
    beside = Path(sys.executable).with_name("pyhanko")
    return str(beside) if beside.exists() else (os.environ.get("PYHANKO_CLI")
                                                or shutil.which("pyhanko"))


def test_a_default_pyhanko_validation_says_valid(served, tmp_path):
    pdf = _completed_form(served)
    root = served.extensions["handover"].pki.ca_cert
    # What `pyhanko sign validate` does by default: fetch revocation data from the
    # certificates' addresses (here, this app on a loopback port), hard-fail without it.
    vc_kwargs = {"trust_roots": [to_asn1_cert(root)], "allow_fetching": True,
                 "revocation_mode": "hard-fail"}
    for embedded in PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures:
        status = validate_pdf_signature(embedded, ValidationContext(**vc_kwargs))
        assert status.bottom_line, status.pretty_print_details()

    cli = _pyhanko_cli()
    if cli is None:
        pytest.skip("pyhanko-cli is not installed (pip install pyhanko-cli): the command "
                    "line check is skipped, the same validation in process passed")
    (tmp_path / "school-root.pem").write_bytes(served.extensions["handover"].pki.ca_cert_pem())
    (tmp_path / "form.pdf").write_bytes(pdf)
    result = subprocess.run([cli, "sign", "validate", "--trust", "school-root.pem", "form.pdf"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["Sig_Sender", "Sig_Receiver"]
    assert all(":INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>," in line for line in lines)


# -- the yearly refresh --------------------------------------------------------------------

def _final_object(app, number: str) -> str:
    with app.extensions["handover"].session_factory() as db:
        handover = db.scalar(select(Handover).where(Handover.number == number))
        return handover.current.final_object_id


def test_pdf_refresh_renews_archive_timestamps_before_they_expire(
        app, runner, sample_handovers, monkeypatch, tmp_path):
    done = sample_handovers["done"]
    svc = app.extensions["handover"]
    first_id = _final_object(app, done)
    first = svc.vault.get(first_id, actor="test", reason="测试")
    expires = document_timestamps(first)[-1].tsa_expires

    nothing = runner.invoke(args=["pdf", "refresh"])  # default: what expires within 2 years
    assert nothing.exit_code == 0 and "0 份" in nothing.output, nothing.output
    later = f"{expires.year + 2}-01-01"
    listed = runner.invoke(args=["pdf", "refresh", "--before", later, "--dry-run"])
    assert listed.exit_code == 0, listed.output
    assert f"{done} 第1版 交接单" in listed.output and "需要追加存档时间戳：1 份" in listed.output
    assert _final_object(app, done) == first_id

    # The TSA in use expires before that date too: its timestamp would be due at once.
    refused = runner.invoke(args=["pdf", "refresh", "--before", later])
    assert refused.exit_code == 1 and "renew-tsa" in refused.output
    monkeypatch.setattr(certs, "TSA_YEARS", 20)  # renewed later than the first: it outlives it
    renewed = runner.invoke(args=["pki", "renew-tsa"])
    assert renewed.exit_code == 0 and "重启" in renewed.output, renewed.output
    for cached in ("form_desk", "signing_tools", "pki"):  # what the restart does
        svc.__dict__.pop(cached, None)

    done_run = runner.invoke(args=["pdf", "refresh", "--before", later])
    assert done_run.exit_code == 0 and "已追加存档时间戳：1 份" in done_run.output, \
        done_run.output
    new_id = _final_object(app, done)
    assert new_id != first_id and svc.vault.exists(first_id)  # nothing is overwritten
    refreshed = svc.vault.get(new_id, actor="test", reason="测试")
    assert refreshed.startswith(first)
    assert [s.tsa_serial for s in document_timestamps(refreshed)][-1] == \
        svc.pki.tsa_cert.serial_number
    out = tmp_path / "refreshed.pdf"
    assert runner.invoke(args=["pdf", "export", done, str(out), "--as", "aca",
                               "--reason", "核验"]).exit_code == 0
    verified = runner.invoke(args=["pdf", "verify", str(out), "--json"])
    assert verified.exit_code == 0, verified.output
    assert [t["ok"] for t in json.loads(verified.output)["timestamps"]] == [True, True]
    text = runner.invoke(args=["pdf", "verify", str(out)]).output
    assert text.count("存档时间戳有效") == 2 and "全部签名有效" in text
    entries = list(svc.ledger.entries(action="handover.archive_timestamp"))
    assert [e.context["previous"] for e in entries] == [first_id]
    assert entries[0].context["object"] == new_id and entries[0].actor == "cli"
    # the earlier bytes stay in the vault: repair never takes a refreshed form's previous object
    import time_machine

    with time_machine.travel(datetime.now(UTC) + timedelta(hours=2)):
        assert runner.invoke(args=["vault", "check", "--repair"]).exit_code == 0
    assert svc.vault.exists(first_id)

    again = runner.invoke(args=["pdf", "refresh", "--before", later])
    assert "0 份" in again.output
