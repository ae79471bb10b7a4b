"""Pages for moving the work of staff who leave, move or are away (人员交接): the administrator
and department heads see the people of the departments they manage with what each still holds,
and hand each handover to a colleague (records.reassignment). Pages show handover numbers,
kinds, statuses and dates only, never a handover's content (policy C1)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from records.catalogue import KINDS
from records.departments import Department
from records.errors import FieldProblem, NotFound, PermissionDenied, ValidationFailed
from records.handovers import Handover, Status
from records.reassignment import (
    REASONS,
    Reassignment,
    managed_departments,
    may_manage,
    open_work,
    to_move_counts,
)
from records.staff import Staff, StaffDepartment
from webapp import services
from webapp.db import get_db

__all__ = ["bp"]

bp = Blueprint("staff", __name__, url_prefix="/staff")


def _me() -> Staff:
    me = current_user.staff
    if not managed_departments(me):
        raise PermissionDenied(me.login, "staff", "只有管理员或部门负责人可以转交人员的工作。")
    return me


def _people(me: Staff) -> list[Staff]:
    """Everyone for the administrator; the members of the departments a head heads."""
    query = select(Staff).order_by(Staff.active.desc(), Staff.login)
    if not me.is_admin:
        query = query.where(Staff.id.in_(select(StaffDepartment.staff_id).where(
            StaffDepartment.department.in_([d.value for d in me.headed]))))
    return list(get_db().scalars(query))


@bp.route("/")
@login_required
def index():
    me = _me()
    people = _people(me)
    return render_template("staff/index.html", people=people,
                           counts=to_move_counts(get_db(), [p.id for p in people]),
                           departments=managed_departments(me))


def _person(me: Staff, staff_id: int) -> Staff:
    person = get_db().get(Staff, staff_id)
    if person is None or person.id not in {p.id for p in _people(me)}:
        raise NotFound("人员", str(staff_id))
    return person


@bp.route("/<int:staff_id>")
@login_required
def person(staff_id: int, problems=None, failed: str = "", status: int = 200):
    me = _me()
    who = _person(me, staff_id)
    work = open_work(get_db(), who)
    return render_template(
        "staff/person.html", who=who, work=work, kinds=KINDS, reasons=REASONS,
        colleagues=_colleagues(who), may=lambda dept: may_manage(me, Department(dept)),
        problems=problems or {}, failed=failed, Status=Status), status


def _colleagues(who: Staff) -> dict[str, list[Staff]]:
    """Department code -> its active members other than `who`, to choose from."""
    rows = get_db().execute(select(StaffDepartment.department, Staff).join(Staff).where(
        Staff.active.is_(True), Staff.id != who.id).order_by(Staff.login)).all()
    found: dict[str, list[Staff]] = {d.value: [] for d in Department}
    for dept, staff in rows:
        found[dept].append(staff)
    return found


def _move(number: str, step, done: str):
    """One move of one handover, from the person page's form: problems come back to that
    page with 400; a move someone else made first is a 409 (records.reassignment)."""
    me = _me()
    staff_id = request.form.get("person", "")
    handover = get_db().scalar(select(Handover).where(Handover.number == number))
    if handover is None or not staff_id.isdigit():
        raise NotFound("交接单", "")
    seen = request.form.get("seen_version", "")
    kw = {"note": request.form.get("note", ""),
          "seen_version": int(seen) if seen.isdigit() and len(seen) < 10 else None}
    try:
        step(Reassignment(services().workflow(get_db())), me, handover,
             request.form.get("reason", ""), kw)
    except ValidationFailed as exc:
        get_db().rollback()
        return person(int(staff_id), {p.field: p.message_zh for p in exc.problems},
                      number, 400)
    flash(done.format(number), "success")
    return redirect(url_for("staff.person", staff_id=int(staff_id)))


def _colleague() -> Staff:
    raw = request.form.get("to", "")
    to = get_db().get(Staff, int(raw)) if raw.isdigit() and len(raw) < 10 else None
    if to is None:
        raise ValidationFailed([FieldProblem("to", "请选择接手的同事。")])
    return to


@bp.post("/handovers/<number>/reassign")
@login_required
def reassign(number: str):
    return _move(number, lambda r, me, h, reason, kw: r.reassign(
        me, h, _colleague(), reason, **kw), "交接单 {} 已改派给新的接收人，由其签收。")


@bp.post("/handovers/<number>/transfer")
@login_required
def transfer(number: str):
    return _move(number, lambda r, me, h, reason, kw: r.transfer(
        me, h, _colleague(), reason, **kw), "交接单 {} 已转交给同事，由其修改、签名提交。")


@bp.post("/handovers/<number>/withdraw")
@login_required
def withdraw(number: str):
    return _move(number, lambda r, me, h, reason, kw: r.withdraw(me, h, reason, **kw),
                 "交接单 {} 已代为撤回。")

