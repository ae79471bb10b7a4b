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
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import Select, exists, select
from sqlalchemy.orm import load_only

from records import import_uploads, listing, student_lookup
from records.catalogue import KINDS
from records.class_registry import Classes
from records.clock import utcnow
from records.departments import Department
from records.errors import Conflict, NotFound
from records.handovers import Status
from records.import_template import XLSX_TYPE, template_xlsx
from records.student_import import (
    COLUMNS,
    EXTRA_COLUMNS,
    FIELD_LABELS,
    HEADER_OF,
    ImportFileRejected,
    ImportPlan,
    ImportResult,
    Table,
    apply_import,
    header_mapping,
    plan_import,
    read_table_bytes,
    understood,
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

__all__ = ["bp", "import_for", "mask_phone", "plan_for"]

bp = Blueprint("students", __name__, url_prefix="/students")

PAGE_SIZE = 50
HANDOVERS_PER_PAGE = 20  # the handovers about one student, newest first
# What the list shows of each student: only these columns are read and decrypted.
LISTED = (Student.id, Student.student_no, Student.name, Student.gender, Student.guardian_phone)
IMPORT_SUFFIXES = (".csv", ".xlsx", ".txt")
PREVIEW_ROWS = 10  # rows of a file shown as understood before its import
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


def plan_for(staff, table: Table, mapping: dict[int, str] | None = None) -> ImportPlan:
    """The import plan as `staff` may carry it out: the school's 学号 format, and a 班级
    column only for those who may group students (policy R-ACA)."""
    return plan_import(table, services().students(get_db()), mapping=mapping,
                       number_pattern=services().settings["STUDENT_NUMBER_PATTERN"] or None,
                       may_assign_classes=Classes.may_manage(staff))


def import_for(staff, plan: ImportPlan, *, only_good_rows: bool) -> ImportResult:
    return apply_import(plan, services().students(get_db()), only_good_rows=only_good_rows,
                        actor=staff.login, actor_id=staff.id,
                        classes=services().classes(get_db()), staff=staff)


def _mapping(columns: int) -> dict[int, str] | None:
    """The column mapping chosen on the preview page (map_<index> = field or "")."""
    if "mapped" not in request.form:
        return None
    out = {}
    for index in range(columns):
        field = request.form.get(f"map_{index}", "")
        if field:
            if field not in FIELD_LABELS:
                abort(400, description="列的对应内容无效，请重新选择。")
            out[index] = field
    return out


def _import_page(**context):
    context = {"result": None, "error": None, "pending": None, "plan": None, "table": None,
               "mapping": {}, "preview": [], **context}
    return render_template("students/import.html", columns=list(COLUMNS),
                           extra_columns=list(EXTRA_COLUMNS), labels=FIELD_LABELS,
                           kept_minutes=import_uploads.KEPT_MINUTES, **context)


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_():
    """Upload, then a preview (the first rows as read, the column mapping to change), then
    the import; the file waits encrypted in the vault in between (records.import_uploads)."""
    _require_registry()
    me, now = _me(), utcnow()
    import_uploads.sweep(get_db(), services().vault, now=now)
    if request.method == "GET":
        get_db().commit()
        return _import_page()
    upload = request.files.get("file")
    if upload and upload.filename:
        suffix = Path(upload.filename).suffix.lower()
        data, suffix = upload.read(), suffix if suffix in IMPORT_SUFFIXES else ".unknown"
        object_id = None
    else:
        object_id = request.form.get("pending", "")
        kept = import_uploads.take(get_db(), services().vault, object_id, staff_id=me.id,
                                   actor=me.login, now=now)
        if kept is None:  # only one's own upload, while it is kept
            abort(400, description="请选择要导入的文件（上一次上传的文件已失效，请重新上传）。")
        data, suffix = kept
    try:
        table = read_table_bytes(data, suffix)
    except ImportFileRejected as exc:
        get_db().commit()
        return _import_page(error=exc.message_zh), 400
    mapping = _mapping(len(table.headers))
    plan = plan_for(me, table, mapping)
    chosen = header_mapping(table.headers) if mapping is None else mapping
    if object_id is None:  # a new upload: kept encrypted, previewed, nothing imported yet
        object_id = import_uploads.keep(get_db(), services().vault, data, suffix,
                                        staff_id=me.id, actor=me.login, now=now)
        get_db().commit()
        return _import_page(plan=plan, table=table, pending=object_id, mapping=chosen,
                            preview=understood(table, chosen, PREVIEW_ROWS, plan.problems))
    if request.form.get("action") == "preview":
        get_db().commit()
        return _import_page(plan=plan, table=table, pending=object_id, mapping=chosen,
                            preview=understood(table, chosen, PREVIEW_ROWS, plan.problems))
    result = import_for(me, plan, only_good_rows=request.form.get("good_rows_only") == "1")
    if result.imported:
        import_uploads.drop(get_db(), services().vault, object_id, staff_id=me.id,
                            actor=me.login)
    get_db().commit()
    return _import_page(result=result, plan=plan, table=table, mapping=chosen,
                        pending=None if result.imported else object_id,
                        preview=[] if result.imported else understood(
                            table, chosen, PREVIEW_ROWS, plan.problems))


@bp.post("/import/abandon")
@login_required
def import_abandon():
    """Give up a previewed import: the kept file is discarded at once."""
    _require_registry()
    import_uploads.drop(get_db(), services().vault, request.form.get("pending", ""),
                        staff_id=_me().id, actor=_me().login)
    get_db().commit()
    flash("已放弃本次导入，上传的文件已删除。", "success")
    return redirect(url_for("students.import_"))


def _attachment(data: bytes, mimetype: str, ascii_name: str, chinese_name: str) -> Response:
    from urllib.parse import quote

    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename={ascii_name}; "
                               f"filename*=UTF-8''{quote(chinese_name)}"})


@bp.route("/import/template.csv")
@login_required
def import_template():
    body = "\ufeff" + ",".join(COLUMNS) + "\r\n"  # a BOM so that Excel reads it as UTF-8
    return _attachment(body.encode("utf-8"), "text/csv", "student-import-template.csv",
                       "学生导入模板.csv")


@bp.route("/import/template.xlsx")
@login_required
def import_template_xlsx():
    """The template as a workbook whose cells check themselves (Excel data validation)."""
    classes = [c.name for c in services().classes(get_db()).every() if c.active]
    return _attachment(template_xlsx(classes), XLSX_TYPE, "student-import-template.xlsx",
                       "学生导入模板.xlsx")
