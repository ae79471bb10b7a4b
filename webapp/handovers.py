"""Pages of the handovers area (being built)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

__all__ = ["bp"]

bp = Blueprint("handovers", __name__, url_prefix="/handovers")


@bp.route("/")
@login_required
def index():
    return render_template("home.html", inbox=[], outbox=[])
