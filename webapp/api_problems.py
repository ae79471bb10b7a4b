"""Errors of the HTTP API as RFC 9457 problem details (`application/problem+json`): a type
URI, a Chinese title and detail, the status, and for bad input the fields at fault. Every
error under /api/v1 goes through `problem` (webapp.errors sends the API's there); messages
never repeat a private value (policy C2)."""

from __future__ import annotations

from flask import Response, json

from records.errors import FieldProblem

__all__ = ["PROBLEM_TYPE", "TITLES", "problem"]

PROBLEM_TYPE = "urn:handover:problem:"
"""The prefix of every problem type; the suffix is the kind (docs/api.md lists them)."""

TITLES = {
    400: ("bad-request", "请求有误"),
    401: ("unauthorized", "需要有效的访问令牌"),
    403: ("forbidden", "无权执行此操作"),
    404: ("not-found", "未找到"),
    405: ("method-not-allowed", "不支持的操作"),
    409: ("conflict", "操作冲突"),
    413: ("too-large", "提交的内容过大"),
    415: ("unsupported-media-type", "不支持的内容类型"),
    422: ("validation", "输入有误"),
    429: ("too-many-requests", "操作过于频繁"),
    500: ("server-error", "系统内部错误"),
    503: ("unavailable", "系统暂不可用"),
}


def problem(status: int, detail: str, *, kind: str | None = None,
            errors: list[FieldProblem] | None = None, headers: dict | None = None) -> Response:
    """A problem details response of `status`; `kind` overrides the type's suffix."""
    slug, title = TITLES.get(status, ("error", "出错了"))
    body = {"type": PROBLEM_TYPE + (kind or slug), "title": title, "status": status,
            "detail": detail}
    if errors:
        body["errors"] = [{"field": p.field, "detail": p.message_zh} for p in errors]
    response = Response(json.dumps(body, ensure_ascii=False), status=status,
                        mimetype="application/problem+json")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
