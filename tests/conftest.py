"""Fixtures shared by the whole suite: database URLs (SQLite always, PostgreSQL when it is
reachable), an initialised app on a temporary instance folder, its client and CLI runner."""

from __future__ import annotations

import secrets
import shutil
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_BASE = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/test"


def _postgres_reachable() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def private_pg_schema() -> Iterator[str]:
    """The URL of a fresh, empty schema in PostgreSQL, dropped afterwards; the test is
    skipped when PostgreSQL is not reachable."""
    if not _postgres_reachable():
        pytest.skip(f"PostgreSQL not reachable on {PG_HOST}:{PG_PORT}: its variant is skipped")
    from sqlalchemy import create_engine, text

    schema = "t_" + secrets.token_hex(6)
    admin = create_engine(PG_BASE)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path: Path):
    """A fresh, empty database: an SQLite file, or a private schema in PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    with private_pg_schema() as url:
        yield url


def make_app(instance: Path, template: Path | None = None, **config):
    """An initialised app on `instance`. With `template`, the instance starts as a copy of an
    already initialised one (keys, PKI, schema): making a school CA and TSA key per test would
    cost about a second each."""
    from webapp import create_app

    if template is not None and not instance.exists():
        shutil.copytree(template, instance)
    app = create_app({"INSTANCE": instance, "TESTING": True, "PASSWORD_HASH_COST": "low",
                      **config})
    with app.app_context():
        app.extensions["handover"].initialise()
    return app


@pytest.fixture(scope="session")
def instance_template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("template") / "instance"
    make_app(folder).extensions["handover"].close()
    return folder


@pytest.fixture
def app(request, tmp_path: Path, instance_template: Path):
    """An initialised app on a fresh copy of the template instance; for tests that use
    `sample_handovers`, a copy of the instance that already holds them."""
    template = instance_template
    if "sample_handovers" in request.fixturenames:
        template = request.getfixturevalue("populated_template").folder
    app = make_app(tmp_path / "instance", template)
    yield app
    app.extensions["handover"].close()


@pytest.fixture
def app_factory(tmp_path: Path):
    """Makes further initialised apps, e.g. a fresh instance to restore a backup into."""
    made = []

    def factory(name: str, **config):
        made.append(make_app(tmp_path / name, **config))
        return made[-1]

    yield factory
    for extra in made:
        extra.extensions["handover"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login_client(app):
    """A test client signed in as `login` (through the real login form, CSRF included)."""
    import re

    def signed_in(login: str, password: str):
        client = app.test_client()
        html = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        r = client.post("/login", data={"csrf_token": token, "login": login,
                                        "password": password})
        assert r.status_code == 302, login
        return client

    return signed_in


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def passwords() -> dict[str, str]:
    """login -> password of every account add_staff made in this test."""
    return {}


def _add_staff(app, passwords, login, *, depts=("ENR",), name="测试员", admin=False, heads=()):
    from records.departments import Department

    password = "Passw0rd-" + secrets.token_hex(4)
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        svc.accounts(db).add(login, name, password, [Department(d) for d in depts],
                             head_of=[Department(d) for d in heads], is_admin=admin)
        db.commit()
    passwords[login] = password
    return login, password


@pytest.fixture
def add_staff(app, passwords):
    """Add a staff account directly; returns (login, password)."""

    def add(login="tester", **kw):
        return _add_staff(app, passwords, login, **kw)

    return add


SCAN_PDF = b"%PDF-1.4\n% scan\n%%EOF\n"


@dataclass(frozen=True)
class Populated:
    folder: Path
    numbers: dict[str, str]
    passwords: dict[str, str]


@pytest.fixture(scope="session")
def populated_template(tmp_path_factory, instance_template) -> Populated:
    """An instance holding staff enr, aca, tea, sup; student 李浩然; one completed F2 and one
    still waiting (and overdue) between enr and aca. Made once: signing costs."""
    folder = tmp_path_factory.mktemp("populated") / "instance"
    # pyHanko signs through asyncio.run(): in a browser test Playwright's loop is running in
    # this thread, so the signing happens in a worker thread.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(_populate, folder, instance_template).result()


def _populate(folder: Path, instance_template: Path) -> Populated:
    from records.students import StudentInput
    from records.workflow import Upload

    app = make_app(folder, instance_template)
    pw: dict[str, str] = {}
    for login, name, dept in (("enr", "王晓燕", "ENR"), ("aca", "李建国", "ACA"),
                              ("tea", "陈静", "TEA"), ("sup", "吴海涛", "SUP")):
        _add_staff(app, pw, login, name=name, depts=(dept,))
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        sid = svc.students(db).add(StudentInput("李浩然", "男", "2014-07-28", "", "", "", "李娜",
                                                "13987654321"), actor_id=None, actor="t").id
        wf = svc.workflow(db)
        enr, aca = svc.accounts(db).get("enr"), svc.accounts(db).get("aca")
        numbers = []
        for when in (datetime.now(UTC), datetime(2026, 3, 2, 2, 0, tzinfo=UTC)):
            wf.clock = lambda when=when: when
            h = wf.create(enr, "F2", {
                "student": sid, "course": "少儿编程", "registration_date": "2026-03-02",
                "fee_paid": "3200", "payment_method": "现金", "class_hours": 24,
                "agreement_number": "XY-1"}, uploads=[
                    Upload("enrollment_agreement", "a.pdf", SCAN_PDF),
                    Upload("paper_scan", "scan.pdf", SCAN_PDF)])
            wf.submit(enr, h, pw["enr"])
            numbers.append(h.number)
        wf.clock = lambda: datetime.now(UTC)
        wf.countersign(aca, wf.get(aca, numbers[0]), pw["aca"])
        db.commit()
    svc.close()
    return Populated(folder, {"done": numbers[0], "waiting": numbers[1]}, pw)


@pytest.fixture
def sample_handovers(app, populated_template, passwords):
    """The handovers of `populated_template` in this test's own copy of it (the `app`
    fixture starts from that copy). Returns {"done": number, "waiting": number}."""
    passwords.update(populated_template.passwords)
    return dict(populated_template.numbers)
