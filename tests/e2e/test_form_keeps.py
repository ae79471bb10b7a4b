"""Issue 14 in a real browser: a form keeps what it was given (files survive a failed
签名并提交, whether a field is missing or the password is wrong; the corrected submit signs
with them), 预览 shows the PDF that will be signed before signing, the form warns before
unsaved changes are left, and files can be dropped onto the form (large ones with progress)."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from records.students import Student, StudentInput

pytestmark = pytest.mark.e2e

SCAN = b"%PDF-1.4\n% scanned enrollment agreement\n%%EOF\n"


@pytest.fixture(autouse=True)
def stamp_font_in_template(instance_template):
    from signing import StampFont

    assert StampFont(instance_template / "cache" / "fonts").path.exists()


@pytest.fixture
def enr(app, add_staff, sign_in_page):
    login, password = add_staff("enr", depts=("ENR",), name="王晓燕")
    add_staff("aca", depts=("ACA",), name="李建国")
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        sid = svc.students(db).add(
            StudentInput("张子涵", "女", "2015-03-12", "", "杭州市", "", "张伟", "13812345678"),
            actor_id=None, actor="test").id
        db.commit()
        number = db.get(Student, sid).student_no
    page = sign_in_page(login, password)
    return page, password, number


def fill_f2(page, student_no, *, course="初二数学思维提高班"):
    page.fill("#f-student", student_no)
    page.fill("#f-course", course)
    page.fill("#f-registration_date", "2026-03-02")
    page.fill("#f-fee_paid", "4680.50")
    page.select_option("#f-payment_method", "微信支付")
    page.fill("#f-class_hours", "48")
    page.fill("#f-agreement_number", "XY-2026-0457")


def choose_files(page):
    for slot in ("enrollment_agreement", "paper_scan"):
        page.set_input_files(f"#att-{slot}", files=[
            {"name": f"{slot}.pdf", "mimeType": "application/pdf", "buffer": SCAN}])


def test_files_survive_failed_submits_and_are_signed(enr, live_server, screenshot):
    page, password, student_no = enr
    page.goto(f"{live_server}/handovers/new/F2")
    fill_f2(page, student_no, course="")  # a required field left empty
    choose_files(page)
    page.fill("#password", password)
    page.click("#sign-submit")
    page.wait_for_selector("#action-error")
    attached = page.locator(".attached")
    assert attached.count() == 2
    assert "enrollment_agreement.pdf" in attached.nth(0).inner_text() + attached.nth(1).inner_text()
    assert "必填" in page.locator("#err-course").inner_text()
    screenshot(page, "handover-kept-files")
    # the course now given, but a wrong password: still a draft, still with its files
    page.fill("#f-course", "初二数学思维提高班")
    page.fill("#edit-password", "not-my-password-1")
    page.click("#sign-submit")
    page.wait_for_selector("#err-password")
    assert page.locator(".attached").count() == 2
    # the corrected submit signs with the files chosen the first time
    page.fill("#edit-password", password)
    page.click("#sign-submit")
    page.wait_for_url(re.compile(r".*/handovers/JJ-\d{4}-\d{6}$"))
    assert "待接收" in page.locator("#status").inner_text()
    assert page.locator("#attachments li").count() == 2


def test_preview_shows_the_pdf_before_signing(enr, live_server, screenshot):
    page, password, student_no = enr
    page.goto(f"{live_server}/handovers/new/F2")
    fill_f2(page, student_no)
    choose_files(page)
    page.click("#preview-draft")
    page.wait_for_url(re.compile(r".*preview=1#preview$"))
    frame = page.locator("#preview-frame")
    frame.wait_for()
    src = frame.get_attribute("src")
    assert re.fullmatch(r"/handovers/JJ-\d{4}-\d{6}/preview", src)  # no content in the URL
    pdf = page.request.get(f"{live_server}{src}")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "预览" in text and "初二数学思维提高班" in text
    screenshot(page, "handover-preview")
    page.fill("#edit-password", password)
    page.click("#sign-submit")
    page.wait_for_url(re.compile(r".*/handovers/JJ-\d{4}-\d{6}$"))
    assert "待接收" in page.locator("#status").inner_text()


def test_leaving_a_changed_form_asks_first(enr, live_server):
    page, _, _ = enr
    page.goto(f"{live_server}/handovers/new/F2")
    asked = []
    page.on("dialog", lambda d: (asked.append(d.type), d.dismiss()))
    page.click(".crumbs a")  # nothing typed yet: no question
    page.wait_for_url(f"{live_server}/handovers/new")
    assert asked == []
    page.goto(f"{live_server}/handovers/new/F2")
    page.locator("#f-course").click()
    page.keyboard.type("初二")
    page.click(".crumbs a")
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"] and page.url.endswith("/handovers/new/F2")


def test_files_dropped_and_large_ones_uploaded_with_progress(enr, live_server):
    page, _, student_no = enr
    page.goto(f"{live_server}/handovers/new/F2")
    fill_f2(page, student_no)
    # a file dropped onto the enrollment agreement's box fills its input
    page.evaluate("""() => {
        const dt = new DataTransfer();
        dt.items.add(new File(["%PDF-1.4\\n%%EOF\\n"], "dropped.pdf", {type: "application/pdf"}));
        const zone = document.querySelector("#att-enrollment_agreement").closest(".drop-zone");
        zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true}));
    }""")
    assert page.eval_on_selector("#att-enrollment_agreement", "i => i.files[0].name") \
        == "dropped.pdf"
    assert "dropped.pdf" in page.locator(".drop-hint").first.inner_text()
    # a large scan goes up through the progress-reporting path and lands in the draft
    big = b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024) + b"\n%%EOF\n"
    page.set_input_files("#att-paper_scan", files=[
        {"name": "big-scan.pdf", "mimeType": "application/pdf", "buffer": big}])
    page.click("#save-draft")
    page.wait_for_url(re.compile(r".*/handovers/JJ-\d{4}-\d{6}$"))
    page.wait_for_selector("#attachments")
    names = page.locator("#attachments").inner_text()
    assert "dropped.pdf" in names and "big-scan.pdf" in names
