"""Exports (issue 16): the roster exported from one instance imports into a fresh one as the
same students (学号, every field, the class); each export is a read in the ledger with the
purpose typed for it, and without a purpose nothing is exported or recorded; who may export
what follows the policy functions; the registers print as PDF; an audit extract neutralises
formulas in .xlsx and CSV and is JSON lines on request."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import load_workbook
from sqlalchemy import select

from records.class_registry import Classes
from records.classes import SchoolClass
from records.students import Student, StudentInput
from tests.conftest import _add_staff
from tests.webapp.test_student_pages import (
    count_students,
    csrf_of,
    post_form,
    sign_in,
    signed_in,
    upload,
)

PUPILS = [StudentInput("欧阳明月", "女", "2015-03-12", "13700004444", "杭州市西湖区文三路 1 号",
                       "330106201503120023", "欧阳伟", "13900001111", "花粉过敏"),
          StudentInput("司马光", "男", "2014-11-02", "", "", "", "司马池", "13900002222")]
FIELDS = ("name", "gender", "birth_date", "phone", "address", "id_number", "guardian_name",
          "guardian_phone", "health_notes")


def school(app, aca_login="aca"):
    """A class and the two pupils, the first in the class."""
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        aca = svc.accounts(db).get(aca_login)
        classes = Classes(db, audit=svc.ledger)
        english = classes.create(aca, "三年级英语A班", "少儿英语")
        students = svc.students(db)
        ids = [students.add(p, actor_id=None, actor="t").id for p in PUPILS]
        classes.enrol(aca, english.id, ids[:1])
        db.commit()
        return ids


def everything(app) -> list[tuple]:
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        classes = {s: c.name for c in db.scalars(select(SchoolClass)) for s in c.student_ids}
        return sorted((s.student_no, *(getattr(s, f) or "" for f in FIELDS),
                       classes.get(s.id, "")) for s in db.scalars(select(Student)))


def export(client, path, data):
    token = csrf_of(client.get("/exports/").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def test_the_roster_exported_imports_into_a_fresh_instance_as_the_same_students(
        app, add_staff, app_factory):
    client = signed_in(app, add_staff, "aca", ("ACA",))
    ids = school(app)
    r = export(client, "/exports/roster", {"purpose": "迁移到新校区系统", "format": "xlsx"})
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    assert r.headers["Cache-Control"] == "no-store"
    before = everything(app)

    entry = list(app.extensions["handover"].ledger.entries(action="export.roster"))[-1]
    assert (entry.actor, entry.reason) == ("aca", "迁移到新校区系统")  # a read with its purpose
    assert sorted(entry.context["ids"]) == sorted(ids) and entry.context["format"] == "xlsx"
    assert "欧阳明月" not in json.dumps(entry.context, ensure_ascii=False)

    fresh = app_factory("fresh")  # another school's instance: its own keys and database
    login, password = _add_staff(fresh, {}, "aca", depts=("ACA",))
    with fresh.extensions["handover"].session_factory() as db:
        aca = fresh.extensions["handover"].accounts(db).get("aca")
        Classes(db, audit=fresh.extensions["handover"].ledger).create(aca, "三年级英语A班",
                                                                      "少儿英语")
        db.commit()
    other = fresh.test_client()
    sign_in(other, login, password)
    html = upload(other, r.data, "名册.xlsx").get_data(as_text=True)
    assert 'id="import-preview"' in html and 'id="import-report"' not in html
    pending = html.split('name="pending" value="')[1].split('"')[0]
    done = post_form(other, "/students/import", {"pending": pending, "action": "import"})
    assert "已导入 2 名学生" in done.get_data(as_text=True)
    assert everything(fresh) == before
    # the series moved past the kept numbers: the next student gets a new one
    with fresh.extensions["handover"].session_factory() as db:
        new = fresh.extensions["handover"].students(db).add(
            StudentInput("新同学", "男", "2016-01-01", guardian_phone="13900003333"),
            actor_id=None, actor="t")
        db.commit()
        assert new.student_no not in {row[0] for row in before}


def test_no_purpose_no_export_and_nothing_recorded(app, add_staff):
    client = signed_in(app, add_staff, "enr", ("ENR",))
    for purpose in ("", " ", "联系家长 13900001111"):
        r = export(client, "/exports/roster", {"purpose": purpose, "format": "csv"})
        assert r.status_code == 400, purpose
        assert 'id="roster-problem"' in r.get_data(as_text=True)
    assert list(app.extensions["handover"].ledger.entries(action="export.roster")) == []


def test_who_may_export_what(app, add_staff):
    tea = signed_in(app, add_staff, "tea", ("TEA",))
    page = tea.get("/exports/")
    assert page.status_code == 200 and 'id="no-exports"' in page.get_data(as_text=True)
    for path in ("/exports/roster", "/exports/register", "/exports/loans", "/exports/audit",
                 "/exports/figures"):
        assert export(tea, path, {"purpose": "看看", "format": "csv"}).status_code == 403, path
    enr = signed_in(app, add_staff, "enr", ("ENR",))
    html = enr.get("/exports/").get_data(as_text=True)
    assert 'id="export-roster"' in html and 'id="export-register"' not in html
    assert export(enr, "/exports/register", {"purpose": "盘点", "format": "pdf"}).status_code == 403
    assert list(app.extensions["handover"].ledger.entries(action="export.register")) == []


def test_the_registers_print_as_pdf_and_tables(app, add_staff):
    arc = signed_in(app, add_staff, "arc", ("ARC",))
    pdf = export(arc, "/exports/register", {"purpose": "年度档案盘点", "format": "pdf"})
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    loans = export(arc, "/exports/loans", {"purpose": "年度档案盘点", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(loans.data)).active
    assert [c.value for c in sheet[1]][:3] == ["登记编号", "档案编号", "类型"]
    kinds = [e.action for e in app.extensions["handover"].ledger.entries(actor="arc")
             if e.action.startswith("export.")]
    assert kinds == ["export.register", "export.loans"]


def test_an_audit_extract_neutralises_formulas_and_speaks_json_lines(app, add_staff):
    enr = signed_in(app, add_staff, "enr", ("ENR",))
    school_purpose = "=HYPERLINK(\"http://x\",\"点我\")"
    assert export(enr, "/exports/roster", {"purpose": school_purpose,
                                           "format": "csv"}).status_code == 200
    sup = signed_in(app, add_staff, "sup", ("SUP",))
    r = export(sup, "/exports/audit", {"purpose": "季度审计", "format": "csv"})
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    reasons = [row[6] for row in rows[1:] if row[3] == "export.roster"]
    assert reasons == ["'" + school_purpose]  # plain text in Excel, never a formula
    x = export(sup, "/exports/audit", {"purpose": "季度审计", "format": "xlsx"})
    cells = [c.value for row in load_workbook(io.BytesIO(x.data)).active for c in row]
    assert "'" + school_purpose in cells and school_purpose not in cells
    j = export(sup, "/exports/audit", {"purpose": "季度审计", "format": "jsonl"})
    lines = [json.loads(line) for line in j.data.decode().splitlines()]
    assert any(line["事由"] == school_purpose for line in lines)  # JSON: the value as it is
    assert count_students(app) == 0
