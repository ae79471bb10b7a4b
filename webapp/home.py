"""The home page: the signed-in person's pending work (inbox and outbox, due first: their first
`HOME_LIMIT` rows and their totals), what they owe, and the notices that concern them."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user, login_required

from records.approvals import may_approve
from records.clock import utcnow
from records.deadlines import SCHOOL_TZ
from records.listing import count_due
from records.obligations import may_waive
from records.owed_list import owed_rows
from webapp import base_url_check, services
from webapp.approvals import approvals
from webapp.db import get_db
from webapp.handover_lists import worklists
from webapp.handovers import may_send
from webapp.return_reasons import return_reasons
from webapp.supervision import may_supervise

__all__ = ["bp"]

bp = Blueprint("home", __name__)

HOME_LIMIT = 8


@bp.route("/")
@login_required
def index():
    me, now = current_user.staff, utcnow()
    missing_years = []
    if me.is_admin:  # the administrator maintains the holiday supplement (policy T)
        missing_years = services().calendar.check_coverage(now.astimezone(SCHOOL_TZ).date())
    # policy S1: the supervision group sees at once how much is overdue across the school
    school_overdue = count_due(get_db(), now) if may_supervise(me) else None
    # policy C3: requests waiting for the management office's decision
    approvals_waiting = len(approvals().to_decide(me)) if may_approve(me) else 0
    # policy R-ARC: a borrower's overdue archive loans, which block their next loan
    loans = services().archive_loans(get_db())
    my_overdue = [loan for loan in loans.mine(me)
                  if loan.returned_at is None and loan.due_on < loans.today()]
    # policy T: what I owe before anyone has made it (a weekly report, an archive transfer)
    obligations = services().obligations(get_db(), now)
    owed = owed_rows(get_db(), obligations.owed_by(me, limit=HOME_LIMIT + 1), now,
                     calendar=services().calendar)
    lists = worklists(me, limit=HOME_LIMIT)
    return render_template("home.html", me=me, limit=HOME_LIMIT, can_send=may_send(me),
                           missing_years=missing_years, school_overdue=school_overdue,
                           approvals_waiting=approvals_waiting, my_overdue_loans=my_overdue,
                           owed=owed, can_waive=may_waive(me),
                           calendar_path=services().calendar_path,
                           base_url_warning=base_url_check.warning_for(current_app)
                           if me.is_admin else None,
                           # what the sender must put right, on the returned item itself
                           reasons=return_reasons(get_db(), lists["outbox"].rows), **lists)

