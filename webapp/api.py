"""The HTTP API under /api/v1 for the school's other systems (issue 16): the blueprint, its
authentication by personal access token (records.api_tokens), scopes, JSON bodies, paging and
the registry of operations that the OpenAPI document is generated from (webapp.api_spec).

A call is made as the token's owner and sees exactly what the owner sees on the pages
(records.visibility), never more; its scope only narrows that. Every call is recorded in the
ledger under the owner, with the token in the entry's origin (webapp.origin; policy C3). The
API never reads or sets the session cookie and needs no CSRF token: a bearer token is not sent
by a browser on its own."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, Flask, g, request, url_for
from werkzeug.exceptions import HTTPException

from records.api_tokens import Scope
from records.errors import DomainError, FieldProblem, ValidationFailed
from records.staff import Staff
from webapp import services
from webapp.api_problems import problem
from webapp.db import get_db
from webapp.errors import DEFAULT_MESSAGES, _is_chinese, status_for

__all__ = ["MAX_PER_PAGE", "OPERATIONS", "Operation", "bp", "body", "init_app", "me",
           "operation", "paged"]

bp = Blueprint("api", __name__, url_prefix="/api/v1")

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
_WHY = {"unknown": "访问令牌无效。", "revoked": "访问令牌已被撤销。",
        "expired": "访问令牌已过期，请在“我的账号 → 访问令牌”中重新创建。",
        "disabled": "令牌所属账号已停用。"}


@dataclass(frozen=True)
class Operation:
    """One API operation as the OpenAPI document describes it."""

    endpoint: str
    method: str
    scope: Scope | None
    """What the token must carry; None: no token (the OpenAPI document itself)."""
    summary: str
    query: tuple[tuple[str, dict], ...] = ()
    """(name, JSON schema) of each query parameter."""
    request: dict | None = None
    """The JSON schema of the body."""
    response: dict = field(default_factory=dict)
    """The JSON schema of a successful answer."""
    status: int = 200


OPERATIONS: list[Operation] = []


def me() -> Staff:
    return g.api_staff


def _authenticate(scope: Scope) -> None:
    """The token's owner in `g.api_staff`, or a 401/403 problem raised as an HTTPException."""
    header = request.headers.get("Authorization", "")
    kind, _, secret = header.partition(" ")
    if kind.lower() != "bearer" or not secret.strip():
        raise _Problem(problem(401, "请在 Authorization 请求头中提供访问令牌（Bearer）。"))
    token, why = services().api_tokens(get_db()).resolve(secret.strip())
    if token is None:
        raise _Problem(problem(401, _WHY[why], kind=f"token-{why}"))
    g.api_token_id, g.api_staff = token.id, token.staff
    # policy C1, C3: the owner's approvals in force and classes taught, as a page would
    services().relate(get_db(), token.staff)
    services().ledger.append(actor=token.staff.login, action="api.call",
                             subject=f"api_token:{token.id}",
                             context={"method": request.method, "endpoint": request.endpoint})
    if scope not in token.scope_set:
        raise _Problem(problem(403, f"此令牌没有“{scope.label_zh}”（{scope.value}）权限。",
                               kind="insufficient-scope"))


class _Problem(HTTPException):
    """A finished problem response raised from deep in a request."""

    def __init__(self, response):
        super().__init__(response=response)
        self.code = response.status_code


def operation(rule: str, method: str, *, scope: Scope | None, summary: str,
              query: tuple = (), request_schema: dict | None = None,
              response: dict | None = None, status: int = 200) -> Callable:
    """Registers the view on the blueprint, behind the token check of `scope`, and in the
    OPERATIONS that the OpenAPI document lists."""

    def register(view: Callable) -> Callable:
        @wraps(view)
        def guarded(**kwargs):
            if scope is not None:
                _authenticate(scope)
            return view(**kwargs)

        bp.add_url_rule(rule, view.__name__, guarded, methods=[method])
        OPERATIONS.append(Operation(f"api.{view.__name__}", method, scope, summary,
                                    tuple(query), request_schema, response or {}, status))
        return guarded

    return register


def body(allowed: dict[str, type | tuple]) -> dict[str, Any]:
    """The request's JSON object: malformed JSON, another type or an unknown member is a 400
    problem naming the fields; members with a wrong type too."""
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _Problem(problem(400, "请求体不是有效的 JSON。", kind="malformed-json")) from None
    if not isinstance(data, dict):
        raise _Problem(problem(400, "请求体应为 JSON 对象。", kind="malformed-json"))
    wrong = [FieldProblem(k, "不认识的字段。") for k in data if k not in allowed]
    wrong += [FieldProblem(k, "字段类型不正确。") for k, v in data.items()
              if k in allowed and (not isinstance(v, allowed[k]) or isinstance(v, bool))]
    if wrong:
        raise ValidationFailed(wrong)
    return data


def _number(name: str, default: int, most: int, problems: list[FieldProblem]) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9 and 1 <= int(raw) <= most):
        problems.append(FieldProblem(name, f"应为 1 到 {most} 之间的整数。"))
        return default
    return int(raw)


def paging() -> tuple[int, int]:
    """(page, per_page) of the query string: page from 1, per_page at most MAX_PER_PAGE."""
    problems: list[FieldProblem] = []
    page = _number("page", 1, 10**9, problems)
    per_page = _number("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE, problems)
    if problems:
        raise ValidationFailed(problems)
    return page, per_page


def paged(items: list, total: int, page: int, per_page: int) -> dict:
    """The envelope of a list: items, the true total, and the next page's link (or null)."""
    more = page * per_page < total
    args = {**request.args.to_dict(), "page": page + 1, "per_page": per_page}
    return {"items": items, "total": total, "page": page, "per_page": per_page,
            "next": url_for(request.endpoint, **request.view_args, **args) if more else None}


@bp.errorhandler(DomainError)
def _domain(exc: DomainError):
    if isinstance(exc, ValidationFailed):
        return problem(400, "输入有误，请按 errors 更正。", kind="validation",
                       errors=exc.problems)
    return problem(status_for(exc), exc.message_zh)


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException):
    if isinstance(exc, _Problem):
        return exc.response
    code = exc.code or 500
    detail = exc.description if _is_chinese(exc.description) else None
    return problem(code, detail or DEFAULT_MESSAGES.get(code, "请求无法处理。"))


def init_app(app: Flask) -> None:
    from webapp import api_handovers, api_spec, api_students  # noqa: F401  (the operations)
    from webapp.security import csrf

    csrf.exempt(bp)  # token auth: no cookie, so no cross-site request to forge
    app.register_blueprint(bp)
