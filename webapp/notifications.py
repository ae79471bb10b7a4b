"""通知: one's own in-app notices (unread count in the menu, mark read), one's channels on the
account page, and, for administrators, the deliveries that failed after the last attempt."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from records.accounts import MIN_PASSWORD
from records.errors import ValidationFailed
from records.notify import Inbox, Notification, choice_of, save_choice
from records.notify.messages import expand
from webapp import services
from webapp.auth import PasswordChangeForm
from webapp.db import get_db

__all__ = ["bp", "init_app"]

bp = Blueprint("notifications", __name__)


def _inbox() -> Inbox:
    return Inbox(get_db())


@bp.route("/notifications/")
@login_required
def index():
    me = current_user.staff
    return render_template(
        "notifications/index.html", notices=_inbox().notices(me),
        failed=_inbox().failed() if me.is_admin else [],
        base_url=services().settings["BASE_URL"], expand=expand)


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@login_required
def open_one(notification_id: int):
    """Mark one's notice read and go to what it is about (a path of this site)."""
    _inbox().mark_read(current_user.staff, notification_id)  # NotFound if not one's own
    link = get_db().get(Notification, notification_id).link
    return redirect(link if link.startswith("/") and not link.startswith("//")
                    else url_for("notifications.index"))


@bp.route("/notifications/read", methods=["POST"])
@login_required
def read_all():
    done = _inbox().mark_read(current_user.staff)
    flash(f"已将 {done} 条通知标为已读。", "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/failed/<int:notification_id>/retry", methods=["POST"])
@login_required
def retry(notification_id: int):
    if not current_user.staff.is_admin:
        abort(403)
    _inbox().retry(notification_id)
    flash("已重新排队发送，通知发送进程会在下一轮发送。", "success")
    return redirect(url_for("notifications.index"))


@bp.route("/account/notifications", methods=["POST"])
@login_required
def choose():
    """One's channels (the account page's 通知方式 section). A bad address: 400, nothing
    stored."""
    me = current_user.staff
    try:
        save_choice(get_db(), me, email=request.form.get("email", "")[:300],
                    by_email=request.form.get("by_email") == "1",
                    by_webhook=request.form.get("by_webhook") == "1")
    except ValidationFailed as exc:
        return render_template(
            "account_password.html", form=PasswordChangeForm(), error=None,
            min_length=MIN_PASSWORD, choice_error="；".join(p.message_zh for p in exc.problems),
            choice_form=request.form), 400
    flash("通知方式已保存。", "success")
    return redirect(url_for("auth.change_password"))


def _menu():
    """The unread count beside 通知 in the menu, and one's channels for the account page."""
    staff = getattr(current_user, "staff", None)
    if staff is None:
        return {}
    settings = services().settings
    return {"unread_notifications": _inbox().unread_count(staff),
            "notification_choice": lambda: choice_of(get_db(), staff.id),
            "email_configured": bool(settings["SMTP_HOST"]),
            "webhook_configured": bool(settings["WEBHOOK_URL"])}


def init_app(app: Flask) -> None:
    app.context_processor(_menu)
