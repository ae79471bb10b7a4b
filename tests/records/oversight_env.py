"""A database (SQLite or PostgreSQL, from `db_url`) with field encryption, a ledger, a movable
clock and the staff the oversight tests need: the `oversight` fixture (records/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from records.accounts import Accounts
from records.db import make_engine, make_session_factory, migrate
from records.departments import Department as D
from records.handovers import Handover, Status
from records.staff import Staff
from vault import FieldCipher, attach_field_cipher
from vault.keyring import Keyring
from vault.ledger import Ledger

# login, name, departments, headed
PEOPLE = [("sup", "吴海涛", [D.SUP], []), ("mgt", "刘志远", [D.MGT, D.SUP], [D.MGT]),
          ("aca", "李建国", [D.ACA], [D.ACA]), ("aca2", "何芳", [D.ACA], []),
          ("tea", "陈静", [D.TEA], []), ("enr", "王晓燕", [D.ENR], [])]


class Clock:
    def __init__(self):
        self.now = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)

    def __call__(self):
        return self.now


@dataclass
class Env:
    session: Session
    factory: sessionmaker
    ledger: Ledger
    clock: Clock

    def staff(self, login: str, session: Session | None = None) -> Staff:
        return (session or self.session).scalars(select(Staff).where(Staff.login == login)).one()


def make_env(db_url: str, tmp_path):
    engine = make_engine(db_url)
    migrate(engine)
    keyring = Keyring.open(tmp_path / "keys", create=True)
    keyring.ensure()
    attach_field_cipher(engine, FieldCipher(keyring))
    ledger = Ledger(tmp_path / "ledger", keyring)
    factory = make_session_factory(engine)
    session = factory()
    accounts = Accounts(session, audit=ledger,
                        hasher=PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    for login, name, depts, heads in PEOPLE:
        accounts.add(login, name, "Passw0rd-oversight", depts, head_of=heads)
    session.flush()
    enr = session.scalars(select(Staff).where(Staff.login == "enr")).one()
    session.add(Handover(number="JJ-2026-000001", kind="F2", method="M2",
                         status=Status.SUBMITTED, sender_id=enr.id, sender_dept="ENR",
                         receiver_dept="ACA", created_at=Clock()()))
    session.commit()
    return engine, Env(session, factory, ledger, Clock())

