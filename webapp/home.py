"""The home page: the signed-in person's pending work (inbox and outbox, due first)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from webapp.handovers import may_send, worklists

__all__ = ["bp"]

bp = Blueprint("home", __name__)

HOME_LIMIT = 8


@bp.route("/")
@login_required
def index():
    me = current_user.staff
    return render_template("home.html", me=me, limit=HOME_LIMIT, can_send=may_send(me),
                           **worklists(me))


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}
