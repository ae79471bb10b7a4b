"""Staff accounts on both databases: add, validation, sign-in throttling and lock, passwords."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from records.accounts import Accounts, LoginPolicy
from records.db import make_engine, make_session_factory, migrate
from records.departments import Department
from records.errors import (
    AccountDisabled,
    AccountLocked,
    AuthenticationFailed,
    Conflict,
    LoginTooSoon,
    ValidationFailed,
)
from vault.keyring import Keyring
from vault.ledger import Ledger

PASSWORD = "Correct-horse-9"


class Clock:
    def __init__(self):
        self.now = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)

    def __call__(self):
        return self.now

    def advance(self, **kw):
        self.now += timedelta(**kw)


@pytest.fixture
def env(db_url, tmp_path):
    engine = make_engine(db_url)
    migrate(engine)
    keyring = Keyring.open(tmp_path / "keys", create=True)
    keyring.ensure()
    ledger = Ledger(tmp_path / "ledger", keyring)
    clock = Clock()
    session = make_session_factory(engine)()
    accounts = Accounts(session, audit=ledger, clock=clock,
                        hasher=PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1),
                        policy=LoginPolicy(max_failures=4, base_delay_seconds=2, lock_minutes=15))
    accounts.add("enr", "王晓燕", PASSWORD, [Department.ENR])
    session.commit()
    yield accounts, clock, ledger
    session.close()
    engine.dispose()


def test_sign_in_and_ledger(env):
    accounts, _, ledger = env
    staff = accounts.authenticate("enr", PASSWORD)
    assert staff.display_name == "王晓燕" and staff.belongs_to(Department.ENR)
    last = list(ledger.entries())[-1]
    assert (last.action, last.outcome, last.actor) == ("auth.login", "ok", "enr")


def test_wrong_password_grows_delay_then_locks(env):
    accounts, clock, ledger = env
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate("enr", "wrong-password-1")
    # Too soon: refused even with the right password, and told how long to wait.
    with pytest.raises(LoginTooSoon) as too_soon:
        accounts.authenticate("enr", PASSWORD)
    assert too_soon.value.seconds == 3  # 2 s delay, rounded up
    clock.advance(seconds=3)
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate("enr", "wrong-password-2")
    clock.advance(seconds=3)
    with pytest.raises(LoginTooSoon):  # the second delay is 4 s: it grows
        accounts.authenticate("enr", PASSWORD)
    clock.advance(seconds=2)
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate("enr", "wrong-password-3")
        clock.advance(seconds=60)
    with pytest.raises(AccountLocked) as locked:
        accounts.authenticate("enr", PASSWORD)
    assert "锁定" in locked.value.message_zh
    clock.advance(minutes=16)
    assert accounts.authenticate("enr", PASSWORD).login == "enr"
    outcomes = [e.outcome for e in ledger.entries() if e.action == "auth.login"]
    assert outcomes.count("failed") == 4 and "locked" in outcomes and outcomes[-1] == "ok"


def test_unknown_user_is_throttled_like_a_known_one(env):
    accounts, _, _ = env
    with pytest.raises(AuthenticationFailed) as unknown:
        accounts.authenticate("nobody", PASSWORD)
    assert unknown.value.message_zh == "用户名或密码不正确。"
    with pytest.raises(LoginTooSoon):
        accounts.authenticate("nobody", PASSWORD)


def test_disabled_account_cannot_sign_in(env):
    accounts, _, _ = env
    accounts.disable("enr")
    with pytest.raises(AccountDisabled):
        accounts.authenticate("enr", PASSWORD)


def test_add_validates_and_refuses_duplicates(env):
    accounts, _, _ = env
    with pytest.raises(ValidationFailed) as bad:
        accounts.add("Bad Login", "", "short", [], head_of=[Department.FIN])
    fields = {p.field for p in bad.value.problems}
    assert fields == {"login", "display_name", "departments", "head_of", "password"}
    with pytest.raises(Conflict):
        accounts.add("enr", "另一个人", PASSWORD, [Department.ACA])


def test_reset_and_change_password(env):
    accounts, clock, ledger = env
    accounts.reset_password("enr", "New-password-77")
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate("enr", PASSWORD)
    staff = accounts.get("enr")
    clock.advance(seconds=3)
    with pytest.raises(ValidationFailed):
        accounts.change_password(staff, "not-the-old-1", "Another-pass-88")
    # Guessing the old password is throttled like signing in: a session left open on a
    # shared computer must not become a way to find it.
    with pytest.raises(LoginTooSoon):
        accounts.change_password(staff, "New-password-77", "Another-pass-88")
    assert [e.outcome for e in ledger.entries() if e.action == "staff.change_password"] == [
        "failed", "too_soon"]
    clock.advance(seconds=10)
    accounts.change_password(staff, "New-password-77", "Another-pass-88")
    assert accounts.authenticate("enr", "Another-pass-88").login == "enr"
    # The stored hash is argon2, never the password.
    assert staff.password_hash.startswith("$argon2") and "Another" not in staff.password_hash
