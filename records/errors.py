"""Domain errors. Each carries its data as attributes and a message in Simplified Chinese that
may be shown to the user; webapp/errors.py maps each class to one HTTP status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "AccountDisabled",
    "AccountLocked",
    "AddressLimited",
    "AuthenticationFailed",
    "Conflict",
    "DomainError",
    "FieldProblem",
    "LoginTooSoon",
    "NotFound",
    "PermissionDenied",
    "SIGN_IN_LIMITS",
    "ValidationFailed",
]


class DomainError(Exception):
    """Base of every error the records layer raises on purpose."""

    message_zh = "操作未能完成。"

    def __init__(self, message_zh: str | None = None):
        if message_zh is not None:
            self.message_zh = message_zh
        super().__init__(self.message_zh)


class NotFound(DomainError):
    def __init__(self, what: str, key: str):
        self.what, self.key = what, key
        super().__init__(f"未找到{what}：{key}")


class PermissionDenied(DomainError):
    def __init__(self, actor: str, action: str, message_zh: str | None = None):
        self.actor, self.action = actor, action
        super().__init__(message_zh or "您没有执行此操作的权限。")


class Conflict(DomainError):
    """The request contradicts the current state (duplicate login name, already signed, ...)."""


@dataclass(frozen=True)
class FieldProblem:
    field: str
    """The form field or CSV column the problem is about."""
    message_zh: str
    """What is wrong, in Chinese, without echoing private values."""


class ValidationFailed(DomainError):
    def __init__(self, problems: list[FieldProblem]):
        self.problems = list(problems)
        detail = "；".join(f"{p.field}：{p.message_zh}" for p in self.problems)
        super().__init__(f"输入有误：{detail}")


class AuthenticationFailed(DomainError):
    message_zh = "用户名或密码不正确。"


class AccountDisabled(DomainError):
    message_zh = "该账号已停用，请联系管理员。"


class LoginTooSoon(DomainError):
    """Growing delay after failed logins: the next attempt is allowed only after `retry_at`."""

    def __init__(self, retry_at: datetime, seconds: int):
        self.retry_at, self.seconds = retry_at, seconds
        super().__init__(f"登录失败次数过多，请 {seconds} 秒后再试。")


class AccountLocked(DomainError):
    def __init__(self, until: datetime, minutes: int):
        self.until, self.minutes = until, minutes
        super().__init__(f"登录失败次数过多，账号已临时锁定，请 {minutes} 分钟后再试或联系管理员。")


class AddressLimited(DomainError):
    """Too many failed sign-ins from one client address (records.address_limit)."""

    def __init__(self, until: datetime, minutes: int):
        self.until, self.minutes = until, minutes
        super().__init__(f"来自您所在网络地址的登录失败次数过多，请 {minutes} 分钟后再试"
                         "或联系管理员。")


SIGN_IN_LIMITS = (LoginTooSoon, AccountLocked, AddressLimited)
"""The refusals of a sign-in that mean "too many attempts" (HTTP 429)."""
