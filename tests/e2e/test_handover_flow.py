"""One handover in real browsers: an enrollment officer fills and signs an F2 registration
with its agreement; an academic-affairs officer in a second browser context finds it in the
inbox and countersigns it; the PDF downloaded from the page carries both signatures, checked
by the records desk and independently by poppler's pdfsig. Then a return, a correction and a
countersignature, briefly. Screenshots for the user guide."""

from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from records.students import StudentInput
from records.workflow import Upload
from tests.e2e.conftest import signed_in as signed_in_as

pytestmark = pytest.mark.e2e

SCAN = b"%PDF-1.4\n% scanned enrollment agreement\n%%EOF\n"
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}


@pytest.fixture(autouse=True)
def stamp_font_in_template(instance_template):
    """The stamp font built once into the template every instance copies (about 3 s each)."""
    from signing import StampFont

    assert StampFont(instance_template / "cache" / "fonts").path.exists()


@pytest.fixture
def people(app, add_staff):
    enr = add_staff("enr", depts=("ENR",), name="王晓燕")
    aca = add_staff("aca", depts=("ACA",), name="李建国")
    svc = app.extensions["handover"]
    with svc.session_factory() as db:  # the student pages belong to another area
        student = svc.students(db).add(
            StudentInput("张子涵", "女", "2015-03-12", "", "杭州市", "", "张伟", "13812345678"),
            actor_id=None, actor="test")
        db.commit()
        student_id = student.id
    return {"enr": enr, "aca": aca, "student_id": student_id}


def signed_in(browser, base, login, password, viewport=LAPTOP):
    return signed_in_as(browser, base, login, password, viewport=viewport, accept_downloads=True)


def off_loop(fn, *args):
    """pyHanko signs and validates with asyncio.run(), which cannot run inside the event loop
    that Playwright's sync API keeps in this thread: run `fn` in another thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


def pdfsig(pdf: bytes, folder, ca_pem: bytes) -> list[dict]:
    """poppler's own verdict per signature (pdfsig exits 0 even on a digest mismatch, so
    its output is parsed), trusting the school root in a fresh NSS database."""
    nss = folder / "nss"
    nss.mkdir()
    (folder / "ca.pem").write_bytes(ca_pem)
    (folder / "doc.pdf").write_bytes(pdf)
    subprocess.run(["certutil", "-N", "--empty-password", "-d", f"sql:{nss}"], check=True)
    subprocess.run(["certutil", "-A", "-n", "school", "-t", "C,C,C", "-i", str(folder / "ca.pem"),
                    "-d", f"sql:{nss}"], check=True)
    out = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(folder / "doc.pdf")],
                         capture_output=True, text=True).stdout
    return [dict(re.findall(r"^\s+- ([^:\n]+): (.*)$", block, flags=re.M))
            for block in re.split(r"^Signature #\d+:", out, flags=re.M)[1:]]


def test_register_sign_countersign_and_verify(app, browser, live_server, people, screenshot,
                                               tmp_path):
    enr_ctx, enr = signed_in(browser, live_server, *people["enr"])
    enr.click("#new-handover")
    enr.wait_for_url("**/handovers/new")
    screenshot(enr, "handover-new")
    enr.click("#kind-F2")
    # the student field searches as one types: two characters of the name, then pick
    enr.locator("#f-student").press_sequentially("子涵", delay=50)
    option = enr.locator('#f-student-options [role="option"]')
    option.first.wait_for()
    assert option.count() == 1 and "张子涵" in option.first.inner_text()
    screenshot(enr, "handover-student-picker")
    option.first.click()
    number_of_student = enr.locator("#f-student").input_value()
    assert re.fullmatch(r"XS-\d{4}-\d{5}", number_of_student)
    assert "张子涵" in enr.locator("#f-student-picked").inner_text()
    enr.fill("#f-course", "初二数学思维提高班")
    enr.fill("#f-registration_date", "2026-03-02")
    enr.fill("#f-fee_paid", "4680.50")
    enr.select_option("#f-payment_method", "微信支付")
    enr.fill("#f-class_hours", "48")
    enr.fill("#f-agreement_number", "XY-2026-0457")
    enr.fill("#f-special_needs", "几何基础较弱，需要课后辅导")
    for slot in ("enrollment_agreement", "paper_scan"):
        enr.set_input_files(f"#att-{slot}", files=[
            {"name": f"{slot}.pdf", "mimeType": "application/pdf", "buffer": SCAN}])
    screenshot(enr, "handover-form")
    enr.fill("#password", people["enr"][1])
    enr.locator("#password").scroll_into_view_if_needed()
    screenshot(enr, "handover-sign")
    enr.click("#sign-submit")
    enr.wait_for_url(re.compile(r".*/handovers/JJ-\d{4}-\d{6}$"))
    number = enr.locator("#handover-number").inner_text()
    assert "待接收" in enr.locator("#status").inner_text()

    aca_ctx, aca = signed_in(browser, live_server, *people["aca"])
    inbox_row = aca.locator(f'#inbox li[data-number="{number}"]')
    assert inbox_row.is_visible()
    screenshot(aca, "handover-inbox")
    inbox_row.locator("a").click()
    aca.wait_for_url(f"**/handovers/{number}")
    assert aca.locator("#pdf-frame").is_visible()
    screenshot(aca, "handover-view")
    aca.fill("#countersign-password", people["aca"][1])
    aca.click("#countersign")
    aca.wait_for_url(f"**/handovers/{number}")
    assert "已完成" in aca.locator("#status").inner_text()
    screenshot(aca, "handover-countersigned")

    with aca.expect_download() as download:
        aca.click("#download-pdf")
    assert download.value.suggested_filename == f"{number}.pdf"
    pdf = (tmp_path / "downloaded.pdf")
    download.value.save_as(pdf)
    data = pdf.read_bytes()
    report = off_loop(app.extensions["handover"].form_desk.verify, data)
    assert report.ok and len(report.signatures) == 2
    found = pdfsig(data, tmp_path, app.extensions["handover"].pki.ca_cert_pem())
    # the two signatures, then the archive timestamp over the validation data (PAdES B-LTA)
    sigs = [s for s in found if s["Signature Field Name"] in ("Sig_Sender", "Sig_Receiver")]
    assert len(sigs) == 2 and len(found) == 3
    assert "时间戳" in found[2]["Signer Certificate Common Name"]
    for sig in sigs:
        assert sig["Signature Validation"] == "Signature is Valid."
        assert sig["Certificate Validation"] == "Certificate is Trusted."
    assert ["王晓燕" in sigs[0]["Signer Certificate Common Name"],
            "李建国" in sigs[1]["Signer Certificate Common Name"]] == [True, True]

    # The sender's outbox no longer lists it; on a phone the view has no sideways scroll.
    enr.goto(f"{live_server}/")
    assert enr.locator(f'#outbox li[data-number="{number}"]').count() == 0
    phone_ctx, phone = signed_in(browser, live_server, *people["aca"], viewport=PHONE)
    phone.goto(f"{live_server}/handovers/{number}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for ctx in (enr_ctx, aca_ctx, phone_ctx):
        ctx.close()


def test_return_correct_and_countersign(app, browser, live_server, people, screenshot):
    svc = app.extensions["handover"]
    enr_login, enr_pw = people["enr"]

    def submitted_f2():  # a submitted F2 with a wrong fee, made through the records API
        with svc.session_factory() as db:
            wf, enr = svc.workflow(db), svc.accounts(db).get(enr_login)
            h = wf.create(enr, "F2", {
                "student": people["student_id"], "course": "少儿编程", "fee_paid": "100.00",
                "registration_date": "2026-03-02", "payment_method": "现金", "class_hours": 24,
                "agreement_number": "XY-1"}, uploads=[
                    Upload("enrollment_agreement", "a.pdf", SCAN),
                    Upload("paper_scan", "s.pdf", SCAN)])
            wf.submit(enr, h, enr_pw)
            db.commit()
            return h.number

    number = off_loop(submitted_f2)
    aca_ctx, aca = signed_in(browser, live_server, *people["aca"])
    aca.goto(f"{live_server}/handovers/{number}")
    aca.click(".return-box summary")
    aca.fill("#return-reason", "缴费金额与收据不符")
    aca.click("#return")
    assert "已退回" in aca.locator("#status").inner_text()

    enr_ctx, enr = signed_in(browser, live_server, enr_login, enr_pw)
    enr.goto(f"{live_server}/handovers/{number}")
    assert enr.locator("#f-fee_paid").input_value() == "100.00"  # prefilled
    enr.fill("#f-fee_paid", "3200.00")
    enr.fill("#correct-reason", "按收据更正缴费金额")
    enr.fill("#correct-password", enr_pw)
    screenshot(enr, "handover-correct")
    enr.click("#correct-submit")
    enr.wait_for_url(f"**/handovers/{number}")
    assert "待接收" in enr.locator("#status").inner_text()
    assert "第 2 版" in enr.locator("#versions").inner_text()

    aca.reload()
    aca.fill("#countersign-password", people["aca"][1])
    aca.click("#countersign")
    aca.wait_for_url(f"**/handovers/{number}")
    assert "已完成" in aca.locator("#status").inner_text()
    assert "缴费金额与收据不符" in aca.locator("#timeline").inner_text()
    for ctx in (enr_ctx, aca_ctx):
        ctx.close()
