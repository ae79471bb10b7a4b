"""Rectification notice pages (整改通知, policy S1): the group's list (all, by state) and its
form to issue one; the recipient's list (我收到的整改通知); one notice with its history, the
recipient's answer form and the group's close / reopen forms; the home page's reminder."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from records.departments import Department
from records.errors import ValidationFailed
from records.oversight import Notices, NoticeState, is_recipient, may_issue
from records.staff import Staff
from webapp import services
from webapp.db import get_db
from webapp.oversight import bp
from webapp.oversight.common import form_of, me, problems_of

__all__ = ["notices"]

FIELDS = ("to_dept", "to_login", "handovers", "obligations", "findings", "reply_by")
DEFAULT_REPLY_DAYS = 5
# The site's badge colours: waiting (amber), answered (blue), closed (green).
NOTICE_BADGES = {"issued": "returned", "reopened": "returned", "answered": "submitted",
                 "closed": "completed"}


def notices() -> Notices:
    return Notices(get_db(), audit=services().ledger)


@bp.app_context_processor
def _home_reminder():
    """For templates/web/notices/_home.html: the notices waiting for the signed-in person's
    answer, computed only when the home page includes it."""
    def waiting():
        staff = getattr(current_user, "staff", None)
        return notices().waiting_for(staff) if staff is not None else []

    return {"notices_waiting_for_me": waiting, "notices_today": lambda: notices().today(),
            "notice_badge": NOTICE_BADGES}


def _index(form=None, problems=None, status=200):
    staff, n = me(), notices()
    state = request.args.get("state", "")
    state = state if state in {s.value for s in NoticeState} else ""
    default_form = {"reply_by": (n.today() + timedelta(days=DEFAULT_REPLY_DAYS)).isoformat()}
    return render_template(
        "notices/index.html", group=may_issue(staff), notices=n.all(staff, state or None),
        received=n.received(staff), state=state, states=list(NoticeState),
        departments=list(Department), staff_list=_staff_list() if may_issue(staff) else [],
        form=form or default_form, problems=problems or {}, today=n.today()), status


def _staff_list() -> list[Staff]:
    return list(get_db().scalars(select(Staff).where(Staff.active.is_(True))
                                 .order_by(Staff.login)))


@bp.route("/notices/")
@login_required
def notices_index():
    return _index()


@bp.post("/notices/new")
@login_required
def notice_new():
    form = form_of(*FIELDS)
    try:
        notice = notices().issue(me(), **form)
    except ValidationFailed as exc:
        return _index(form, problems_of(exc), 400)
    flash(f"已发出整改通知 {notice.number}。", "success")
    return redirect(url_for("oversight.notice_detail", number=notice.number))


@bp.route("/notices/<number>")
@login_required
def notice_detail(number: str, problems=None, status=200):
    staff, n = me(), notices()
    notice = n.get(staff, number)
    state = NoticeState(notice.state)
    return render_template(
        "notices/detail.html", n=notice, today=n.today(), problems=problems or {},
        can_answer=state.waits_for_answer and is_recipient(staff, notice)
        and staff.id != notice.issuer_id,
        can_close=may_issue(staff) and state != NoticeState.CLOSED,
        can_reopen=may_issue(staff) and state == NoticeState.ANSWERED), status


def _step(number: str, action: str, done_zh: str):
    staff, n = me(), notices()
    notice = n.get(staff, number)
    try:
        if action == "answer":
            n.answer(staff, notice, request.form.get("answer", ""))
        elif action == "close":
            n.close(staff, notice, request.form.get("note", ""))
        else:
            n.reopen(staff, notice, request.form.get("note", ""))
    except ValidationFailed as exc:
        return notice_detail(number, problems_of(exc), 400)
    flash(f"整改通知 {notice.number} {done_zh}。", "success")
    return redirect(url_for("oversight.notice_detail", number=notice.number))


@bp.post("/notices/<number>/answer")
@login_required
def notice_answer(number: str):
    return _step(number, "answer", "已答复")


@bp.post("/notices/<number>/close")
@login_required
def notice_close(number: str):
    return _step(number, "close", "已关闭")


@bp.post("/notices/<number>/reopen")
@login_required
def notice_reopen(number: str):
    return _step(number, "reopen", "已要求重新整改")
