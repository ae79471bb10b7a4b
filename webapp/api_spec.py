"""The OpenAPI 3.1 document of the API, generated from the operations as registered
(webapp.api.OPERATIONS) and the URL map, so that it cannot drift from the code: paths and
path parameters from the routes, scopes, query parameters and schemas from each operation's
registration, and the problem details of every error."""

from __future__ import annotations

import re

from flask import current_app
from werkzeug.routing import IntegerConverter

from records.api_tokens import Scope
from webapp.api import OPERATIONS, operation

__all__ = ["document"]

PROBLEM = {"type": "object", "required": ["type", "title", "status", "detail"], "properties": {
    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
    "detail": {"type": "string"},
    "errors": {"type": "array", "items": {"type": "object", "properties": {
        "field": {"type": "string"}, "detail": {"type": "string"}}}}}}
_PROBLEM_REF = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
_ERRORS = {"400": "请求有误（含格式错误的 JSON、字段错误）",
           "401": "令牌缺失、无效、已过期或已撤销",
           "403": "令牌权限范围不足，或所属人员无权执行",
           "404": "不存在或无权查看", "409": "与当前状态冲突"}


def _path(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


def _path_schema(converter) -> dict:
    """A path parameter as its URL converter reads it (`<int:...>`: webapp.BoundedInt)."""
    if isinstance(converter, IntegerConverter):
        return {"type": "integer", "minimum": 0, "maximum": converter.max}
    return {"type": "string"}


def _operation(op, rule) -> dict:
    params = [{"name": name, "in": "path", "required": True, "schema": _path_schema(conv)}
              for name, conv in rule._converters.items()]
    params += [{"name": name, "in": "query", "required": False, "schema": schema}
               for name, schema in op.query]
    out = {"operationId": op.endpoint.removeprefix("api."), "summary": op.summary,
           "parameters": params,
           "responses": {str(op.status): {"description": "成功", "content": {
               "application/json": {"schema": op.response}}}}}
    if op.scope is not None:
        out["security"] = [{"token": [op.scope.value]}]
        out["responses"].update({code: {"description": text, "content": _PROBLEM_REF}
                                 for code, text in _ERRORS.items()})
    else:
        out["security"] = []
    if op.request is not None:
        out["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": op.request}}}
    return out


def document() -> dict:
    rules = {r.endpoint: r for r in current_app.url_map.iter_rules()}
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        rule = rules[op.endpoint]
        paths.setdefault(_path(rule.rule), {})[op.method.lower()] = _operation(op, rule)
    return {
        "openapi": "3.1.0",
        "info": {"title": "交接档案系统 API", "version": "1",
                 "description": "Personal access tokens act as their owner, within their "
                                "scopes; see docs/api.md."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": {"Problem": PROBLEM},
            "securitySchemes": {"token": {
                "type": "http", "scheme": "bearer",
                "description": "个人访问令牌；权限范围：" + "、".join(
                    f"{s.value}（{s.label_zh}）" for s in Scope)}}},
    }


@operation("/openapi.json", "GET", scope=None, summary="本接口的 OpenAPI 3.1 文档",
           response={"type": "object"})
def openapi():
    return document()
