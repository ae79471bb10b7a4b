"""Imports in the shapes schools have (issue 16), each file made with openpyxl or written as
Excel writes CSV: a merged title row with the headers on row 3, a 学号 column kept in the
school's format, a 班级 column that puts students in classes, 课程 checked against the class,
note rows, Excel serial dates and every date spelling, day-first dates refused, an ID number
that Excel turned into 3.10105E+17 in a CSV, a 学号 taken or repeated refused by row, a
column mapping chosen on the preview, and the staff list read the same way."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from records.class_registry import Classes
from records.classes import SchoolClass
from records.staff_import import KNOWN_HEADERS as STAFF_HEADERS
from records.staff_import import plan_staff_import
from records.student_import import (
    AMBIGUOUS_DATE,
    COURSE_NOT_KEPT,
    LOST_DIGITS,
    apply_import,
    plan_import,
    read_table_bytes,
)
from records.students import Student, StudentInput

HEADERS = ["学号", "姓名", "性别", "出生日期", "监护人", "监护人电话", "班级", "课程"]


@pytest.fixture
def world(app, add_staff):
    """aca and enr, one class, one registered student (学号 S2026001); yields what a test needs."""
    add_staff("aca", depts=("ACA",))
    add_staff("enr", depts=("ENR",))
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        staff = {s.login: s for s in svc.accounts(db).list()}
        classes = Classes(db, audit=svc.ledger)
        english = classes.create(staff["aca"], "三年级英语A班", "少儿英语")
        students = svc.students(db)
        students.add(StudentInput("已登记", "女", "2014-01-01", guardian_phone="13900000000"),
                     actor_id=None, actor="t", student_no="S2026001")
        db.commit()
        yield db, students, classes, staff, english


def xlsx(rows, merge: str | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def school_sheet(*data) -> bytes:
    """A title merged across the columns on row 1, a date line on row 2, headers on row 3."""
    return xlsx([["启明培训学校 2026 年春季学生名单"] + [None] * 7,
                 ["制表日期：2026-03-01"], HEADERS, *data,
                 ["注：学号为本校编号，班级须已建立。"]], merge="A1:H1")


def test_a_school_sheet_with_a_title_headers_on_row_3_numbers_and_classes(world):
    db, students, classes, staff, english = world
    table = read_table_bytes(school_sheet(
        ["S2026101", "周一", "男", "2015-03-12", "周父", "13800000001", "三年级英语A班",
         "少儿英语"],
        ["S2026102", "吴二", "女", "2015/4/1", "吴母", "13800000002", None, None]), ".xlsx")
    assert table.header_row == 3 and table.skipped == (1, 2, 6)  # title, date line, note
    plan = plan_import(table, students)
    assert plan.problems == () and [n for n, _ in plan.good] == [4, 5]
    assert plan.notes == (COURSE_NOT_KEPT,)  # 课程 is no field of its own: said so
    result = apply_import(plan, students, only_good_rows=False, actor="aca",
                          classes=classes, staff=staff["aca"])
    db.commit()
    assert result.imported == ((4, "S2026101"), (5, "S2026102"))  # the school's numbers kept
    zhou = db.query(Student).filter_by(student_no="S2026101").one()
    assert db.get(SchoolClass, english.id).student_ids == [zhou.id]


def test_student_numbers_taken_repeated_or_malformed_are_refused_by_row(world):
    db, students, classes, staff, _ = world
    table = read_table_bytes(school_sheet(
        ["S2026001", "甲", "男", "2015-01-01", "父", "13800000011", None, None],  # taken
        ["S2026201", "乙", "男", "2015-01-02", "父", "13800000012", None, None],
        ["S2026201", "丙", "男", "2015-01-03", "父", "13800000013", None, None],  # repeated
        ["XS-9", "丁", "男", "2015-01-04", "父", "13800000014", None, None],  # wrong format
        ["S2026202", "戊", "男", "2015-01-05", "父", "13800000015", "没有的班", None],
        ["S2026203", "己", "男", "2015-01-06", "父", "13800000016", "三年级英语A班", "编程"]),
        ".xlsx")
    plan = plan_import(table, students, number_pattern=r"S\d{7}")
    assert [(p.row, p.column, p.message_zh) for p in plan.problems] == [
        (4, "学号", "该学号已被登记。"),
        (6, "学号", "与第 5 行的学号重复。"),
        (7, "学号", "学号不符合本校的学号格式（S\\d{7}）。"),
        (8, "班级", "没有这个班级：请先在“班级”页建立，或核对班级名称。"),
        (9, "课程", "课程与该班级的课程（少儿英语）不一致。"),
    ]
    assert not apply_import(plan, students, only_good_rows=False, actor="aca").imported
    result = apply_import(plan, students, only_good_rows=True, actor="aca", classes=classes,
                          staff=staff["aca"])  # the good rows go in, the others stay out
    db.commit()
    assert result.imported == ((5, "S2026201"),)


def test_only_academic_affairs_puts_students_in_classes(world):
    db, students, classes, staff, _ = world
    table = read_table_bytes(school_sheet(
        ["", "甲", "男", "2015-01-01", "父", "13800000011", "三年级英语A班", None]), ".xlsx")
    plan = plan_import(table, students, may_assign_classes=False)  # enr: policy R-ACA
    assert [(p.row, p.column) for p in plan.problems] == [(4, "班级")]
    assert "R-ACA" in plan.problems[0].message_zh


def test_a_serial_date_in_a_general_cell(world):
    _, students, *_ = world
    table = read_table_bytes(xlsx([["姓名", "出生日期", "监护人电话"],
                                   ["甲", 42075, "13800000001"]]), ".xlsx")  # Excel: 2015-03-12
    plan = plan_import(table, students)
    assert plan.problems == () and plan.good[0][1].birth_date == "2015-03-12"


@pytest.mark.parametrize("written", ["2015-03-12", "2015/3/12", "2015.3.12", "2015年3月12日",
                                     "2015 年 3 月 12 日"])
def test_each_date_spelling_schools_use(world, written):
    _, students, *_ = world
    data = f"姓名,出生日期,监护人电话\n甲,{written},13800000001\n".encode()
    plan = plan_import(read_table_bytes(data, ".csv"), students)
    assert plan.problems == () and plan.good[0][1].birth_date == "2015-03-12"


@pytest.mark.parametrize("written", ["12/03/2015", "3/12/2015", "12.03.2015", "12-3-15"])
def test_a_day_first_date_is_refused_with_its_reason(world, written):
    _, students, *_ = world
    data = f"姓名,出生日期,监护人电话\n甲,{written},13800000001\n".encode()
    plan = plan_import(read_table_bytes(data, ".csv"), students)
    assert [(p.row, p.column, p.message_zh) for p in plan.problems] == [
        (2, "出生日期", AMBIGUOUS_DATE)]


def test_an_id_number_in_scientific_notation_is_explained_in_csv_as_in_xlsx(world):
    _, students, *_ = world
    csv_data = "姓名,身份证号,监护人电话\n甲,3.10105E+17,13800000001\n".encode("gb18030")
    book = xlsx([["姓名", "身份证号", "监护人电话"], ["甲", 3.10105201503120e17, "13800000001"]])
    for data, suffix in ((csv_data, ".csv"), (book, ".xlsx")):
        plan = plan_import(read_table_bytes(data, suffix), students)
        assert [(p.row, p.column, p.message_zh) for p in plan.problems] == [
            (2, "身份证号", LOST_DIGITS)], suffix
        assert "3.10105E+17" not in LOST_DIGITS.replace("（如 3.10105E+17）", "")


def test_a_mapping_chosen_on_the_preview_replaces_the_headers(world):
    _, students, *_ = world
    table = read_table_bytes("学生,电话号码,备用\n甲,13800000001,x\n".encode(), ".csv")
    assert {p.column for p in plan_import(table, students).problems} >= {"学生", "电话号码"}
    plan = plan_import(table, students, mapping={0: "name", 1: "guardian_phone"})
    assert plan.problems == () and plan.good[0][1].guardian_phone == "13800000001"


def test_staff_lists_are_read_the_same_way(world, app):
    svc = app.extensions["handover"]
    data = xlsx([["2026 年新教师名单"], [], ["登录名", "姓 名", "部门"],
                 ["newt", "新老师", "教学部"]], merge="A1:C1")
    table = read_table_bytes(data, ".xlsx", known=STAFF_HEADERS)
    with svc.session_factory() as db:
        rows, problems = plan_staff_import(table, svc.accounts(db))
    assert problems == [] and [(r.row, r.login) for r in rows] == [(4, "newt")]
