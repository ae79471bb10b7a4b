"""The open verification page: a real handover signed and countersigned through the records
workflow (real WeasyPrint, pyHanko, school PKI and timestamps), then uploaded by anyone."""

from __future__ import annotations

import io
import re

import pytest
from cryptography import x509

from records.students import StudentInput
from tests.conftest import make_app
from tests.webapp.test_student_pages import csrf_of, sign_in

PASSWORDS = {"enr": "Passw0rd-enr-1", "aca": "Passw0rd-aca-1", "tea": "Passw0rd-tea-1"}


def completed_handover(app) -> tuple[str, bytes]:
    """An F2 handover that 王晓燕 (ENR) signed and 李建国 (ACA) countersigned through the
    records workflow, plus staff 陈静 (TEA); returns its number and its signed PDF."""
    from records.departments import Department
    from records.workflow import Upload

    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        accounts = svc.accounts(db)
        accounts.add("enr", "王晓燕", PASSWORDS["enr"], [Department.ENR])
        accounts.add("aca", "李建国", PASSWORDS["aca"], [Department.ACA])
        accounts.add("tea", "陈静", PASSWORDS["tea"], [Department.TEA])
        student = svc.students(db).add(StudentInput("张子涵", "女", "2015-03-12", "", "杭州市",
                                                    "", "张伟", "13812345678"),
                                       actor_id=None, actor="seed")
        flow = svc.workflow(db)
        enr, aca = accounts.get("enr"), accounts.get("aca")
        values = {"student": student.id, "course": "初二数学思维提高班",
                  "registration_date": "2026-03-02", "fee_paid": "4680.50",
                  "payment_method": "微信支付", "class_hours": 48,
                  "agreement_number": "XY-2026-0457", "special_needs": ""}
        scan = b"%PDF-1.4\n% scan\n%%EOF\n"
        h = flow.create(enr, "F2", values, uploads=[
            Upload("enrollment_agreement", "入学协议.pdf", scan),
            Upload("paper_scan", "交接清单.pdf", scan)])
        flow.submit(enr, h, PASSWORDS["enr"])
        flow.countersign(aca, h, PASSWORDS["aca"])
        pdf = flow.pdf(aca, h, reason="测试")
        number = h.number
        db.commit()
    return number, pdf


@pytest.fixture(scope="module")
def world(tmp_path_factory, instance_template):
    """One app with a completed handover and its PDF, shared by the tests of this module."""
    app = make_app(tmp_path_factory.mktemp("verify") / "instance", instance_template)
    number, pdf = completed_handover(app)

    class World:
        pass

    w = World()
    w.app, w.pdf, w.number, w.passwords = app, pdf, number, PASSWORDS
    yield w
    app.extensions["handover"].close()


def verify_upload(client, data: bytes, name="交接单.pdf"):
    token = csrf_of(client.get("/verify/").get_data(as_text=True))
    return client.post("/verify/", data={"csrf_token": token, "pdf": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_signed_and_countersigned_pdf_shows_the_ok_banner_without_sign_in(world):
    r = verify_upload(world.app.test_client(), world.pdf)
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert re.search(r'class="verdict verdict-ok" id="verdict"', html)
    assert "签名全部有效" in html and "共 2 个签名" in html
    for signer, dept in (("王晓燕", "招生部"), ("李建国", "教务部")):
        assert f"<dt>签名人</dt><dd>{signer}</dd>" in html
        assert f"<dt>部门</dt><dd>{dept}</dd>" in html
    assert 'id="sig-Sig_Sender"' in html and 'id="sig-Sig_Receiver"' in html
    assert "北京时间" in html  # signing and timestamp times are shown
    assert "在允许范围内" in html and "超出允许范围" not in html


def test_one_changed_byte_fails_and_names_the_signature(world):
    data = bytearray(world.pdf)
    at = data.index(b"stream", data.index(b" obj")) + 40  # inside the first signed stream
    data[at] ^= 0x01
    r = verify_upload(world.app.test_client(), bytes(data))
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert 'class="verdict verdict-bad"' in html and "签名验证未通过" in html
    assert "移交方签名（王晓燕）无效" in html
    assert "签名全部有效" not in html


def test_a_pdf_without_signatures_is_not_ok(world):
    blank = world.pdf[: world.pdf.index(b"%%EOF") + 5]  # the first revision: unsigned form
    r = verify_upload(world.app.test_client(), blank)
    html = r.get_data(as_text=True)
    assert "verdict-ok" not in html
    assert "文件中没有电子签名" in html


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04 a spreadsheet", b"%PDF-1.7\n garbage"])
def test_non_pdf_uploads_get_a_chinese_400(world, data):
    r = verify_upload(world.app.test_client(), data, "名单.xlsx")
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    message = re.search(r'id="verify-error">([^<]+)<', html).group(1)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)


def test_uploads_are_not_stored(world):
    svc = world.app.extensions["handover"]
    before = (set(svc.vault.object_ids()), sum(1 for _ in svc.ledger.entries()))
    verify_upload(world.app.test_client(), world.pdf)
    assert (set(svc.vault.object_ids()), sum(1 for _ in svc.ledger.entries())) == before


def test_root_certificate_and_crl_parse_without_sign_in(world):
    client = world.app.test_client()
    pem = client.get("/pki/ca.pem")
    assert pem.status_code == 200 and pem.mimetype == "application/x-pem-file"
    ca = x509.load_pem_x509_certificate(pem.data)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    crl = client.get("/pki/crl")
    assert crl.status_code == 200 and crl.mimetype == "application/pkix-crl"
    parsed = x509.load_der_x509_crl(crl.data)
    assert parsed.issuer == ca.subject and parsed.is_signature_valid(ca.public_key())


def _content_hash(world) -> str:
    svc = world.app.extensions["handover"]
    from sqlalchemy import select

    from records.handovers import Handover

    with svc.session_factory() as db:
        return db.scalar(select(Handover).where(Handover.number == world.number)) \
            .current.content_sha256


def test_qr_arrival_shows_anyone_the_record_and_whether_the_hash_matches(world):
    """issue 11: a parent with a printed form checks it with a phone: kind, number, version,
    status, departments and signing times, and a green or red verdict; never a name."""
    client = world.app.test_client()
    good = client.get(f"/verify/{world.number}?sha256={_content_hash(world)}")
    html = good.get_data(as_text=True)
    assert good.status_code == 200 and "verdict-ok" in html and "与系统记录一致" in html
    for shown in ("F2", "报名学生信息交接单", "第 1 版", "已完成", "招生部", "教务部"):
        assert shown in html, shown
    for secret in ("王晓燕", "李建国", "张子涵", "13812345678", 'id="handover-link"'):
        assert secret not in html
    forged = client.get(f"/verify/{world.number}?sha256={'ab' * 32}").get_data(as_text=True)
    assert "verdict-bad" in forged and "与系统记录不符" in forged and "已完成" in forged


def test_qr_arrival_for_an_unknown_number_or_a_malformed_hash_is_404(world):
    client = world.app.test_client()
    unknown = client.get(f"/verify/JJ-2026-999999?sha256={'0' * 64}")
    assert unknown.status_code == 404 and "与系统记录不符" in unknown.get_data(as_text=True)
    for path in (f"/verify/{world.number}?sha256=xyz", "/verify/JJ-26-1", "/verify/%00"):
        r = client.get(path)
        assert r.status_code == 404 and 'id="bad-number"' in r.get_data(as_text=True), path


def test_qr_lookups_are_counted_without_the_viewer_and_rate_limited(world, monkeypatch):
    from webapp import verify

    monkeypatch.setattr(verify, "LOOKUPS", verify._Window(limit=3, seconds=60))
    svc = world.app.extensions["handover"]
    before = len(list(svc.ledger.entries(action="verify.lookup")))
    client = world.app.test_client()
    codes = [client.get(f"/verify/{world.number}").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    entries = list(svc.ledger.entries(action="verify.lookup"))[before:]
    assert len(entries) == 3 and {e.actor for e in entries} == {"public"}
    assert all(e.subject == f"handover:{world.number}" for e in entries)
    assert "127.0.0.1" not in str([e.as_dict() for e in entries])


def test_qr_arrival_links_to_the_handover_for_staff_who_may_see_it(world):
    insider = world.app.test_client()
    sign_in(insider, "aca", world.passwords["aca"])
    html = insider.get(f"/verify/{world.number}").get_data(as_text=True)
    assert f'href="/handovers/{world.number}"' in html
    outsider = world.app.test_client()
    sign_in(outsider, "tea", world.passwords["tea"])
    assert 'id="handover-link"' not in outsider.get(f"/verify/{world.number}") \
        .get_data(as_text=True)
