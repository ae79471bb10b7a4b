"""The one place where errors become HTTP responses: domain errors by class, HTTP errors by code.
Pages never show a stack trace; JSON clients get {"error": message}."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from records import errors as domain
from vault import ObjectStoreUnavailable
from webapp.services import NotInitialised

__all__ = ["init_app", "STATUS_BY_ERROR"]

log = logging.getLogger("handover.web")

# Most specific first: the first matching class decides the status.
STATUS_BY_ERROR: list[tuple[type[Exception], int]] = [
    (domain.NotFound, 404),
    (domain.PermissionDenied, 403),
    (domain.ValidationFailed, 400),
    (domain.Conflict, 409),
    (domain.AuthenticationFailed, 401),
    (domain.AccountDisabled, 403),
    (domain.LoginTooSoon, 429),
    (domain.AccountLocked, 429),
    (domain.AddressLimited, 429),
    (domain.DomainError, 400),
]

TITLES = {
    400: "请求有误",
    401: "需要登录",
    403: "无权访问",
    404: "页面不存在",
    405: "不支持的操作",
    409: "操作冲突",
    413: "提交的内容过大",
    429: "操作过于频繁",
    500: "系统内部错误",
    503: "系统暂不可用",
}

DEFAULT_MESSAGES = {
    400: "请求无法处理，请检查输入后重试。",
    403: "您没有访问此页面的权限。",
    404: "您要找的页面不存在或已被移走。",
    405: "此地址不支持该操作。",
    413: "上传的文件或提交的内容超过了允许的大小。",
    500: "系统出现了意外错误，已记录。请稍后重试或联系管理员。",
}


def status_for(exc: Exception) -> int:
    return next((code for cls, code in STATUS_BY_ERROR if isinstance(exc, cls)), 500)


def render_error(status: int, message: str):
    if request.path.startswith("/api/v1/"):  # the API answers in problem details (RFC 9457)
        from webapp.api_problems import problem

        return problem(status, message)
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return jsonify(error=message, status=status), status
    title = TITLES.get(status, "出错了")
    return render_template("error.html", status=status, title=title, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(domain.DomainError)
    def _domain(exc: domain.DomainError):
        return render_error(status_for(exc), exc.message_zh)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        return render_error(400, "表单已失效或来源无法确认（CSRF），请刷新页面后重新提交。")

    @app.errorhandler(NotInitialised)
    def _not_initialised(exc: NotInitialised):
        log.error("instance not initialised: %s", exc.missing)
        return render_error(503, "系统尚未初始化，请管理员运行 handover init。")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        code = exc.code or 500
        # Our own abort(400, description=...) messages are Chinese; Werkzeug's are English.
        message = exc.description if _is_chinese(exc.description) else None
        return render_error(code, message or DEFAULT_MESSAGES.get(code, TITLES.get(code, "")))

    @app.errorhandler(ObjectStoreUnavailable)
    def _store_down(exc: ObjectStoreUnavailable):
        # the vault refused with nothing made visible, and recorded the attempt; the request's
        # database work is rolled back with the error status (webapp/__init__.py)
        log.error("vault object store unavailable (%s: %s) on %s %s", exc.backend, exc.cause,
                  request.method, request.path)
        return render_error(503, "存储服务暂不可用，请稍后再试。您的操作没有保存。")

    @app.errorhandler(StaleDataError)
    def _raced(exc: StaleDataError):
        # policy G3, DESIGN "compare-and-set": someone changed the record first
        return render_error(409, "该记录刚刚被其他人修改（例如已被签收或撤回），您的操作没有保存。"
                                 "请刷新页面查看最新状态。")

    @app.errorhandler(OperationalError)
    def _database_busy(exc: OperationalError):
        if "locked" in str(exc.orig).lower() or "deadlock" in str(exc.orig).lower():
            log.warning("database busy on %s %s", request.method, request.path)
            return render_error(503, "系统繁忙，请稍后再试。您的操作没有保存。")
        log.exception("database error on %s %s", request.method, request.path)
        return render_error(500, DEFAULT_MESSAGES[500])

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500, DEFAULT_MESSAGES[500])


def _is_chinese(text: str | None) -> bool:
    return bool(text) and any("\u4e00" <= ch <= "\u9fff" for ch in text)
