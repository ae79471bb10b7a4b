"""Pages of access approvals (查看审批, policy C3): a request naming students (by 学号),
categories of information, purpose and days; the management office's decision (all, less, or
no); the requester's way to the students and handovers a grant opens; revoking. Pages show
学号 and categories, never a student's private values."""

from __future__ import annotations

import re
from datetime import datetime, time

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from records import student_lookup
from records.approvals import MAX_DAYS, AccessApproval, Approvals, ApprovalStatus, may_approve
from records.classes import SchoolClass
from records.clock import utcnow
from records.deadlines import SCHOOL_TZ
from records.errors import FieldProblem, ValidationFailed
from records.handovers import Handover, HandoverStudent
from records.students import Student
from records.visibility import granting_approval
from vault import PrivateCategory
from webapp import services
from webapp.db import get_db

__all__ = ["approvals", "bp"]

bp = Blueprint("approvals", __name__, url_prefix="/approvals")


def approvals() -> Approvals:
    return Approvals(get_db(), audit=services().ledger)


def _me():
    return current_user.staff


def _page(form=None, problems=None, status=200):
    me = _me()
    a = approvals()
    return render_template(
        "approvals/index.html", mine=a.mine(me), to_decide=a.to_decide(me),
        decided=a.decided(me), may_approve=may_approve(me), now=utcnow(),
        categories=list(PrivateCategory), max_days=MAX_DAYS, form=form or {},
        problems=problems or {}, students_of=_students,
        classes=get_db().scalars(select(SchoolClass).where(SchoolClass.active.is_(True))
                                 .order_by(SchoolClass.name)).all()), status


def _students(ids) -> list[Student]:
    """These students by 学号 (pages about approvals show their 学号 only, never a private
    value: policy C2)."""
    return list(get_db().scalars(select(Student).where(Student.id.in_(ids or [-1]))
                                 .order_by(Student.student_no)))


@bp.route("/")
@login_required
def index():
    return _page()


@bp.post("/lookup")
@login_required
def lookup():
    """Students to name in a request (policy C3): by 学号 or name (two characters or more)
    across the whole registry, or the members of one class; each with 学号, name and class
    only, never the record. POSTed (a name must not land in a URL or a log), and recorded in
    the ledger as a lookup, ids only."""
    raw = request.form.get("class_id", "")
    class_id = int(raw) if raw.isdigit() and len(raw) < 10 else None
    if raw and class_id is None:
        return jsonify(error="班级编号无效。"), 400
    text = request.form.get("q", "")
    found, more = student_lookup.lookup_for_request(
        get_db(), text, class_id=class_id, index=services().search_index)
    if found:
        services().ledger.append(
            actor=_me().login, action="student.lookup", reason="查看申请：查找学生",
            context={"ids": [p.id for p in found], "via": "class" if class_id else "request"})
    response = jsonify(students=[p.as_dict() for p in found], more=more,
                       short=not found and student_lookup.too_short(text))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/new")
@login_required
def new():
    form = {k: request.form.get(k, "") for k in ("students", "purpose", "days")}
    form["categories"] = request.form.getlist("categories")
    numbers = [n for n in re.split(r"[\s,，、;；]+", form["students"]) if n]
    days = int(form["days"]) if form["days"].strip().isdigit() else 0
    try:
        approval = approvals().request(_me(), numbers, form["categories"], form["purpose"], days)
    except ValidationFailed as exc:
        get_db().rollback()
        return _page(form, {p.field: p.message_zh for p in exc.problems}, 400)
    flash(f"已提交查看申请 #{approval.id}，等待学校办公室审批。", "success")
    return redirect(url_for("approvals.detail", approval_id=approval.id))


@bp.route("/<int:approval_id>")
@login_required
def detail(approval_id: int, problems=None, status=200):
    me, now = _me(), utcnow()
    approval = approvals().get(me, approval_id)
    opened = _opened(approval, now) if approval.requester_id == me.id else []
    return render_template(
        "approvals/detail.html", a=approval, now=now, me=me,
        can_decide=(may_approve(me) and approval.requester_id != me.id
                    and approval.status == ApprovalStatus.REQUESTED),
        can_revoke=(approval.status == ApprovalStatus.REQUESTED or approval.is_active(now))
        and (may_approve(me) or approval.requester_id == me.id),
        requested=_students(approval.requested_student_ids),
        granted=_students(approval.granted_student_ids), opened=opened,
        problems=problems or {}, categories=list(PrivateCategory),
        default_until=approval.requested_until.astimezone(SCHOOL_TZ).date().isoformat()), status


def _opened(approval: AccessApproval, now: datetime) -> list[Handover]:
    """The handovers this grant lets its requester read now (policy C3)."""
    if not approval.is_active(now):
        return []
    me = _me()  # its grants were attached when the request was signed in (webapp.auth)
    found = get_db().scalars(select(Handover).join(
        HandoverStudent, HandoverStudent.handover_id == Handover.id).where(
        HandoverStudent.student_id.in_(approval.granted_student_ids or [-1])).distinct()
        .order_by(Handover.number))
    return [h for h in found if granting_approval(me, h) == approval.id]


@bp.post("/<int:approval_id>/grant")
@login_required
def grant(approval_id: int):
    me = _me()
    approval = approvals().get(me, approval_id)
    try:
        approvals().grant(
            me, approval, student_ids=[int(i) for i in request.form.getlist("students")
                                       if i.isdigit()],
            categories=request.form.getlist("categories"),
            until=_until(request.form.get("until", "")), note=request.form.get("note", ""))
    except ValidationFailed as exc:
        get_db().rollback()
        return detail(approval_id, {p.field: p.message_zh for p in exc.problems}, 400)
    flash(f"已批准申请 #{approval_id}。", "success")
    return redirect(url_for("approvals.detail", approval_id=approval_id))


def _until(raw: str) -> datetime | None:
    """The last day granted, inclusive: its end in the school's time."""
    try:
        day = datetime.strptime(raw.strip(), "%Y-%m-%d").date()
    except ValueError:
        if raw.strip():
            raise ValidationFailed([FieldProblem("until", "日期格式应为 YYYY-MM-DD。")]) from None
        return None
    return datetime.combine(day, time(23, 59, 59), tzinfo=SCHOOL_TZ)


@bp.post("/<int:approval_id>/refuse")
@login_required
def refuse(approval_id: int):
    me = _me()
    try:
        approvals().refuse(me, approvals().get(me, approval_id), request.form.get("note", ""))
    except ValidationFailed as exc:
        get_db().rollback()
        return detail(approval_id, {p.field: p.message_zh for p in exc.problems}, 400)
    flash(f"已驳回申请 #{approval_id}。", "info")
    return redirect(url_for("approvals.detail", approval_id=approval_id))


@bp.post("/<int:approval_id>/revoke")
@login_required
def revoke(approval_id: int):
    me = _me()
    approvals().revoke(me, approvals().get(me, approval_id), request.form.get("note", ""))
    flash(f"审批 #{approval_id} 已撤销，相关查看权限立即失效。", "info")
    return redirect(url_for("approvals.detail", approval_id=approval_id))
