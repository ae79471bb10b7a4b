"""Parent complaint register pages (家长投诉登记): recording (management, the supervision group,
the academic affairs office), the list by state, one complaint and its resolution (management
or the supervision group: the finding and the parties at fault, policy S2, S3)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from records.departments import Department
from records.errors import ValidationFailed
from records.oversight import Complaints, ComplaintState, may_record_complaint
from records.oversight.complaint_model import CHANNELS
from records.oversight.complaints import may_resolve_complaint
from records.oversight.evidence import school_day
from webapp import services
from webapp.db import get_db
from webapp.oversight import bp
from webapp.oversight.common import form_of, me, problems_of, refuse

__all__ = ["complaints"]

FIELDS = ("received_on", "channel", "summary", "handovers")


def complaints() -> Complaints:
    return Complaints(get_db(), audit=services().ledger)


def _index(form=None, problems=None, status=200):
    staff, c = me(), complaints()
    if not may_record_complaint(staff):
        refuse("complaint.view", "家长投诉登记只有管理层、监督小组和教务部可以查看。")
    state = request.args.get("state", "")
    state = state if state in {s.value for s in ComplaintState} else ""
    return render_template(
        "complaints/index.html", complaints=c.all(staff, state or None), state=state,
        states=list(ComplaintState), channels=CHANNELS, form=form or {},
        problems=problems or {}, today=school_day(c.clock())), status


@bp.route("/complaints/")
@login_required
def complaints_index():
    return _index()


@bp.post("/complaints/new")
@login_required
def complaint_new():
    form = form_of(*FIELDS)
    try:
        complaint = complaints().record(me(), **form)
    except ValidationFailed as exc:
        return _index(form, problems_of(exc), 400)
    flash(f"已登记家长投诉 {complaint.number}。", "success")
    return redirect(url_for("oversight.complaint_detail", number=complaint.number))


@bp.route("/complaints/<number>")
@login_required
def complaint_detail(number: str, form=None, problems=None, status=200):
    staff = me()
    complaint = complaints().get(staff, number)
    return render_template(
        "complaints/detail.html", c=complaint, departments=list(Department),
        can_resolve=may_resolve_complaint(staff) and complaint.state == ComplaintState.OPEN,
        form=form or {}, problems=problems or {}), status


@bp.post("/complaints/<number>/resolve")
@login_required
def complaint_resolve(number: str):
    staff, c = me(), complaints()
    complaint = c.get(staff, number)
    form = form_of("finding", "fault_dept", "fault_staff")
    try:
        c.resolve(staff, complaint, **form)
    except ValidationFailed as exc:
        return complaint_detail(number, form, problems_of(exc), 400)
    flash(f"家长投诉 {complaint.number} 已处理。", "success")
    return redirect(url_for("oversight.complaint_detail", number=complaint.number))
