"""The home page: the signed-in person's pending work (inbox and outbox, due first)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from webapp.handovers import worklists

__all__ = ["bp"]

bp = Blueprint("home", __name__)

HOME_LIMIT = 8


@bp.route("/")
@login_required
def index():
    me = current_user.staff
    full = worklists(me)
    return render_template("home.html", me=me, limit=HOME_LIMIT, **full)


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}
