"""The students of the API: the list the token's owner may see (as the students page shows
it: 学号, and of the private fields only the name and gender where the owner's work shows
them, policy C1, C2), registering a student and correcting one (the registry departments,
policy R-ENR, R-ACA), both through records.students' validation."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import load_only

from records.api_tokens import Scope
from records.errors import PermissionDenied
from records.students import Student, StudentInput
from records.visibility import sees_whole_registry, visible_students
from records.work_categories import work_categories
from vault import PrivateCategory
from webapp import services
from webapp.api import body, me, operation, paged, paging
from webapp.db import get_db

__all__: list[str] = []

INPUT_FIELDS = tuple(f for f in StudentInput.__dataclass_fields__)
STUDENT = {"type": "object", "required": ["id", "student_no"], "properties": {
    "id": {"type": "integer"}, "student_no": {"type": "string"},
    "name": {"type": "string", "description": "only where the owner's work shows names"},
    "gender": {"type": ["string", "null"]}}}
STUDENT_INPUT = {"type": "object", "additionalProperties": False,
                 "properties": {f: {"type": "string", "maxLength": 500} for f in INPUT_FIELDS}}
PAGE_QUERY = (("page", {"type": "integer", "minimum": 1}),
              ("per_page", {"type": "integer", "minimum": 1, "maximum": 100}))


def list_of(item: dict) -> dict:
    return {"type": "object", "required": ["items", "total", "page", "per_page", "next"],
            "properties": {"items": {"type": "array", "items": item},
                           "total": {"type": "integer"}, "page": {"type": "integer"},
                           "per_page": {"type": "integer"},
                           "next": {"type": ["string", "null"]}}}


def _shown(student: Student, shown) -> dict:
    out = {"id": student.id, "student_no": student.student_no}
    if PrivateCategory.NAME in shown:
        out["name"] = student.name
    if PrivateCategory.GENDER in shown:
        out["gender"] = student.gender
    return out


@operation("/students", "GET", scope=Scope.READ, summary="学生名单（按令牌所属人员的可见范围）",
           query=PAGE_QUERY, response=list_of(STUDENT))
def students_list():
    page, per_page = paging()
    scope, db = visible_students(me()), get_db()
    where = () if scope is None else (Student.id.in_(scope),)
    total = db.scalar(select(func.count(Student.id)).where(*where))
    shown = work_categories(me())  # policy C2: what of a student this kind of work opens
    # only the columns shown are read, and so decrypted (policy C2)
    columns = [Student.id, Student.student_no] + [
        getattr(Student, f) for f, c in (("name", PrivateCategory.NAME),
                                         ("gender", PrivateCategory.GENDER)) if c in shown]
    rows = list(db.scalars(select(Student).options(load_only(*columns)).where(*where)
                           .order_by(Student.student_no)
                           .offset((page - 1) * per_page).limit(per_page)))
    if rows and shown & {PrivateCategory.NAME, PrivateCategory.GENDER}:
        # policy C3: a page that shows private fields is a recorded read, ids only
        services().ledger.append(actor=me().login, action="student.list", reason="接口：学生名单",
                                 context={"ids": [s.id for s in rows], "via": "api"})
    return paged([_shown(s, shown) for s in rows], total, page, per_page)


def _require_registry() -> None:
    if not sees_whole_registry(me()):
        raise PermissionDenied(me().login, "student.add",
                               "只有招生部和教务部可以登记或修改学生（制度 R-ENR、R-ACA）。")


@operation("/students", "POST", scope=Scope.STUDENTS_WRITE, summary="登记学生",
           request_schema={**STUDENT_INPUT, "required": ["name"]},
           response={"type": "object", "properties": {"id": {"type": "integer"},
                                                      "student_no": {"type": "string"}}},
           status=201)
def students_create():
    data = body(dict.fromkeys(INPUT_FIELDS, str))
    _require_registry()
    student = services().students(get_db()).add(
        StudentInput(**{"name": "", **{k: v.strip() for k, v in data.items()}}),
        actor_id=me().id, actor=me().login)
    return {"id": student.id, "student_no": student.student_no}, 201


@operation("/students/<int:student_id>", "PATCH", scope=Scope.STUDENTS_WRITE,
           summary="更正学生信息（只需给出要改的字段）", request_schema=STUDENT_INPUT,
           response={"type": "object", "properties": {"id": {"type": "integer"},
                                                      "student_no": {"type": "string"}}})
def students_update(student_id: int):
    data = body(dict.fromkeys(INPUT_FIELDS, str))
    _require_registry()
    student = services().students(get_db()).update(
        student_id, {k: v.strip() for k, v in data.items()}, actor=me().login)
    return {"id": student.id, "student_no": student.student_no}
