"""Staff accounts as use cases: add, list, disable and enable, departments, passwords, and
sign-in with a growing delay and a temporary lock after repeated failures. Every sign-in
outcome goes to the access ledger."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from records.address_limit import AddressLimit
from records.clock import utcnow
from records.credentials import Credentials
from records.db import insert_if_absent
from records.departments import Department
from records.errors import (
    AccountDisabled,
    AccountLocked,
    AddressLimited,
    AuthenticationFailed,
    Conflict,
    FieldProblem,
    LoginTooSoon,
    NotFound,
    ValidationFailed,
)
from records.staff import LoginThrottle, Role, Staff, StaffDepartment
from records.text_rules import bad_characters
from records.unit_of_work import record_change
from vault import Ledger

__all__ = ["Accounts", "LoginPolicy", "check_password_rules"]

LOGIN_RE = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 128


_DUMMY_HASHES: dict[tuple, str] = {}


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    """Consecutive failures after which the login name is locked."""
    base_delay_seconds: int = 1
    """Delay after the first failure; it doubles with each further failure."""
    lock_minutes: int = 15
    """How long a lock lasts."""
    per_address: AddressLimit = AddressLimit()
    """Failures from one client address, whatever the names (records.address_limit)."""


def check_password_rules(password: str, field: str = "password") -> list[FieldProblem]:
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(FieldProblem(field, f"密码至少 {MIN_PASSWORD} 个字符。"))
    elif len(password) > MAX_PASSWORD:
        problems.append(FieldProblem(field, f"密码最多 {MAX_PASSWORD} 个字符。"))
    elif password.isdigit() or password.isalpha():
        problems.append(FieldProblem(field, "密码须同时包含字母和数字或符号。"))
    return problems


class Accounts:
    def __init__(
        self,
        session: Session,
        *,
        audit: Ledger,
        hasher: PasswordHasher | None = None,
        policy: LoginPolicy = LoginPolicy(),
        clock: Callable[[], datetime] = utcnow,
        credentials: Credentials | None = None,
    ):
        """`credentials`, when given, keeps each account's signing key and certificate in step
        with its password (issued on add, re-sealed on change, replaced on reset)."""
        self.session = session
        self.credentials = credentials
        self.audit = audit
        self.hasher = hasher or PasswordHasher()
        self.policy = policy
        self.clock = clock

    # -- administration ---------------------------------------------------------------------

    def get(self, login: str) -> Staff:
        staff = self.session.scalar(select(Staff).where(Staff.login == login))
        if staff is None:
            raise NotFound("用户", login)
        return staff

    def list(self) -> list[Staff]:
        return list(self.session.scalars(select(Staff).order_by(Staff.login)))

    def add(
        self,
        login: str,
        display_name: str,
        password: str,
        departments: Iterable[Department],
        *,
        head_of: Iterable[Department] = (),
        is_admin: bool = False,
        actor: str = "system",
    ) -> Staff:
        departments, head_of = list(departments), set(head_of)
        problems = []
        if not LOGIN_RE.match(login):
            problems.append(
                FieldProblem("login", "登录名须以小写字母开头，2-32 位小写字母、数字或 . _ -。")
            )
        if not display_name.strip() or len(display_name) > 64:
            problems.append(FieldProblem("display_name", "姓名不能为空，且不超过 64 个字符。"))
        elif bad_characters(display_name):
            problems.append(FieldProblem("display_name", bad_characters(display_name)))
        if not departments and not is_admin:
            problems.append(FieldProblem("departments", "至少选择一个部门。"))
        if head_of - set(departments):
            problems.append(FieldProblem("head_of", "只能担任本人所属部门的负责人。"))
        problems += check_password_rules(password)
        if problems:
            raise ValidationFailed(problems)
        if self.session.scalar(select(Staff.id).where(Staff.login == login)) is not None:
            raise Conflict(f"登录名已存在：{login}")
        now = self.clock()
        staff = Staff(
            login=login,
            display_name=display_name.strip(),
            password_hash=self.hasher.hash(password),
            is_admin=is_admin,
            active=True,
            created_at=now,
            password_changed_at=now,
        )
        staff.departments = [
            StaffDepartment(department=d.value, role=Role.HEAD if d in head_of else Role.MEMBER)
            for d in departments
        ]
        self.session.add(staff)
        self.session.flush()
        if self.credentials is not None:
            self.credentials.issue(staff, password)
        self.audit.append(actor=actor, action="staff.add", subject=f"staff:{staff.id}")
        return staff

    def set_role(self, login: str, department: Department, role: Role, *,
                 actor: str = "system") -> Staff:
        """The administrator names who handles a department's work (policy C1): its head and
        deputies read the content of every handover it receives. Compare-and-set on the
        membership row: a role changed meanwhile by someone else is not overwritten."""
        staff = self.get(login)
        membership = next((d for d in staff.departments if d.department == department), None)
        if membership is None:
            raise ValidationFailed([FieldProblem(
                "department", f"{staff.login} 不属于{department.label_zh}，不能设置其角色。")])
        old = membership.role
        changed = self.session.execute(
            update(StaffDepartment).where(StaffDepartment.id == membership.id,
                                          StaffDepartment.role == old)
            .values(role=role.value)).rowcount
        if changed != 1:
            raise Conflict("该成员的角色刚被他人修改，请刷新后重试。")
        self.session.expire(membership)
        self.audit.append(actor=actor, action="staff.set_role", subject=f"staff:{staff.id}",
                          context={"department": department.value, "old": old,
                                   "new": role.value})
        return staff

    def disable(self, login: str, *, actor: str = "system") -> Staff:
        staff = self.get(login)
        staff.active = False
        if self.credentials is not None and (record := self.credentials.current(staff)):
            self.credentials.revoke(record, "cessation_of_operation")
        self.audit.append(actor=actor, action="staff.disable", subject=f"staff:{staff.id}")
        return staff

    def enable(self, login: str, *, actor: str = "system") -> Staff:
        """Let a disabled account sign in again (compare-and-set on `active`). Its signing
        certificate was revoked when it was disabled: the next password change issues one."""
        staff = self.get(login)
        enabled = self.session.execute(update(Staff).where(
            Staff.id == staff.id, Staff.active.is_(False)).values(active=True)).rowcount
        if enabled != 1:
            raise Conflict(f"用户 {login} 已是启用状态。")
        self.session.refresh(staff)
        record_change(self.session, self.audit, actor=actor, action="staff.enable",
                      subject=f"staff:{staff.id}")
        return staff

    def set_departments(self, login: str, departments: Iterable[Department], *,
                        actor: str = "system") -> list[Department]:
        """Make `departments` the account's departments; a department kept keeps its role
        (member, deputy or head). Returns the departments it left (their open work stays where
        it is until it is moved: records.reassignment)."""
        staff = self.get(login)
        wanted = list(dict.fromkeys(departments))
        if not wanted and not staff.is_admin:
            raise ValidationFailed([FieldProblem("departments", "至少选择一个部门。")])
        left = [d for d in staff.department_codes if d not in wanted]
        for membership in [m for m in staff.departments if m.department not in wanted]:
            staff.departments.remove(membership)
        have = {m.department for m in staff.departments}
        staff.departments.extend(StaffDepartment(department=d.value, role=Role.MEMBER.value)
                                 for d in wanted if d.value not in have)
        self.session.flush()
        record_change(self.session, self.audit, actor=actor, action="staff.set_departments",
                      subject=f"staff:{staff.id}",
                      context={"departments": [d.value for d in wanted]})
        return left

    def set_password(self, staff: Staff, password: str, *, actor: str, action: str) -> None:
        problems = check_password_rules(password)
        if problems:
            raise ValidationFailed(problems)
        staff.password_hash = self.hasher.hash(password)
        staff.password_changed_at = self.clock()
        self.session.execute(
            LoginThrottle.__table__.delete().where(LoginThrottle.login == staff.login)
        )
        self.audit.append(actor=actor, action=action, subject=f"staff:{staff.id}")

    def reset_password(self, login: str, password: str, *, actor: str = "system") -> Staff:
        """An administrator's reset: the old signing key cannot be opened without the old
        password, so a new key and certificate are issued and the old one is revoked."""
        staff = self.get(login)
        self.set_password(staff, password, actor=actor, action="staff.reset_password")
        if self.credentials is not None:
            self.credentials.issue(staff, password)
        return staff

    def change_password(self, staff: Staff, old: str, new: str) -> None:
        """The staff member's own change. The old password is checked under the same throttle
        as a sign-in (a session left open must not become a way to guess it), and the signing
        key is sealed again under the new one (the same key and certificate)."""
        action = "staff.change_password"
        try:
            self.confirm_password(staff, old, action=action)
        except AuthenticationFailed:
            raise ValidationFailed([FieldProblem("old_password", "原密码不正确。")]) from None
        self.set_password(staff, new, actor=staff.login, action=action)
        if self.credentials is not None:
            self.credentials.reseal(staff, old, new)

    def confirm_password(self, staff: Staff, password: str, *, action: str) -> None:
        """A signed-in person's password asked again for one step (changing it, confirming a
        loan at the archive desk): checked under the same throttle and lock as a sign-in, so
        that the step is no way to guess it, and recorded as `action`, not as a sign-in.
        AuthenticationFailed when wrong (the failure count is kept when the caller commits)."""
        now = self.clock()
        throttle = self._throttle(staff.login, now, action)
        if not self._verify(staff, password):
            self._record_failure(staff.login, throttle, now)
            self.audit.append(actor=staff.login, action=action, subject=f"staff:{staff.id}",
                              outcome="failed")
            raise AuthenticationFailed()
        if throttle is not None:
            self.session.delete(throttle)

    # -- sign-in ----------------------------------------------------------------------------

    def authenticate(self, login: str, password: str, *, address: str | None = None) -> Staff:
        """The staff member for these credentials, or a DomainError. Unknown names and wrong
        passwords fail alike and are throttled alike, per name and, when the client `address`
        is known (a web sign-in), per address."""
        login = login.strip().lower()[:64]
        now = self.clock()
        if address is not None:
            self._address_check(login, address, now)
        throttle = self._throttle(login, now, "auth.login")
        staff = self.session.scalar(select(Staff).where(Staff.login == login))
        if not self._verify(staff, password):
            self._record_failure(login, throttle, now)
            if address is not None:
                self.policy.per_address.count_failure(self.session, address, now)
            self.audit.append(actor=login, action="auth.login", outcome="failed")
            raise AuthenticationFailed()
        if not staff.active:
            self.audit.append(actor=login, action="auth.login", outcome="disabled")
            raise AccountDisabled()
        if throttle is not None:
            self.session.delete(throttle)
        if self.hasher.check_needs_rehash(staff.password_hash):
            staff.password_hash = self.hasher.hash(password)
        self.audit.append(actor=login, action="auth.login", subject=f"staff:{staff.id}")
        return staff

    def _address_check(self, login: str, address: str, now: datetime) -> None:
        """Raise AddressLimited while `address` is over its limit (right password or not)."""
        until = self.policy.per_address.refused_until(self.session, address, now)
        if until is not None:
            self.audit.append(actor=login, action="auth.login", outcome="address_limited")
            raise AddressLimited(until, max(1, int((until - now).total_seconds() // 60)))

    def _throttle(self, login: str, now: datetime, action: str) -> LoginThrottle | None:
        """The failure record of `login`; raises while it is locked or must wait."""
        throttle = self.session.get(LoginThrottle, login)
        if throttle is not None:
            if throttle.locked_until and throttle.locked_until > now:
                self.audit.append(actor=login, action=action, outcome="locked")
                minutes = max(1, int((throttle.locked_until - now).total_seconds() // 60))
                raise AccountLocked(throttle.locked_until, minutes)
            if throttle.next_allowed_at and throttle.next_allowed_at > now:
                wait = int((throttle.next_allowed_at - now).total_seconds()) + 1
                self.audit.append(actor=login, action=action, outcome="too_soon")
                raise LoginTooSoon(throttle.next_allowed_at, wait)
        return throttle

    def _verify(self, staff: Staff | None, password: str) -> bool:
        # An unknown name still costs one hash check, so timing does not reveal which names exist.
        stored = staff.password_hash if staff is not None else self._dummy_hash()
        try:
            return self.hasher.verify(stored, password) and staff is not None
        except (VerificationError, InvalidHashError):
            return False

    def _dummy_hash(self) -> str:
        """A hash made once per process and hasher settings: computed per request, it made
        an unknown name's first attempt twice as slow as a known one's (name enumeration)."""
        h = self.hasher
        key = (h.time_cost, h.memory_cost, h.parallelism, h.hash_len, h.salt_len)
        if key not in _DUMMY_HASHES:
            _DUMMY_HASHES[key] = h.hash("no-such-account")
        return _DUMMY_HASHES[key]

    def _record_failure(self, login: str, throttle: LoginThrottle | None, now: datetime) -> None:
        """Count one failure, atomically: many wrong passwords at once are each counted (the
        row is created once, and each increment reads the value the previous one left)."""
        insert_if_absent(self.session, LoginThrottle, "login", login=login, failures=0)
        failures = self.session.execute(
            update(LoginThrottle).where(LoginThrottle.login == login)
            .values(failures=LoginThrottle.failures + 1)
            .returning(LoginThrottle.failures)).scalar_one()
        if failures >= self.policy.max_failures:
            values = {"locked_until": now + timedelta(minutes=self.policy.lock_minutes),
                      "failures": 0, "next_allowed_at": None}
        else:
            delay = self.policy.base_delay_seconds * 2 ** (failures - 1)
            # no delay, no waiting time: a concurrent attempt that began a moment earlier
            # would otherwise find this one's `now` in its future and be told to wait
            values = {"next_allowed_at": now + timedelta(seconds=delay) if delay else None}
        self.session.execute(update(LoginThrottle).where(LoginThrottle.login == login)
                             .values(**values))
        if throttle is not None:
            self.session.expire(throttle)
