"""`handover list`, `pdf export`, `pdf verify`, `pki ca-cert` and `remind` as scripts use them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509


@pytest.fixture
def handovers(sample_handovers):
    return sample_handovers


def test_list_follows_visibility(runner, handovers):
    def listed(login):
        out = runner.invoke(args=["list", "--as", login, "--json"])
        assert out.exit_code == 0, out.output
        return {json.loads(line)["number"]: json.loads(line) for line in out.output.splitlines()}

    assert set(listed("enr")) == set(handovers.values())
    assert set(listed("sup")) == set(handovers.values())  # metadata: numbers and deadlines
    assert listed("tea") == {}
    waiting = listed("aca")[handovers["waiting"]]
    assert waiting["overdue"] is True and waiting["status"] == "submitted"
    assert "李浩然" not in runner.invoke(args=["list", "--as", "sup"]).output


def test_export_and_verify(runner, handovers, tmp_path):
    out = tmp_path / "f2.pdf"
    r = runner.invoke(args=["pdf", "export", handovers["done"], str(out), "--as", "aca",
                            "--reason", "审计抽查"])
    assert r.exit_code == 0, r.output
    verified = runner.invoke(args=["pdf", "verify", str(out), "--json"])
    assert verified.exit_code == 0, verified.output
    report = json.loads(verified.output)
    assert len(report["signatures"]) == 2 and all(s["ok"] for s in report["signatures"])
    data = bytearray(out.read_bytes())
    data[len(data) // 3] ^= 0x01
    out.write_bytes(bytes(data))
    assert runner.invoke(args=["pdf", "verify", str(out)]).exit_code == 1
    shown = runner.invoke(args=["audit", "show", "--actor", "aca", "--action", "vault.get"])
    assert "审计抽查" in shown.output


def test_watermarked_copy_for_reading(runner, handovers, tmp_path):
    import io

    from pypdf import PdfReader

    out = tmp_path / "copy.pdf"
    r = runner.invoke(args=["pdf", "export", handovers["done"], str(out), "--as", "aca",
                            "--reason", "档案查阅", "--watermark"])
    assert r.exit_code == 0, r.output
    pages = PdfReader(io.BytesIO(out.read_bytes())).pages
    assert all("档案查阅" in p.extract_text() and "李建国" in p.extract_text() for p in pages)


def test_export_refused_to_those_who_may_not_see(runner, handovers, tmp_path):
    for login in ("tea", "sup"):
        r = runner.invoke(args=["pdf", "export", handovers["done"], str(tmp_path / "x.pdf"),
                                "--as", login, "--reason", "看看"])
        assert r.exit_code == 1 and "未找到" in r.output
    assert not (tmp_path / "x.pdf").exists()
    r = runner.invoke(args=["list", "--as", "nobody"])
    assert r.exit_code == 1 and "未找到用户" in r.output


def test_remind_lists_overdue(runner, handovers):
    out = runner.invoke(args=["remind", "--json"])
    items = [json.loads(line) for line in out.stdout.splitlines()]  # stderr may carry notices
    assert [i["number"] for i in items] == [handovers["waiting"]] and items[0]["overdue"]
    text = runner.invoke(args=["remind"]).stdout
    # in the school's time and words: the receiver's own deadline (one working day after
    # receipt, 18:00 Shanghai time), the receiving department by name
    assert f"已逾期  {handovers['waiting']} F2  接收方 教务部  截止 2026-03-03 18:00" in text


def test_remind_scheduled_on_every_server_lists_once_a_day(runner, handovers):
    """A timer on each app server runs `remind --scheduled`: the first of the day lists, the
    others say who did it and exit 0 (issue 15: once per school, not once per server)."""
    first = runner.invoke(args=["remind", "--json", "--scheduled"])
    assert first.exit_code == 0 and handovers["waiting"] in first.stdout
    second = runner.invoke(args=["remind", "--json", "--scheduled"])
    assert second.exit_code == 0 and second.stdout == ""
    assert "已由另一台服务器" in second.stderr
    assert handovers["waiting"] in runner.invoke(args=["remind", "--json"]).stdout  # by hand


def test_ca_cert_export(runner, tmp_path):
    out = tmp_path / "ca.pem"
    assert runner.invoke(args=["pki", "ca-cert", str(out)]).exit_code == 0
    cert = x509.load_pem_x509_certificate(out.read_bytes())
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert datetime.now(UTC) + timedelta(days=365) < cert.not_valid_after_utc


def test_who_viewed_a_student(app, runner, handovers, tmp_path):
    runner.invoke(args=["pdf", "export", handovers["done"], str(tmp_path / "x.pdf"),
                        "--as", "aca", "--reason", "家长要求核对"])
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        from records.students import Student

        number = db.query(Student).one().student_no
    out = runner.invoke(args=["audit", "student", number, "--json"])
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    exported = [r for r in rows if r["actor"] == "aca" and r["reason"] == "家长要求核对"]
    assert exported and exported[0]["action"] == "vault.get"
    assert all(r["actor"] != "tea" for r in rows)
    assert runner.invoke(args=["audit", "student", "XS-0000-00000"]).exit_code == 1


def test_supervision_report(runner, handovers, tmp_path):
    out = runner.invoke(args=["report", "--month", "2026-03", "--json"])
    assert out.exit_code == 0, out.output
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    depts = {r["department"]: r for r in lines if r["line"] == "department"}
    people = {r["name"]: r for r in lines if r["line"] == "person"}
    # the waiting F2 was sent by ENR (王晓燕) in March, on the sender's own deadline
    assert depts["ENR"]["submitted"] == 1 and depts["ENR"]["sent_late"] == 0
    assert people["王晓燕"]["submitted"] == 1 and people["王晓燕"]["department"] == "ENR"
    text = runner.invoke(args=["report", "--since", "2026-03-01", "--until", "2026-03-31"])
    assert text.exit_code == 0 and "招生部" in text.stdout and "王晓燕（招生部）" in text.stdout
    xlsx, pdf = tmp_path / "f.xlsx", tmp_path / "m.pdf"
    made = runner.invoke(args=["report", "--month", "2026-03", "--xlsx", str(xlsx),
                               "--pdf", str(pdf)])
    assert made.exit_code == 0, made.output
    assert xlsx.read_bytes()[:2] == b"PK" and pdf.read_bytes().startswith(b"%PDF")
    assert runner.invoke(args=["report", "--since", "not-a-date"]).exit_code == 2
    assert runner.invoke(args=["report", "--month", "2026-3x"]).exit_code == 2
    assert runner.invoke(args=["report", "--month", "2026-03",
                               "--since", "2026-03-01"]).exit_code == 2
    assert runner.invoke(args=["report", "--since", "2026-03-01",
                               "--pdf", str(tmp_path / "x.pdf")]).exit_code == 2
    assert not (tmp_path / "x.pdf").exists()
