"""The home page: the signed-in person's pending work."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

__all__ = ["bp"]

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index():
    # Inbox and outbox fill in once handovers exist (the workflow issue).
    return render_template("home.html", inbox=[], outbox=[], me=current_user.staff)


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}
