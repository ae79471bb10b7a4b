"""The handover pages through the test client, with the real workflow underneath (rendering,
signing, vault, ledger): the kind picker, the generated form and its refusals, the view page
for each kind of viewer, the PDF route's headers, and no student name in any URL."""

from __future__ import annotations

import re
from html import unescape
from io import BytesIO

import pytest
from sqlalchemy import func, select

from records.catalogue import KINDS
from records.handovers import Handover, Status
from records.students import StudentInput

AGREEMENT = b"%PDF-1.4\n% enrollment agreement scan\n%%EOF\n"
STUDENT_NAME = "张子涵"


@pytest.fixture(scope="module", autouse=True)
def stamp_font_in_template(instance_template):
    """Build the stamp font once into the instance template that every test copies (each
    copy would otherwise extract it from the Noto collection again, about 3 s)."""
    from signing import StampFont

    assert StampFont(instance_template / "cache" / "fonts").path.exists()


class Person:
    """A signed-in test client with its CSRF token."""

    def __init__(self, app, login, password):
        self.client, self.password = app.test_client(), password
        r = self.client.post("/login", data={"csrf_token": _token(self.client, "/login"),
                                             "login": login, "password": password})
        assert r.status_code == 302, r.get_data(as_text=True)
        self.csrf = _token(self.client, "/")

    def get(self, path, **kw):
        return self.client.get(path, **kw)

    def post(self, path, data, **kw):
        return self.client.post(path, data={"csrf_token": self.csrf, **data}, **kw)


def _token(client, path):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(
        as_text=True)).group(1)


@pytest.fixture
def world(app, add_staff):
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        student = svc.students(db).add(
            StudentInput(STUDENT_NAME, "女", "2015-03-12", "", "杭州市", "", "张伟",
                         "13812345678"), actor_id=None, actor="test")
        other = svc.students(db).add(
            StudentInput("李明轩", "男", "2014-05-01", "", "", "", "李强", "13912345678"),
            actor_id=None, actor="test")
        db.commit()
        ids = student.id, other.id
    logins = {"enr": ("ENR",), "aca": ("ACA",), "aca2": ("ACA",), "tea": ("TEA",),
              "sup": ("SUP",), "log": ("LOG",)}
    people = {k: add_staff(k, depts=d, name=f"测试{k}") for k, d in logins.items()}

    class World:
        student_id, other_id = ids

        def as_(self, who):
            return Person(app, *people[who])

        def count(self):
            with svc.session_factory() as db:
                return db.scalar(select(func.count(Handover.id)))

        def status(self, number):
            with svc.session_factory() as db:
                return db.scalar(select(Handover.status).where(Handover.number == number))

    return World()


def f2_form(student_id, **overrides):
    data = {"f.student": str(student_id), "f.course": "初二数学思维提高班",
            "f.registration_date": "2026-03-02", "f.fee_paid": "4680.50",
            "f.payment_method": "微信支付", "f.class_hours": "48",
            "f.agreement_number": "XY-2026-0457", "f.special_needs": "几何基础较弱"}
    return {**data, **overrides}


def submit_f2(person, student_id, *, upload=True, **overrides):
    data = f2_form(student_id, **{"action": "submit", "password": person.password,
                                  **overrides})
    if upload:
        data["att.enrollment_agreement"] = (BytesIO(AGREEMENT), "入学协议.pdf")
        data["att.paper_scan"] = (BytesIO(AGREEMENT), "交接清单.pdf")
    return person.post("/handovers/new/F2", data, content_type="multipart/form-data")


def number_of(response) -> str:
    return re.search(r"/handovers/(JJ-\d{4}-\d{6})$", response.headers["Location"]).group(1)


def test_kind_picker_shows_only_the_users_departments(world):
    html = world.as_("enr").get("/handovers/new").get_data(as_text=True)
    shown = set(re.findall(r'id="kind-(F\w+)"', html))
    assert shown == {k.code for k in KINDS.values() if k.sender.value == "ENR"} == {"F1", "F2"}
    tea = set(re.findall(r'id="kind-(F\w+)"', world.as_("tea").get("/handovers/new")
                         .get_data(as_text=True)))
    assert tea == {"F6", "F7", "F9", "F11"}


def test_f2_form_lists_every_catalogue_field_once(world):
    html = world.as_("enr").get("/handovers/new/F2").get_data(as_text=True)
    for spec in KINDS["F2"].fields:
        assert html.count(f'name="f.{spec.name}"') == 1, spec.name
        label = re.findall(rf'<label for="f-{spec.name}">([^<]+)', html)
        assert [t.strip() for t in label] == [spec.label_zh], spec.name
    assert set(re.findall(r'name="f\.(\w+)"', html)) == {f.name for f in KINDS["F2"].fields}
    assert 'name="att.enrollment_agreement"' in html and 'name="password"' in html
    # The student field is a 学号 box that searches as one types: no list of the registry.
    assert 'data-lookup="/students/lookup"' in html and STUDENT_NAME not in html


def test_table_field_posts_without_javascript(world):
    aca = world.as_("aca")
    html = aca.get("/handovers/new/F4").get_data(as_text=True)
    assert 'name="f.roster.0.name"' in html and 'name="f.roster.2.basis"' in html
    row = {"student_number": "XS-1", "name": "王一", "gender": "男", "age": "9", "basis": "好"}
    data = {"f.class_name": "春季一班", "f.head_teacher": "陈老师", "f.grouping_basis": "年龄",
            "f.analysis": "整体基础较好", "action": "draft",
            **{f"f.roster.0.{k}": v for k, v in row.items()},
            **{f"f.roster.1.{k}": "" for k in row}}
    r = aca.post("/handovers/new/F4", data)
    assert r.status_code == 302, r.get_data(as_text=True)
    page = aca.get(r.headers["Location"]).get_data(as_text=True)
    assert "王一" in page and "草稿" in page  # one row kept, the empty row dropped


def test_missing_required_field_and_attachment_are_shown_next_to_fields(world):
    enr = world.as_("enr")
    r = submit_f2(enr, world.student_id, upload=False, **{"f.course": ""})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert re.search(r'data-field="course".*?id="err-course">「报名课程」为必填项', html, re.S)
    assert re.search(r'data-field="attachment:enrollment_agreement".*?缺少必需的附件「入学协议」',
                     html, re.S)
    assert 'value="XY-2026-0457"' in html  # the other values are kept
    # issue 14: the draft is kept (not signed), to be completed
    assert world.count() == 1 and 'id="action-error"' in html


def test_wrong_password_is_a_form_error_and_nothing_is_signed(world):
    enr = world.as_("enr")
    data = f2_form(world.student_id, action="submit", password="wrong-password-1")
    data["att.enrollment_agreement"] = (BytesIO(AGREEMENT), "a.pdf")
    data["att.paper_scan"] = (BytesIO(AGREEMENT), "b.pdf")
    r = enr.post("/handovers/new/F2", data, content_type="multipart/form-data")
    assert r.status_code == 400
    assert "密码" in unescape(re.search(r'id="err-password">([^<]+)', r.get_data(as_text=True))
                            .group(1))
    # issue 14: the draft and its files are kept; nothing is signed
    html = r.get_data(as_text=True)
    assert world.count() == 1 and "已附：a.pdf" in html and "已附：b.pdf" in html
    assert world.status(re.search(r"JJ-\d{4}-\d{6}", html).group(0)) == Status.DRAFT


@pytest.mark.parametrize("tamper, status", [
    ({"f.favourite_colour": "红"}, 400),  # a field the kind does not have
    ({"att.virus": (BytesIO(AGREEMENT), "x.pdf")}, 400),  # an unknown attachment slot
])
def test_tampered_form_posts_are_refused(world, tamper, status):
    r = submit_f2(world.as_("enr"), world.student_id, **tamper)
    assert r.status_code == status
    assert world.count() == 0


def test_kind_and_student_outside_the_users_reach_are_refused(world):
    tea = world.as_("tea")
    assert submit_f2(tea, world.student_id).status_code == 403  # F2 is sent by enrollment
    assert tea.get("/handovers/new/F2").status_code == 403
    assert tea.get("/handovers/new/F99").status_code == 404
    # Teaching sees a student only through its handovers: a forged id is refused.
    f9 = {"f.student": str(world.student_id), "f.current_class": "一班", "f.intent": "续班",
          "f.contact_date": "2026-03-02", "f.parent_feedback": "满意", "action": "draft"}
    assert tea.post("/handovers/new/F9", f9).status_code == 403
    assert STUDENT_NAME not in tea.get("/handovers/new/F9").get_data(as_text=True)
    assert world.count() == 0


def test_countersign_refusals_and_who_sees_what(world):
    enr = world.as_("enr")
    number = number_of(submit_f2(enr, world.student_id))
    url = f"/handovers/{number}"
    # The sender may not countersign their own handover; supervision is the wrong department.
    assert enr.post(f"{url}/countersign", {"password": enr.password}).status_code == 403
    sup = world.as_("sup")
    assert sup.post(f"{url}/countersign", {"password": sup.password}).status_code == 403
    assert world.status(number) == Status.SUBMITTED
    # Supervision: header and deadlines, no PDF, no attachments.
    page = sup.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and number in html and 'id="due-at"' in html
    assert "pdf-frame" not in html and 'id="attachments"' not in html
    assert sup.get(f"{url}/pdf").status_code == 404
    # Someone unrelated may not learn that it exists.
    log = world.as_("log")
    assert log.get(url).status_code == 404 and log.get(f"{url}/pdf").status_code == 404
    assert log.post(f"{url}/countersign", {"password": log.password}).status_code == 404


def test_wrong_password_on_countersign_then_countersign(world):
    number = number_of(submit_f2(world.as_("enr"), world.student_id))
    aca = world.as_("aca")
    assert number in aca.get("/handovers/").get_data(as_text=True)  # in the inbox
    r = aca.post(f"/handovers/{number}/countersign", {"password": "wrong-password-1"})
    assert r.status_code == 400 and 'id="action-error"' in r.get_data(as_text=True)
    assert world.status(number) == Status.SUBMITTED
    r = aca.post(f"/handovers/{number}/countersign", {"password": aca.password})
    assert r.status_code == 302 and world.status(number) == Status.COMPLETED


def test_pdf_route_frames_only_on_our_own_pages_and_downloads_by_number(world):
    enr = world.as_("enr")
    number = number_of(submit_f2(enr, world.student_id))
    view = enr.get(f"/handovers/{number}")
    assert view.headers["X-Frame-Options"] == "DENY"  # pages themselves stay unframeable
    assert f'src="/handovers/{number}/pdf?v=1"' in view.get_data(as_text=True)
    r = enr.get(f"/handovers/{number}/pdf?v=1")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    assert r.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert r.headers["X-Frame-Options"] == "SAMEORIGIN"
    d = enr.get(f"/handovers/{number}/pdf?download=1")
    assert d.headers["Content-Disposition"] == f'attachment; filename="{number}.pdf"'
    assert enr.get(f"/handovers/{number}/pdf?v=x").status_code == 404


def test_student_names_never_appear_in_urls_or_redirects(world):
    enr, aca = world.as_("enr"), world.as_("aca")
    r = submit_f2(enr, world.student_id)
    locations = [r.headers["Location"]]
    number = number_of(r)
    returned = aca.post(f"/handovers/{number}/return", {"reason": f"{STUDENT_NAME}的协议不清晰"})
    locations.append(returned.headers["Location"])
    hrefs = []
    for person, path in ((enr, f"/handovers/{number}"), (aca, f"/handovers/{number}"),
                         (enr, "/handovers/"), (aca, "/"), (enr, "/handovers/new/F2")):
        html = person.get(path).get_data(as_text=True)
        hrefs += re.findall(r'(?:href|src|action)="([^"]*)"', html)
    assert len(hrefs) > 20
    for url in locations + hrefs:
        assert STUDENT_NAME not in unescape(url) and "%E5%BC%A0" not in url.upper(), url
    att = next(h for h in hrefs if "/attachments/" in h)
    disposition = enr.get(att).headers["Content-Disposition"]
    assert disposition.isascii() and number in disposition


def test_return_correct_and_withdraw_through_the_pages(world):
    enr, aca = world.as_("enr"), world.as_("aca")
    number = number_of(submit_f2(enr, world.student_id, **{"f.fee_paid": "100.00"}))
    url = f"/handovers/{number}"
    assert aca.post(f"{url}/return", {"reason": ""}).status_code == 400  # a reason is needed
    assert aca.post(f"{url}/return", {"reason": "缴费金额与收据不符"}).status_code == 302
    page = enr.get(url).get_data(as_text=True)
    assert 'id="correct-form"' in page and 'value="100.00"' in page  # prefilled
    assert "缴费金额与收据不符" in page  # the reason in the timeline
    # ... and at the top of the page and beside the correction form (issue 14)
    top = re.search(r'id="return-reason">([^<]*)<', page)
    beside = re.search(r'id="return-reason-beside">([^<]*)<', page)
    assert top and "缴费金额与收据不符" in top.group(1)
    assert beside and "缴费金额与收据不符" in beside.group(1)
    assert page.index('id="return-reason"') < page.index('id="status"')
    assert page.index('id="return-reason-beside"') < page.index('id="correct-form"')
    data = f2_form(world.student_id, **{"f.fee_paid": "4680.50"}, password=enr.password)
    assert enr.post(f"{url}/correct", {**data, "reason": ""}).status_code == 400
    r = enr.post(f"{url}/correct", {**data, "reason": "更正缴费金额"})
    assert r.status_code == 302 and world.status(number) == Status.SUBMITTED
    assert "第 2 版" in enr.get(url).get_data(as_text=True)
    assert enr.post(f"{url}/withdraw", {"reason": "重复提交"}).status_code == 302
    assert world.status(number) == Status.WITHDRAWN


def test_lists_mark_overdue_and_put_it_first(world, app):
    enr = world.as_("enr")
    first = number_of(submit_f2(enr, world.student_id))
    second = number_of(submit_f2(enr, world.student_id))
    svc = app.extensions["handover"]
    from datetime import UTC, datetime
    with svc.session_factory() as db:  # the second one was due at the receiver long ago
        db.scalars(select(Handover).where(Handover.number == second)).one().receive_due_at = \
            datetime(2026, 1, 5, 10, tzinfo=UTC)
        db.commit()
    html = world.as_("aca").get("/").get_data(as_text=True)
    inbox = html[html.index('id="inbox"'):]
    assert inbox.index(second) < inbox.index(first)
    row = re.search(r'<li class="hrow hrow-overdue" data-number="' + second + '".*?</li>', inbox,
                    re.S)
    assert row and "逾期" in row.group(0)
    listed = world.as_("aca").get("/handovers/?status=submitted&kind=F2").get_data(as_text=True)
    assert first in listed and second in listed
    assert first not in world.as_("aca").get("/handovers/?status=completed").get_data(
        as_text=True).split('id="visible', 1)[1]


def test_schedule_change_of_a_countersigned_f3_is_a_new_version(world, app):
    aca, tea = world.as_("aca"), world.as_("tea")
    svc = app.extensions["handover"]
    with svc.session_factory() as db:  # a schedule names no student: it names its teacher
        tea_id = svc.accounts(db).get("tea").id  # (policy C1: a plain teacher is not a handler)
    fields = {"course": "初二数学", "teacher": "陈静", "schedule": "每周六 09:00-11:00",
              "start_date": "2026-03-07", "place": "301 教室", "lesson_minutes": "120",
              "total_lessons": "16", "materials": "校本讲义"}
    data = {f"f.{k}": v for k, v in fields.items()}
    r = aca.post("/handovers/new/F3", {**data, "action": "submit", "password": aca.password,
                                       "receiver": str(tea_id)})
    number = number_of(r)
    assert tea.post(f"/handovers/{number}/countersign", {"password": tea.password}).status_code \
        == 302
    page = aca.get(f"/handovers/{number}").get_data(as_text=True)
    assert "调整课程安排" in page and 'value="每周六 09:00-11:00"' in page
    assert "调整课程安排" not in tea.get(f"/handovers/{number}").get_data(as_text=True)
    change = {**data, "f.schedule": "每周日 09:00-11:00", "f.change_reason": "教室维修",
              "f.change_arrangement": "改到周日上午", "reason": "教室维修，提前通知",
              "password": aca.password}
    assert aca.post(f"/handovers/{number}/correct", change).status_code == 302
    assert world.status(number) == Status.SUBMITTED
    assert "第 2 版" in tea.get(f"/handovers/{number}").get_data(as_text=True)
    assert tea.post(f"/handovers/{number}/correct", change).status_code == 403


def test_paper_draft_gets_its_checklist_scan_at_submit(world):
    enr = world.as_("enr")
    data = f2_form(world.student_id, action="draft")
    data["att.enrollment_agreement"] = (BytesIO(AGREEMENT), "入学协议.pdf")
    r = enr.post("/handovers/new/F2", data, content_type="multipart/form-data")
    number = number_of(r)
    checklist = enr.get(f"/handovers/{number}/checklist")
    assert checklist.status_code == 200 and checklist.data.startswith(b"%PDF")
    # Without the scan the draft cannot be signed; with it, it can.
    r = enr.post(f"/handovers/{number}/submit", {"password": enr.password})
    assert r.status_code == 400 and "交接清单签字扫描件" in r.get_data(as_text=True)
    r = enr.post(f"/handovers/{number}/submit",
                 {"password": enr.password, "att.paper_scan": (BytesIO(AGREEMENT), "scan.pdf")},
                 content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    assert world.status(number) == "submitted"


def test_a_draft_is_edited_through_its_page_then_signed(world):
    enr, aca = world.as_("enr"), world.as_("aca")
    r = enr.post("/handovers/new/F2", f2_form(world.student_id, action="draft", **{"f.course": ""}))
    number = number_of(r)
    page = enr.get(f"/handovers/{number}").get_data(as_text=True)
    assert 'id="edit-draft"' in page and 'id="correct-form"' not in page
    form = enr.get(f"/handovers/{number}?edit=1").get_data(as_text=True)
    assert f'action="/handovers/{number}/edit"' in form and 'id="save-draft"' in form
    assert 'id="correct-reason"' not in form  # a draft needs no reason and no signature yet
    # A bad value comes back next to its field; nothing of it is kept.
    r = enr.post(f"/handovers/{number}/edit", f2_form(world.other_id, **{"f.fee_paid": "很多"}))
    assert r.status_code == 400 and "很多" in r.get_data(as_text=True)
    assert "初二数学思维提高班" not in enr.get(f"/handovers/{number}").get_data(as_text=True)
    # Only the author edits the draft; others do not even see it.
    assert aca.post(f"/handovers/{number}/edit", f2_form(world.student_id)).status_code == 404
    r = enr.post(f"/handovers/{number}/edit", f2_form(world.other_id))
    assert r.status_code == 302
    page = enr.get(f"/handovers/{number}").get_data(as_text=True)
    assert "初二数学思维提高班" in page and "李明轩" in page and "修改草稿" in page
    data = {"password": enr.password,
            "att.enrollment_agreement": (BytesIO(AGREEMENT), "入学协议.pdf"),
            "att.paper_scan": (BytesIO(AGREEMENT), "交接清单.pdf")}
    r = enr.post(f"/handovers/{number}/submit", data, content_type="multipart/form-data")
    assert r.status_code == 302 and world.status(number) == "submitted"
    assert enr.post(f"/handovers/{number}/edit", f2_form(world.student_id)).status_code == 409


def test_the_second_of_two_receivers_gets_a_409_naming_who_signed_first(world):
    number = number_of(submit_f2(world.as_("enr"), world.student_id))
    aca, aca2 = world.as_("aca"), world.as_("aca2")
    url = f"/handovers/{number}"
    assert aca2.get(url).status_code == 200  # both have the page open
    assert aca.post(f"{url}/countersign", {"password": aca.password}).status_code == 302
    late = aca2.post(f"{url}/countersign", {"password": aca2.password})
    text = late.get_data(as_text=True)
    assert late.status_code == 409 and "已由测试aca签收" in text and "没有保存" in text
    returned = aca2.post(f"{url}/return", {"reason": "缺件"})
    assert returned.status_code == 409 and "已由测试aca签收" in returned.get_data(as_text=True)
    assert world.status(number) == Status.COMPLETED


# -- issue 14: forms that keep what you gave them, and see before you sign -------------------


def draft_number(html: str) -> str:
    return re.search(r'id="handover-number">(JJ-\d{4}-\d{6})<', html).group(1)


def test_files_stay_with_the_draft_until_the_corrected_submit_signs_them(world, app):
    """The first 签名并提交 fails (a required field missing): the draft keeps the files; the
    corrected submit signs with them, without choosing them again."""
    enr = world.as_("enr")
    r = submit_f2(enr, world.student_id, **{"f.course": ""})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    number = draft_number(html)
    assert "已附：入学协议.pdf" in html and "已附：交接清单.pdf" in html
    assert world.status(number) == Status.DRAFT
    fixed = f2_form(world.student_id, action="submit", password=enr.password)
    r = enr.post(f"/handovers/{number}/edit", fixed, content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    assert world.status(number) == Status.SUBMITTED
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        h = db.scalar(select(Handover).where(Handover.number == number))
        assert sorted(a.code for a in h.current.attachments) == [
            "enrollment_agreement", "paper_scan"]


def test_a_draft_file_can_be_removed(world, app):
    enr = world.as_("enr")
    number = number_of(submit_f2(enr, world.student_id, action="draft"))
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        h = db.scalar(select(Handover).where(Handover.number == number))
        scan = next(a.id for a in h.current.attachments if a.code == "paper_scan")
    r = enr.post(f"/handovers/{number}/edit",
                 f2_form(world.student_id, remove_attachment=str(scan)))
    assert r.status_code == 302
    html = enr.get(f"/handovers/{number}?edit=1").get_data(as_text=True)
    assert "已附：入学协议.pdf" in html and "已附：交接清单.pdf" not in html
    # an attachment of another handover is not this draft's to remove
    assert enr.post(f"/handovers/{number}/edit", f2_form(
        world.student_id, remove_attachment="999999")).status_code == 404


def test_the_checklist_prints_from_the_form_before_saving(world):
    from pypdf import PdfReader

    enr = world.as_("enr")
    html = enr.get("/handovers/new/F2").get_data(as_text=True)
    assert 'href="/handovers/new/F2/checklist"' in html
    r = enr.get("/handovers/new/F2/checklist")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(r.data)).pages)
    assert "交接清单" in text and "入学协议" in text
    assert world.count() == 0
    assert world.as_("tea").get("/handovers/new/F2/checklist").status_code == 403


def test_preview_shows_the_pdf_that_signing_signs(world, app):
    """预览 is the unsigned form with a watermark; the submit signs exactly the previewed
    bytes (the signed file begins with them: pyHanko appends the signature)."""
    from pypdf import PdfReader

    enr = world.as_("enr")
    r = submit_f2(enr, world.student_id, action="preview")
    assert r.status_code == 302 and r.headers["Location"].endswith("preview=1#preview")
    number = re.search(r"/handovers/(JJ-\d{4}-\d{6})", r.headers["Location"]).group(1)
    page = enr.get(r.headers["Location"].split("#")[0]).get_data(as_text=True)
    assert f'src="/handovers/{number}/preview"' in page
    preview = enr.get(f"/handovers/{number}/preview")
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"
    assert "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]
    shown = "".join(p.extract_text() for p in PdfReader(BytesIO(preview.data)).pages)
    assert "预览" in shown
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        v = db.scalar(select(Handover).where(Handover.number == number)).current
        unsigned = svc.vault.get(v.unsigned_object_id, actor="test", reason="测试")
    r = enr.post(f"/handovers/{number}/submit", {"password": enr.password})
    assert r.status_code == 302 and world.status(number) == Status.SUBMITTED
    signed = enr.get(f"/handovers/{number}/pdf").data
    assert signed.startswith(unsigned)
    words = "".join(p.extract_text() for p in PdfReader(BytesIO(signed)).pages)
    assert STUDENT_NAME in words and "预览" not in words
    squash = lambda t: re.sub(r"\s+", "", t)  # noqa: E731
    assert squash(words) in squash(shown)  # what was shown, but the watermark
    # only the sender previews, only a draft
    assert world.as_("aca").get(f"/handovers/{number}/preview").status_code in (404, 409)
    assert enr.get(f"/handovers/{number}/preview").status_code == 409


def test_a_changed_draft_is_rendered_again_before_signing(world, app):
    enr = world.as_("enr")
    number = number_of(submit_f2(enr, world.student_id, action="draft"))
    enr.get(f"/handovers/{number}/preview")
    svc = app.extensions["handover"]

    def kept():
        with svc.session_factory() as db:
            v = db.scalar(select(Handover).where(Handover.number == number)).current
            return v.unsigned_html_sha256
    before = kept()
    assert before
    r = enr.post(f"/handovers/{number}/edit", f2_form(
        world.student_id, action="submit", password=enr.password, **{"f.course": "初三物理"}))
    assert r.status_code == 302 and world.status(number) == Status.SUBMITTED
    text = "".join(p.extract_text() for p in __import__("pypdf").PdfReader(
        BytesIO(enr.get(f"/handovers/{number}/pdf").data)).pages)
    assert "初三物理" in text and kept() is None
