"""Pages of the archive office (档案, policy R-ARC, F8): the register with search and filters, a
file's page (details, loans, digital consult, corrections), hand registration, the lend form, a
loan's page with return and renew, and the overdue list. Who may do what is decided in
records.archive_rules; these views only ask.

The search box is POSTed and answered directly: a title may name a student, and a name must not
end up in a URL (policy C2). Filters are codes and go in the query string."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select

from records import staff_lookup
from records.archive import PURPOSES, RETURN_CONDITIONS, LoanKind, Retention, Security
from records.archive_rules import MANAGE_DENIED, may_approve, may_manage, sees_overdue
from records.errors import (
    AuthenticationFailed,
    Conflict,
    FieldProblem,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from records.staff import Staff
from signing import SigningError
from webapp import services
from webapp.db import get_db

__all__ = ["bp"]

bp = Blueprint("archive", __name__, url_prefix="/archive")

MATERIAL_HELP = "每行一项：类别|材料名称|页数，例如 成绩报告单|2025 秋季成绩单|2"


def _me() -> Staff:
    return current_user.staff


def _register():
    return services().archive_register(get_db())


def _loans():
    return services().archive_loans(get_db())


def _require_manager() -> None:
    if not may_manage(_me()):
        raise PermissionDenied(_me().login, "archive.manage", MANAGE_DENIED)


def _pdf(data: bytes, name: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename={name}"
    response.headers["Cache-Control"] = "no-store"  # a copy names its viewer: never cached
    return response


def _problems(exc: ValidationFailed) -> dict[str, str]:
    return {p.field: p.message_zh for p in exc.problems}


# -- the register ------------------------------------------------------------------------


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    me = _me()
    mine = _loans().mine(me)
    if not may_manage(me):  # everyone else sees their own loans only (policy R-ARC, C1)
        return render_template("archive/index.html", files=None, mine=mine, query="",
                               can_manage=False, sees_overdue=sees_overdue(me),
                               today=_loans().today())
    query = request.form.get("q", "").strip()[:100]
    security, retention = request.args.get("security", ""), request.args.get("retention", "")
    files = _register().listing(me, query=query, security=security, retention=retention)
    return render_template("archive/index.html", files=files, mine=mine, query=query,
                           security=security, retention=retention, on_loan=_loans().files_out(),
                           can_manage=True, sees_overdue=True, Security=Security,
                           today=_loans().today(),
                           Retention=Retention)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    _require_manager()
    form = {k: request.form.get(k, "").strip() for k in (
        "title", "student_nos", "materials", "filed_on", "retention", "security", "location")}
    problems, status = {}, 200
    if request.method == "POST":
        try:
            file = _register_by_hand(form)
        except ValidationFailed as exc:
            get_db().rollback()
            problems, status = _problems(exc), 400
        else:
            flash(f"已登记档案 {file.number}。", "success")
            return redirect(url_for("archive.detail", number=file.number))
    return render_template("archive/new.html", form=form, problems=problems,
                           Security=Security, Retention=Retention,
                           material_help=MATERIAL_HELP), status


def _register_by_hand(form: dict[str, str]):
    problems = []
    try:
        filed_on = date.fromisoformat(form["filed_on"])
    except ValueError:
        filed_on = date.today()
        problems.append(FieldProblem("filed_on", "归档日期应为 YYYY-MM-DD 格式的有效日期。"))
    materials = []
    for i, line in enumerate(form["materials"].splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("｜", "|").split("|")]
        if len(parts) != 3 or not parts[2].isdigit():
            problems.append(FieldProblem("materials", f"第 {i} 行格式应为：类别|材料名称|页数。"))
            break
        materials.append({"category": parts[0], "title": parts[1], "pages": int(parts[2])})
    numbers = form["student_nos"].replace("，", " ").replace(",", " ").split()
    try:
        student_ids = services().classes(get_db()).student_ids_by_number(numbers)
    except ValidationFailed as exc:
        problems += [FieldProblem("student_nos", p.message_zh) for p in exc.problems]
        student_ids = []
    register = _register()
    fields = dict(title=form["title"], location=form["location"],
                  retention=form["retention"], security=form["security"])
    if problems:
        raise ValidationFailed(problems + register.problems(**fields))
    return register.register_by_hand(_me(), student_ids=student_ids, materials=materials,
                                     filed_on=filed_on, **fields)


@bp.route("/<number>")
@login_required
def detail(number: str):
    return _detail_page(number)


def _detail_page(number: str, problems: dict | None = None, status: int = 200):
    register = _register()
    file = register.get(_me(), number)  # NotFound (404) unless the archive office (C1)
    handover = register.handover_of(file)
    return render_template(
        "archive/detail.html", f=file, students=register.students_of(_me(), file),
        materials=register.materials(file), loans=_loans().of_file(file), handover=handover,
        purposes=PURPOSES, problems=problems or {}, Security=Security, Retention=Retention,
        today=_loans().today()), status


@bp.route("/<number>/correct", methods=["POST"])
@login_required
def correct(number: str):
    _require_manager()
    register = _register()
    file = register.get(_me(), number)
    return _submitted(lambda: register.correct(
        _me(), file, reason=request.form.get("reason", ""),
        location=request.form.get("location") or None,
        security=request.form.get("security") or None,
        retention=request.form.get("retention") or None),
        _detail_page, "archive.detail", number, lambda _: "已更正，更正记录已保留。")


def _submitted(action, page, endpoint: str, number: str, done) -> Response:
    """Run a form's action: its problems re-show `page` with a 400 and nothing written;
    success flashes `done(result)` and redirects to `endpoint`."""
    try:
        result = action()
    except ValidationFailed as exc:
        get_db().rollback()
        return page(number, _problems(exc), 400)
    flash(done(result), "success")
    return redirect(url_for(endpoint, number=number))


@bp.route("/<number>/consult", methods=["POST"])
@login_required
def consult(number: str):
    """The archive office's digital consult: a watermarked copy, recorded (policy R-ARC), for
    whoever the archived form relates to or an approval covers (policy C1, C3)."""
    file = _register().get(_me(), number)
    copy = _loans().consult(_me(), file, purpose=request.form.get("purpose", ""))
    return _pdf(copy, f"{file.number}-consult.pdf")


# -- lending -----------------------------------------------------------------------------


def _approvers() -> list[Staff]:
    staff = get_db().scalars(select(Staff).where(Staff.active.is_(True))
                             .order_by(Staff.display_name, Staff.login))
    return [s for s in staff if may_approve(s)]


@bp.route("/<number>/lend", methods=["GET", "POST"])
@login_required
def lend(number: str):
    _require_manager()
    file = _register().get(_me(), number)
    form = {k: request.form.get(k, "").strip() for k in (
        "borrower", "kind", "purpose", "purpose_note", "approver", "copy_note")}
    form["kind"] = form["kind"] or (LoanKind.BORROW if file.lendable else LoanKind.ON_SITE)
    problems, error, status = {}, "", 200
    if request.method == "POST":
        accounts = services().accounts(get_db())
        try:
            borrower = _staff_or_problem(accounts, form["borrower"], "borrower", "借阅人")
            approver = (_staff_or_problem(accounts, form["approver"], "approver", "批准人")
                        if form["approver"] else None)
            loan = _loans().lend(
                _me(), file, borrower=borrower, password=request.form.get("password", ""),
                kind=form["kind"], purpose=form["purpose"], purpose_note=form["purpose_note"],
                approver=approver, copy_allowed=request.form.get("copy_allowed") == "1",
                copy_note=form["copy_note"])
        except ValidationFailed as exc:
            problems, status = _problems(exc), 400
        except AuthenticationFailed:
            get_db().commit()  # keep the failure count, as a sign-in does; nothing else pending
            return _lend_page(file, form, {"password": "借阅人密码不正确，未能签名确认。"}, "", 400)
        except SigningError:
            problems, status = {"password": "借阅人密码不正确，未能签名确认。"}, 400
        except Conflict as exc:  # not lendable, an overdue loan, a paper file: say why
            error, status = exc.message_zh, 409
        else:
            flash(f"已登记 {loan.number}，应还日期 {loan.due_on.isoformat()}。", "success")
            return redirect(url_for("archive.loan", number=loan.number))
        get_db().rollback()  # nothing half-written
    return _lend_page(file, form, problems, error, status)


@bp.post("/borrowers")
@login_required
def borrowers():
    """Colleagues to pick as the borrower while typing (the lend form): at most
    staff_lookup.LIMIT, by name, login or department. POSTed, as every lookup is."""
    _require_manager()
    found, more = staff_lookup.lookup(get_db(), request.form.get("q", ""))
    response = jsonify(items=[p.as_dict() for p in found], more=more)
    response.headers["Cache-Control"] = "no-store"
    return response


def _lend_page(file, form: dict, problems: dict, error: str, status: int):
    return render_template("archive/lend.html", f=file, form=form, problems=problems,
                           error=error, approvers=_approvers(), purposes=PURPOSES,
                           LoanKind=LoanKind, terms=services().archive_terms), status


def _staff_or_problem(accounts, login: str, field: str, label: str) -> Staff:
    try:
        return accounts.get(login)
    except NotFound:
        raise ValidationFailed([FieldProblem(field, f"请填写{label}的登录名。")]) from None


@bp.route("/loans/<number>")
@login_required
def loan(number: str):
    return _loan_page(number)


def _loan_page(number: str, problems: dict | None = None, status: int = 200):
    loans = _loans()
    entry = loans.get(_me(), number)  # the archive office, or the borrower (policy R-ARC)
    return render_template(
        "archive/loan.html", loan=entry, can_manage=may_manage(_me()), problems=problems or {},
        conditions=RETURN_CONDITIONS, purposes=PURPOSES, today=loans.today(),
        LoanKind=LoanKind, Security=Security, terms=services().archive_terms), status


@bp.route("/loans/<number>/return", methods=["POST"])
@login_required
def return_(number: str):
    _require_manager()
    loans = _loans()
    return _submitted(lambda: loans.return_(
        _me(), loans.get(_me(), number), condition=request.form.get("condition", ""),
        remarks=request.form.get("remarks", "")),
        _loan_page, "archive.loan", number, lambda _: "已登记归还。")


@bp.route("/loans/<number>/renew", methods=["POST"])
@login_required
def renew(number: str):
    _require_manager()
    loans = _loans()
    raw = request.form.get("days", "")
    return _submitted(lambda: loans.renew(
        _me(), loans.get(_me(), number), int(raw) if raw.isdigit() else 0),
        _loan_page, "archive.loan", number,
        lambda loan: f"已续借，新的应还日期 {loan.due_on.isoformat()}。")


@bp.route("/loans/<number>/slip")
@login_required
def slip(number: str):
    loans = _loans()
    return _pdf(loans.slip(_me(), loans.get(_me(), number)), f"{number}.pdf")


@bp.route("/loans/<number>/consult", methods=["POST"])
@login_required
def loan_consult(number: str):
    """The borrower's digital consult under an open digital-consult entry."""
    loans = _loans()
    entry = loans.get(_me(), number)
    copy = loans.consult(_me(), entry.file, purpose=entry.purpose, loan=entry)
    return _pdf(copy, f"{entry.file.number}-consult.pdf")


@bp.route("/overdue")
@login_required
def overdue():
    """Overdue loans: numbers, dates and borrowers, no titles (policy S1, C1)."""
    loans = _loans()
    rows = loans.overdue(_me())
    return render_template("archive/overdue.html", rows=rows, today=loans.today(),
                           days_overdue=loans.days_overdue, can_manage=may_manage(_me()))
