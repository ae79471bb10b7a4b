"""Assessment figures (policy S2) on both databases: a hand-counted month whose figures, read
back from the .xlsx export, equal the count; each party charged only for its own clock; a
bounded number of SQL statements whatever the number of handovers; the chart and the PDF."""

from __future__ import annotations

import io
import itertools
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import event

from records.assessment import Period, assess, on_time_series
from records.assessment_export import csv_text, monthly_report_pdf, neutralise, xlsx_bytes
from records.charts import rate_lines
from records.db import make_engine, make_session_factory, migrate
from records.deadlines import SCHOOL_TZ
from records.handovers import Attachment, Handover, HandoverEvent, HandoverVersion
from records.obligation_model import Obligation
from records.staff import Staff, StaffDepartment
from vault import attach_field_cipher

NOVEMBER = Period.month(2026, 11)
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # after the month: everything due has come due


class PlainCipher:
    """The figures never read a private value; the rows still need their ciphertext columns."""

    def encrypt(self, text, *, context):
        return text

    def decrypt(self, token, *, context):
        return token


def cst(month, day, hour=0, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=SCHOOL_TZ)


@pytest.fixture
def db(db_url):
    engine = make_engine(db_url)
    migrate(engine)
    attach_field_cipher(engine, PlainCipher())
    session = make_session_factory(engine)()
    yield session
    session.close()
    engine.dispose()


class School:
    """Builds rows directly, with fixed times (no signing)."""

    def __init__(self, session):
        self.s = session
        self.numbers = itertools.count(1)
        self.causes = itertools.count(1)

    def staff(self, login, name, dept):
        person = Staff(login=login, display_name=name, password_hash="x",
                       created_at=NOW, password_changed_at=NOW)
        person.departments.append(StaffDepartment(department=dept))
        self.s.add(person)
        self.s.flush()
        return person

    def handover(self, sender, receiver_dept, *, status="completed", method="M2",
                 submitted=None, due=None, receive_due=None, completed=None, receiver=None,
                 scan=False, meeting=False, returns=(), kind="F2"):
        h = Handover(number=f"JJ-2026-{next(self.numbers):06d}", kind=kind, method=method,
                     status=status, sender_id=sender.id,
                     sender_dept=sender.departments[0].department, receiver_dept=receiver_dept,
                     receiver_id=receiver.id if receiver else None, current_version=1,
                     created_at=cst(10, 1), submitted_at=submitted, due_at=due,
                     receive_due_at=receive_due, completed_at=completed)
        self.s.add(h)
        self.s.flush()
        if scan or meeting:
            v = HandoverVersion(handover_id=h.id, version=1, status=status, values_json="{}",
                                created_by=sender.id, created_at=cst(10, 1),
                                meeting_json='{"outcome": "ok"}' if meeting else None)
            self.s.add(v)
            self.s.flush()
            if scan:
                self.s.add(Attachment(version_id=v.id, code="paper_scan", filename="s.pdf",
                                      content_type="application/pdf", size=1, sha256="0" * 64,
                                      object_id="o"))
        for at, who in returns:
            self.s.add(HandoverEvent(handover_id=h.id, version=1, action="returned",
                                     actor_id=who.id, at=at))
        return h

    def obligation(self, dept, person, due, state="open", answered_at=None):
        self.s.add(Obligation(cause_key=f"test:{next(self.causes)}", kind="F2", clause="T1b",
                              owing_dept=dept, owing_staff_id=person.id if person else None,
                              trigger_at=due, due_at=due, state=state, answered_at=answered_at,
                              created_at=due))


def november(school: School, people=None):
    """The hand-counted month (see the expected figures below). Returns the three people."""
    enr1, enr2, aca1 = people or (school.staff("enr1", "王晓燕", "ENR"),
                                  school.staff("enr2", "张伟", "ENR"),
                                  school.staff("aca1", "李建国", "ACA"))
    h = school.handover
    # H1 paper, with its checklist scan; both on time
    h(enr1, "ACA", method="M1", scan=True, submitted=cst(11, 3, 10), due=cst(11, 3, 18),
      receive_due=cst(11, 5, 18), completed=cst(11, 4, 9), receiver=aca1)
    # H2 sent 39 h late; received on time
    h(enr1, "ACA", submitted=cst(11, 10, 9), due=cst(11, 8, 18), receive_due=cst(11, 12, 18),
      completed=cst(11, 11, 9), receiver=aca1)
    # H3 paper without its scan, sent on time; countersigned 96 h late (the receiver's delay)
    h(enr2, "ACA", method="M1", submitted=cst(11, 20, 10), due=cst(11, 20, 18),
      receive_due=cst(11, 24, 18), completed=cst(11, 28, 18), receiver=aca1)
    # H4 face to face with its meeting record, on time; still waiting at ACA past its deadline
    h(enr2, "ACA", method="M3", meeting=True, status="submitted", submitted=cst(11, 25, 10),
      due=cst(11, 26, 18), receive_due=cst(11, 27, 18))
    # H5 returned once, corrected 15 h late, countersigned on time
    h(enr1, "ACA", submitted=cst(11, 7, 9), due=cst(11, 6, 18), receive_due=cst(11, 9, 18),
      completed=cst(11, 7, 15), receiver=aca1, returns=[(cst(11, 6, 12), aca1)])
    # H6 ACA to TEA on time; TEA has not countersigned past its deadline
    h(aca1, "TEA", kind="F4", status="submitted", submitted=cst(11, 15, 10), due=cst(11, 16, 18),
      receive_due=cst(11, 18, 18))
    # H7 sent in October (not counted for ENR), countersigned in November on time (counted)
    h(enr1, "ACA", submitted=cst(10, 31, 20), due=cst(10, 31, 18), receive_due=cst(11, 3, 18),
      completed=cst(11, 2, 9), receiver=aca1, returns=[(cst(10, 30, 9), aca1)])
    # H8 sent in December: not counted; H9 a draft; H10 withdrawn
    h(enr2, "ACA", status="submitted", submitted=cst(12, 1, 9), due=cst(12, 1, 18),
      receive_due=cst(12, 3, 18))
    h(enr2, "ACA", status="draft")
    h(enr1, "ACA", status="withdrawn", submitted=cst(11, 12, 9), due=cst(11, 13, 18),
      receive_due=cst(11, 14, 18))
    o = school.obligation
    o("ENR", enr1, cst(11, 3, 18), "answered", cst(11, 3, 10))  # on time
    o("ENR", enr1, cst(11, 8, 18), "answered", cst(11, 10, 9))  # late
    o("ENR", None, cst(11, 20, 18), "answered", cst(11, 20, 10))  # the department's, on time
    o("ENR", enr2, cst(11, 27, 18))  # still open, overdue
    o("ACA", aca1, cst(11, 30, 12), "waived")
    o("ACA", None, cst(11, 5, 18))  # open, overdue
    o("ACA", aca1, cst(11, 30, 23))  # open, overdue (the last hour of the month)
    o("ENR", enr2, cst(12, 5, 18))  # December: not counted
    o("ACA", aca1, cst(10, 30, 18), "answered", cst(11, 2, 9))  # October: not counted
    school.s.flush()
    return enr1, enr2, aca1


ZERO = dict(due=0, met_on_time=0, met_late=0, open_overdue=0, waived=0, submitted=0,
            sent_on_time=0, sent_late=0, returned=0, never_returned=0, procedural_required=0,
            procedural_kept=0, received=0, countersigned_on_time=0, countersigned_late=0,
            waiting_overdue=0, complaints=0)
EXPECTED_DEPARTMENTS = {
    "招生部": ZERO | dict(due=4, met_on_time=2, met_late=1, open_overdue=1, submitted=5,
                        sent_on_time=3, sent_late=2, returned=1, never_returned=4,
                        procedural_required=3, procedural_kept=2, complaints=1),
    "教务部": ZERO | dict(due=3, open_overdue=2, waived=1, submitted=1, sent_on_time=1,
                        never_returned=1, received=5, countersigned_on_time=4,
                        countersigned_late=1, waiting_overdue=1, complaints=1),
    "教学部": ZERO | dict(received=1, waiting_overdue=1),
}
EXPECTED_PEOPLE = {
    "王晓燕": ZERO | dict(due=2, met_on_time=1, met_late=1, submitted=3, sent_on_time=1,
                       sent_late=2, returned=1, never_returned=2, procedural_required=1,
                       procedural_kept=1),
    "张伟": ZERO | dict(due=1, open_overdue=1, submitted=2, sent_on_time=2, never_returned=2,
                      procedural_required=2, procedural_kept=1, complaints=1),
    "李建国": ZERO | dict(due=2, open_overdue=1, waived=1, submitted=1, sent_on_time=1,
                       never_returned=1, received=4, countersigned_on_time=4,
                       countersigned_late=1),
}
EXPECTED_RATES = {  # name: the values under RATE_HEADERS
    "招生部": (3 / 5, 4 / 5, 2 / 3, 27.0, None),
    "教务部": (5 / 7, 1.0, None, None, 96.0),
    "教学部": (0.0, None, None, None, None),
    "王晓燕": (1 / 3, 2 / 3, 1.0, 27.0, None),
    "张伟": (1.0, 1.0, 0.5, None, None),
    "李建国": (5 / 6, 1.0, None, None, 96.0),
}
HEADERS = {"到期应交": "due", "按时交": "met_on_time", "逾期交": "met_late",
           "逾期未交": "open_overdue", "已免除": "waived", "移交": "submitted",
           "移交按时": "sent_on_time", "移交逾期": "sent_late", "被退回": "returned",
           "一次通过": "never_returned", "纸质/面对面交接": "procedural_required",
           "清单/记录齐全": "procedural_kept", "接收": "received",
           "按时签收": "countersigned_on_time", "逾期签收": "countersigned_late",
           "逾期未签收": "waiting_overdue", "家长投诉": "complaints"}
RATE_HEADERS = ("综合按时率", "一次通过率", "手续合规率", "移交逾期中位数（小时）",
                "签收逾期中位数（小时）")


def read_sheet(book, title):
    rows = list(book[title].iter_rows(values_only=True))
    return {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}


def test_a_hand_counted_month_exported_as_xlsx(db):
    enr1, enr2, aca1 = november(School(db))
    figures = assess(db, NOVEMBER, NOW, complaints=[("ENR", enr2.id), ("ACA", None)])
    book = load_workbook(io.BytesIO(xlsx_bytes(figures)))
    assert book.sheetnames == ["部门", "个人"]
    for title, expected in (("部门", EXPECTED_DEPARTMENTS), ("个人", EXPECTED_PEOPLE)):
        sheet = read_sheet(book, title)
        assert list(sheet) == list(expected)  # the school's department order; then by id
        for name, counts in expected.items():
            assert {HEADERS[h]: sheet[name][h] for h in HEADERS} == counts, name
            got = tuple(sheet[name][h] for h in RATE_HEADERS)
            assert got == pytest.approx(EXPECTED_RATES[name]), name
    people = read_sheet(book, "个人")
    assert people["王晓燕"]["员工编号"] == enr1.id and people["李建国"]["部门"] == "教务部"
    rate_cell = next(c for c in book["部门"][1] if c.value == "综合按时率")
    assert book["部门"].cell(2, rate_cell.column).number_format == "0.0%"
    # the same lines in the CSV, for Excel: BOM, then percentages as text
    text = csv_text(figures)
    assert text.startswith("\ufeff部门,到期应交") and "\n招生部,4,2,1,1,0,50%," in text


def test_each_party_is_charged_only_for_its_own_clock(db):
    """A receiver a month late with one and still sitting on another: the sender, on time
    with both, keeps a clean record; only the receiver's figures show the delay."""
    school = School(db)
    enr = school.staff("enr", "王晓燕", "ENR")
    aca = school.staff("aca", "李建国", "ACA")
    school.handover(enr, "ACA", submitted=cst(11, 2, 9), due=cst(11, 2, 18),
                    receive_due=cst(11, 4, 18), completed=cst(12, 4, 18), receiver=aca)
    school.handover(enr, "ACA", status="submitted", submitted=cst(11, 3, 9), due=cst(11, 3, 18),
                    receive_due=cst(11, 5, 18))
    db.flush()
    now = datetime(2026, 12, 10, tzinfo=UTC)
    figures = assess(db, NOVEMBER, now)
    sender, receiver = figures.department("ENR"), figures.department("ACA")
    assert (sender.sent_on_time, sender.sent_late, sender.on_time_rate) == (2, 0, 1.0)
    assert sender.countersigned_late == sender.waiting_overdue == 0
    assert sender.sender_median_delay_hours is None
    assert figures.person(enr.id).on_time_rate == 1.0
    assert (receiver.countersigned_late, receiver.waiting_overdue) == (1, 1)
    assert receiver.receiver_median_delay_hours == 30 * 24
    assert receiver.on_time_rate == 0.0 and figures.person(aca.id).countersigned_late == 1
    assert on_time_series(db, [NOVEMBER], now) == {
        sender.department: [1.0], receiver.department: [0.0]}


def test_series_agree_with_the_figures_of_each_month(db):
    november(School(db))
    months = NOVEMBER.months_back(3)
    assert [m.first_day.isoformat() for m in months] == ["2026-09-01", "2026-10-01",
                                                         "2026-11-01"]
    series = on_time_series(db, months, NOW)
    for i, month in enumerate(months):
        figures = assess(db, month, NOW)
        for dept, rates in series.items():
            line = figures.department(dept)
            assert rates[i] == (line.on_time_rate if line else None), (dept, i)
    assert series[next(d for d in series if d.value == "ENR")][1] == 0.0  # H7 late in October


def count_statements(session, fn):
    engine = session.get_bind()
    seen = []

    def record(*_args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(seen)


def test_figures_take_the_same_number_of_statements_at_any_size(db):
    school = School(db)
    people = november(school)
    db.commit()

    def run():
        assess(db, NOVEMBER, NOW, complaints=[("ENR", people[1].id)])
        on_time_series(db, NOVEMBER.months_back(12), NOW)

    small = count_statements(db, run)
    for _ in range(6):
        november(school, people)
    db.commit()
    large = count_statements(db, run)
    assert small == large <= 12
    assert assess(db, NOVEMBER, NOW).department("ENR").submitted == 5 * 7


def test_chart_is_well_formed_and_escapes_labels():
    svg = rate_lines("按时率 <近三月>", ["9月", "10月", "11月"],
                     {"<script>教务&": [0.5, None, 1.0], "招生部": [1.0, 0.75, 0.5]})
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "<script>教务&" in texts and "按时率 <近三月>" in texts
    assert "<script>" not in svg
    # the gap in the first line: no polyline across October, only dots
    lines = root.findall("{http://www.w3.org/2000/svg}polyline")
    assert len(lines) == 1
    ET.fromstring(rate_lines("空", ["11月"], {}))


def test_formula_leading_values_are_neutralised(db):
    school = School(db)
    sneaky = school.staff("x", "=HYPERLINK(\"http://evil\")", "ENR")
    school.handover(sneaky, "ACA", submitted=cst(11, 2, 9), due=cst(11, 2, 18))
    db.flush()
    figures = assess(db, NOVEMBER, NOW)
    book = load_workbook(io.BytesIO(xlsx_bytes(figures)))
    assert book["个人"]["A2"].value == "'=HYPERLINK(\"http://evil\")"
    assert book["个人"]["A2"].data_type == "s"
    assert "'=HYPERLINK" in csv_text(figures)
    assert [neutralise(t) for t in ("+1", "-1", "@a", "a=b")] == ["'+1", "'-1", "'@a", "a=b"]


def test_monthly_report_pdf(db):
    from records.forms import TEMPLATES_DIR
    from signing import Renderer

    november(School(db))
    figures = assess(db, NOVEMBER, NOW)
    months = NOVEMBER.months_back(6)
    series = on_time_series(db, months, NOW)
    chart = rate_lines("各部门按时率", [f"{m.first_day.month}月" for m in months],
                       {d.label_zh: r for d, r in series.items()})
    pdf = monthly_report_pdf(Renderer(TEMPLATES_DIR), figures, chart, school_name="测试学校",
                             title="2026年11月交接考核月报")
    assert pdf.startswith(b"%PDF")
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "交接考核月报" in text and "王晓燕" in text and "招生部" in text


def test_period_bounds_are_school_days():
    assert NOVEMBER.start == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert NOVEMBER.end == datetime(2026, 11, 30, 16, tzinfo=UTC)
    assert NOVEMBER.label == "2026-11-01 至 2026-11-30"
    assert Period.month(2026, 12).end == datetime(2026, 12, 31, 16, tzinfo=UTC)
    with pytest.raises(ValueError):
        Period(NOVEMBER.end, NOVEMBER.start)
