"""One's own personal access tokens for the API, on the account page: made with a name,
scopes and an expiry (shown once, never again: only its hash is kept), listed, revoked
(records.api_tokens). The secret is shown in the answer to the POST itself, never through a
redirect and a flashed message (the session cookie is signed, not encrypted)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from records.api_tokens import MAX_DAYS, Scope
from records.clock import utcnow
from records.errors import ValidationFailed
from webapp import services
from webapp.db import get_db

__all__ = ["bp"]

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")

DEFAULT_DAYS = 90


def _page(*, secret=None, made=None, errors=None, status=200):
    tokens = services().api_tokens(get_db()).mine(current_user.staff)
    return render_template("account_tokens.html", tokens=tokens, secret=secret, made=made,
                           errors=errors or {}, scopes=list(Scope), max_days=MAX_DAYS,
                           default_days=DEFAULT_DAYS, now=utcnow(),
                           form=request.form if errors else {}), status


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    if request.method == "GET":
        return _page()
    try:
        made, secret = services().api_tokens(get_db()).create(
            current_user.staff, request.form.get("name", ""), request.form.getlist("scopes"),
            request.form.get("days", "").strip())
    except ValidationFailed as exc:
        return _page(errors={p.field: p.message_zh for p in exc.problems}, status=400)
    return _page(secret=secret, made=made)


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    token = services().api_tokens(get_db()).revoke(current_user.staff, token_id)
    flash(f"令牌“{token.name}”已撤销，使用它的系统将无法再访问。", "success")
    return redirect(url_for("tokens.index"))
