"""Waiving an obligation from the page (policy T): academic affairs or management, with a
reason; anyone else gets 403 and the refusal is in the ledger."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required

from records.errors import ValidationFailed
from webapp import services
from webapp.db import get_db

__all__ = ["bp"]

bp = Blueprint("obligations", __name__, url_prefix="/obligations")


@bp.route("/<int:obligation_id>/waive", methods=["POST"])
@login_required
def waive(obligation_id: int):
    obligations = services().workflow(get_db()).obligations
    try:
        ob = obligations.waive(current_user.staff, obligation_id, request.form.get("reason", ""))
    except ValidationFailed as exc:
        flash(exc.problems[0].message_zh, "error")
    else:
        flash(f"应交事项 #{ob.id}（{ob.kind}）已免除。", "success")
    return redirect(url_for("home.index") + "#owed")
