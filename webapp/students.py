"""Pages of the student registry: the list (with 学号 search and a phone lookup that never
lands in a URL), a student's details with the handovers about them, the add form and the
spreadsheet import. Every view of private fields is recorded in the ledger (policy C2, C3)."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import Select, exists, select
from sqlalchemy.orm import load_only

from records import listing, student_lookup
from records.catalogue import KINDS
from records.clock import utcnow
from records.departments import Department
from records.errors import Conflict, NotFound
from records.handovers import Status
from records.student_import import (
    COLUMNS,
    HEADER_OF,
    ImportFileRejected,
    apply_import,
    plan_import,
    read_table_bytes,
)
from records.students import FIELD_CATEGORY, Student, StudentInput, mobile_number
from records.visibility import (
    sees_whole_registry,
    shown_categories,
    visible_among,
    visible_students,
)
from records.work_categories import work_categories
from vault import PrivateCategory
from webapp import services
from webapp.db import get_db
from webapp.paging import page_number

__all__ = ["bp", "mask_phone"]

bp = Blueprint("students", __name__, url_prefix="/students")

PAGE_SIZE = 50
HANDOVERS_PER_PAGE = 20  # the handovers about one student, newest first
# What the list shows of each student: only these columns are read and decrypted.
LISTED = (Student.id, Student.student_no, Student.name, Student.gender, Student.guardian_phone)
IMPORT_SUFFIXES = (".csv", ".xlsx", ".txt")
PENDING_KEY = "student_import"
REGISTRY_ONLY = "只有招生部和教务部可以登记或导入学生（制度 R-ENR、R-ACA）。"
NO_PHONE_LOOKUP = "您的工作范围不包括学生的联系方式，不能按手机号查找学生（制度 C1、C2）。"
# The add form, in screen order: (StudentInput field, input type).
FORM_FIELDS = (("name", "text"), ("gender", "select"), ("birth_date", "date"),
               ("phone", "tel"), ("guardian_name", "text"), ("guardian_phone", "tel"),
               ("id_number", "text"), ("address", "text"), ("health_notes", "textarea"))


def mask_phone(phone: str | None) -> str:
    """138****5678: enough to tell numbers apart on a list, not enough to call (policy C2)."""
    if not phone:
        return "—"
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else "****"


def _me():
    return current_user.staff


def _require_registry() -> None:
    if not sees_whole_registry(_me()):
        abort(403, description=REGISTRY_ONLY)


# -- the list ----------------------------------------------------------------------------


def _listing(scope: Select | None, query: str, page: int) -> tuple[list[Student], bool]:
    # only the columns the list shows are read (and decrypted), policy C2
    stmt = select(Student).options(load_only(*LISTED)).order_by(Student.student_no)
    if scope is not None:
        stmt = stmt.where(Student.id.in_(scope))
    if query:
        stmt = stmt.where(Student.student_no.contains(query.upper(), autoescape=True))
    rows = list(get_db().scalars(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def _record_list(students, via: str, reason: str = "学生名单") -> None:
    # policy C3: one ledger entry per page that shows private fields; ids only (policy C2).
    if students:
        services().ledger.append(actor=_me().login, action="student.list", reason=reason,
                                 context={"ids": [s.id for s in students], "via": via})


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    scope = visible_students(_me())
    sees_nobody = scope is not None and get_db().scalar(select(~exists(scope)))
    query = request.args.get("q", "").strip()[:32]
    page = page_number()
    phone_error, more, via = None, False, "list"
    shown = work_categories(_me())  # policy C2: what of a student this kind of work opens
    if request.method == "POST":  # phone lookup: the number travels in the body only
        if PrivateCategory.CONTACT not in shown:  # policy C1: no reverse lookup without it
            abort(403, description=NO_PHONE_LOOKUP)
        phone = mobile_number(request.form.get("phone", ""))
        students, via = [], "phone"
        if phone is None:
            phone_error = "请输入完整的 11 位手机号码。"
        else:
            found = services().students(get_db()).find_by_phone(phone)
            mine = visible_among(get_db(), _me(), [s.id for s in found])
            students = [s for s in found if s.id in mine]
    elif sees_nobody:
        students = []
    else:
        students, more = _listing(scope, query, page)
        via = "search" if query else "list"
    _record_list(students, via)
    return render_template(
        "students/index.html", students=students, query=query, page=page, more=more,
        via=via, phone_error=phone_error, whole_registry=scope is None,
        sees_nobody=sees_nobody, mask_phone=mask_phone, shown={c.value for c in shown},
        may_find_by_phone=PrivateCategory.CONTACT in shown,
    ), 400 if phone_error else 200


@bp.post("/lookup")
@login_required
def lookup():
    """Students to pick while typing (the handover form's student fields): at most
    student_lookup.LIMIT, by 学号 or by name, of those the viewer's own work shows. POSTed,
    like a search: what is typed may be a name, which must not land in a URL or a log."""
    text = request.form.get("q", "")
    found, more = student_lookup.lookup(get_db(), _me(), text, index=services().search_index)
    _record_list(found, "picker", "交接表单：选择学生")
    response = jsonify(students=[p.as_dict() for p in found], more=more,
                       short=not found and student_lookup.too_short(text))
    response.headers["Cache-Control"] = "no-store"
    return response


# -- one student -------------------------------------------------------------------------


@bp.route("/<int:student_id>")
@login_required
def detail(student_id: int):
    me = _me()
    own = bool(visible_among(get_db(), me, [student_id]))
    shown = shown_categories(me, student_id, own=own)  # policy C1, C2, C3
    if not shown:
        raise NotFound("学生", str(student_id))  # policy C1: no hint that the student exists
    approvals = sorted(g.approval_id for g in me.approval_grants if student_id in g.student_ids)
    student = services().students(get_db()).get(
        student_id, actor=me.login, reason="查看学生详情" if own else "依据审批查看学生信息",
        context=None if own else {"approval": approvals[0]})
    fields = {f: label for f, label in HEADER_OF.items()
              if f not in FIELD_CATEGORY or FIELD_CATEGORY[f] in shown}
    handovers = listing.about_student(get_db(), me, student_id, utcnow(),
                                      calendar=services().calendar)
    return render_template(
        "students/detail.html", student=student, fields=fields,
        show_name=PrivateCategory.NAME in shown,
        under_approvals=None if own else approvals,
        handovers=handovers.page(page_number(), HANDOVERS_PER_PAGE), kinds=KINDS,
        Status=Status, Department=Department, can_register=sees_whole_registry(me))


# -- adding ------------------------------------------------------------------------------


def _form_input() -> StudentInput:
    return StudentInput(**{name: request.form.get(name, "").strip() for name, _ in FORM_FIELDS})


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    _require_registry()
    data, problems, duplicate, status = StudentInput(""), {}, None, 200
    if request.method == "POST":
        data = _form_input()
        problems = {p.field: p.message_zh for p in data.problems()}
        students = services().students(get_db())
        if problems:
            status = 400
        else:
            try:
                student = students.add(data, actor_id=_me().id, actor=_me().login)
            except Conflict as exc:
                duplicate, status = (exc.message_zh, students.find_duplicate(data)), 409
            else:
                flash(f"已登记学生，学号 {student.student_no}。", "success")
                return redirect(url_for("students.detail", student_id=student.id))
    return render_template("students/new.html", data=data, problems=problems,
                           duplicate=duplicate, fields=FORM_FIELDS, labels=HEADER_OF), status


# -- importing ---------------------------------------------------------------------------


def _upload() -> tuple[bytes, str, str | None]:
    """The file to check: a new upload, or the one kept in the vault since the first step."""
    upload = request.files.get("file")
    if upload and upload.filename:
        suffix = Path(upload.filename).suffix.lower()
        return upload.read(), suffix if suffix in IMPORT_SUFFIXES else ".unknown", None
    pending, object_id = session.get(PENDING_KEY), request.form.get("pending", "")
    if not pending or pending.get("object") != object_id:  # only this session's own upload
        abort(400, description="请选择要导入的文件（上一次上传的文件已失效，请重新上传）。")
    data = services().vault.get(object_id, actor=_me().login, reason="学生导入：确认导入")
    return data, pending["suffix"], object_id


def _import_page(**context):
    context = {"result": None, "error": None, "pending": None, **context}
    return render_template("students/import.html", columns=list(COLUMNS), **context)


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_():
    _require_registry()
    if request.method == "GET":
        return _import_page()
    data, suffix, object_id = _upload()
    try:
        table = read_table_bytes(data, suffix)
    except ImportFileRejected as exc:
        return _import_page(error=exc.message_zh), 400
    students = services().students(get_db())
    plan = plan_import(table, students)
    good_only = object_id is not None and request.form.get("good_rows_only") == "1"
    result = apply_import(plan, students, only_good_rows=good_only, actor=_me().login,
                          actor_id=_me().id)
    can_retry = result.refused and plan.good and not plan.header_problems
    if can_retry and object_id is None:  # keep the file, encrypted, for the second step
        object_id = services().vault.put(data, actor=_me().login, reason="学生导入：待确认",
                                         context={"rows": len(table.rows)})
        session[PENDING_KEY] = {"object": object_id, "suffix": suffix}
    if result.imported:
        session.pop(PENDING_KEY, None)
    return _import_page(result=result, plan=plan, pending=object_id if can_retry else None)


@bp.route("/import/template.csv")
@login_required
def import_template():
    body = "\ufeff" + ",".join(COLUMNS) + "\r\n"  # a BOM so that Excel reads it as UTF-8
    return Response(body.encode("utf-8"), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=student-import-template.csv; "
                               "filename*=UTF-8''%E5%AD%A6%E7%94%9F%E5%AF%BC%E5%85%A5%E6%A8%A1"
                               "%E6%9D%BF.csv"})
