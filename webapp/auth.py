"""Sign-in and sign-out. The cookie carries only the token of a server-side session
(records.web_sessions), so logout and timeouts take effect on the server."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, flash, redirect, render_template, request, session, url_for
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from records.accounts import MIN_PASSWORD
from records.errors import SIGN_IN_LIMITS, DomainError, ValidationFailed
from records.staff import Staff
from webapp import services
from webapp.db import get_db
from webapp.origin import client_address

__all__ = ["bp", "init_app", "SignedIn"]

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.session_protection = None  # the server-side session is the protection

_EXPIRED = {
    "idle": "长时间未操作，已自动退出，请重新登录。",
    "expired": "登录已超过时限，请重新登录。",
}


class SignedIn(UserMixin):
    """The signed-in staff member together with the token of their server-side session."""

    def __init__(self, staff: Staff, token: str):
        self.staff, self.token = staff, token

    def get_id(self) -> str:
        return self.token

    def __getattr__(self, name):
        return getattr(self.staff, name)


@login_manager.user_loader
def _load(token: str):
    staff, why = services().web_sessions(get_db()).resolve(token)
    if staff is None:
        if why in _EXPIRED:
            flash(_EXPIRED[why], "warning")
        return None
    # policy C1, C3: the approvals in force now and the classes taught, for every visibility
    # question of this request
    services().relate(get_db(), staff)
    return SignedIn(staff, token)


class LoginForm(FlaskForm):
    login = StringField("登录名", validators=[DataRequired("请输入登录名。"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码。"), Length(max=128)])


def _safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would let a phishing link borrow our login
    page. Browsers drop tabs and newlines from a URL ("/<tab>/evil" becomes "//evil") and read
    a backslash as a slash, so any of those, or any control character, refuses the target."""
    home = url_for("home.index")
    if not target or any(c.isspace() or c == "\\" or ord(c) < 0x20 or ord(c) == 0x7F
                         for c in target):
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return home
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    error, status = None, 200
    if form.validate_on_submit():
        db = get_db()
        try:
            staff = services().accounts(db).authenticate(form.login.data, form.password.data,
                                                          address=client_address())
        except DomainError as exc:
            db.commit()  # keep the failure count even though the answer is an error
            error = exc.message_zh
            status = 429 if isinstance(exc, SIGN_IN_LIMITS) else 401
        else:
            token = services().web_sessions(db).start(staff)
            next_url = _safe_next(request.args.get("next"))
            session.clear()  # a new session on sign-in: nothing carries over
            login_user(SignedIn(staff, token))
            return redirect(next_url)
    elif request.method == "POST":
        error, status = "；".join(m for msgs in form.errors.values() for m in msgs), 400
    return render_template("login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        staff = services().web_sessions(get_db()).end(current_user.token, "logout")
        if staff is not None:
            services().ledger.append(actor=staff.login, action="auth.logout",
                                     subject=f"staff:{staff.id}")
    logout_user()
    session.clear()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))


class PasswordChangeForm(FlaskForm):
    old_password = PasswordField("原密码", validators=[
        DataRequired("请输入原密码。"), Length(max=128)])
    new_password = PasswordField("新密码", validators=[
        DataRequired("请输入新密码。"), Length(max=128)])
    confirm = PasswordField("再次输入新密码", validators=[
        DataRequired("请再次输入新密码。"), EqualTo("new_password", "两次输入的新密码不一致。")])


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """One's own password, which also opens one's signing key: the key is sealed again under
    the new password, and sessions opened elsewhere end."""
    form = PasswordChangeForm()
    error, status = None, 200
    if form.validate_on_submit():
        db, me = get_db(), current_user.staff
        try:
            services().accounts(db).change_password(me, form.old_password.data,
                                                    form.new_password.data)
        except ValidationFailed as exc:  # the failure count is kept: the page commits
            for p in exc.problems:
                field = "new_password" if p.field == "password" else p.field
                form[field].errors = [*form[field].errors, p.message_zh]
            status = 400
        except DomainError as exc:  # throttled or locked, as a sign-in would be
            error = exc.message_zh
            status = 429 if isinstance(exc, SIGN_IN_LIMITS) else 400
        else:
            ended = services().web_sessions(db).end_others(me, current_user.token,
                                                           "password_changed")
            flash("密码已修改，签名时请使用新密码。" + (
                f"其他设备上的 {ended} 个登录已退出。" if ended else ""), "success")
            return redirect(url_for("home.index"))
    elif request.method == "POST":
        status = 400
    return render_template("account_password.html", form=form, error=error,
                           min_length=MIN_PASSWORD), status


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
