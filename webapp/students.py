"""Pages of the students area (being built)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

__all__ = ["bp"]

bp = Blueprint("students", __name__, url_prefix="/students")


@bp.route("/")
@login_required
def index():
    return render_template("home.html", inbox=[], outbox=[])
