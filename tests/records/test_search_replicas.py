"""Search replicas fed from the database (issue 15, deliverable 4): a change and its outbox row
commit or roll back together; each server's indexer applies the outbox in id order, resumes
after a crash with nothing lost or doubled, does not skip a row that commits after a later one
(PostgreSQL), rebuilds when too far behind; two servers on one PostgreSQL both find a new
handover within 2 s."""

from __future__ import annotations

import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from records.clock import utcnow
from records.indexer import IndexerLoop
from records.search_outbox import Op, OutboxEntry, enqueue, prune
from records.students import Student, StudentInput
from records.workflow import Upload
from search import SearchIndex, Visibility
from search.position import Position, position_path, read_position, write_position
from tests.conftest import _add_staff, make_app
from webapp.settings import SettingsError

SCAN = b"%PDF-1.4\n% scan\n%%EOF\n"
ON_POSTGRESQL = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def server(tmp_path, template, db_url=None, name="a"):
    """An app server of its own instance folder (its own index) in outbox mode. Copies of one
    template share the keys, as the servers of one school do."""
    config = {"DATABASE_URL": db_url} if db_url else {}
    app = make_app(tmp_path / name, template, SEARCH_UPDATES="outbox", **config)
    return app, app.extensions["handover"]


@pytest.fixture
def servers(tmp_path, instance_template):
    made = []

    def make(db_url=None, name="a"):
        made.append(server(tmp_path, instance_template, db_url, name))
        return made[-1][1]

    yield make
    for _, svc in made:
        svc.close()


def add_student(svc, name: str, day: int) -> int:
    with svc.session_factory() as db:
        sid = svc.students(db).add(StudentInput(name, "女", f"2014-05-{day:02d}", "", "", "",
                                                "家长", "13800000000"), actor_id=None,
                                   actor="t").id
        db.commit()
    return sid


def outbox(svc) -> list[tuple[str, str]]:
    with svc.session_factory() as db:
        return [tuple(r) for r in db.execute(
            select(OutboxEntry.doc_id, OutboxEntry.op).order_by(OutboxEntry.id))]


def found(svc, text: str) -> list[str]:
    """Every document id the index answers `text` with (a doubled document shows twice)."""
    hits = svc.search_index.search(text, visibility=Visibility(all=True), page_size=100).hits
    return [h.doc_id for h in hits]


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_change_and_its_outbox_row_commit_or_roll_back_together(db_url, servers):
    svc = servers(db_url)
    assert svc.indexer().run_once().rebuilt  # a replica without a position starts afresh
    with svc.session_factory() as db:
        svc.students(db).add(StudentInput("欧阳明月", "女", "2014-05-01", "", "", "", "家长",
                                          "13800000000"), actor_id=None, actor="t")
        db.flush()
        assert len(db.scalars(select(OutboxEntry)).all()) == 1  # written with the change
        db.rollback()  # the request fails: neither the student nor the row remains
    assert outbox(svc) == []
    sid = add_student(svc, "欧阳明月", 1)
    assert outbox(svc) == [(f"s{sid}", "upsert")]
    with svc.session_factory() as db:  # an id and an operation: no private value (policy C2)
        row = db.scalars(select(OutboxEntry)).one()
        assert "欧阳" not in f"{row.doc_id} {row.op}" and "138" not in row.doc_id
    assert found(svc, "欧阳明月") == []  # the request did not write the index itself
    assert svc.indexer().run_once().applied == 1
    assert found(svc, "欧阳明月") == [f"s{sid}"]


class Killed(BaseException):
    """The indexer's process dies here."""


@pytest.mark.parametrize("crash", ["before the index commit", "after the index commit"])
def test_a_killed_indexer_resumes_with_nothing_lost_or_doubled(servers, monkeypatch, crash):
    svc = servers()
    indexer = svc.indexer()
    indexer.run_once()
    names = ("慕容秋水", "司马青云", "上官飞燕")
    ids = [add_student(svc, name, day) for day, name in enumerate(names, 1)]
    before = svc.search_index.doc_count()

    applied, real = [], SearchIndex.apply

    def dies(self, docs, deleted):
        docs = list(docs)
        if crash == "after the index commit":
            real(self, docs, deleted)
        raise Killed

    monkeypatch.setattr(SearchIndex, "apply", dies)
    with pytest.raises(Killed):
        indexer.run_once()
    monkeypatch.setattr(SearchIndex, "apply", lambda self, docs, deleted: (
        applied.append([d.doc_id for d in docs]), real(self, docs, deleted)))
    # restarted: in id order, two at a time, from where it stood
    restarted = type(indexer)(svc.session_factory, svc.search_index, batch=2)
    assert restarted.run_once().applied == 3
    assert applied == [[f"s{ids[0]}", f"s{ids[1]}"], [f"s{ids[2]}"]]
    for sid, name in zip(ids, names, strict=True):
        assert found(svc, name) == [f"s{sid}"]
    assert svc.search_index.doc_count() == before + 3
    with svc.session_factory() as db:
        top = db.scalar(select(OutboxEntry.id).order_by(OutboxEntry.id.desc()).limit(1))
    assert read_position(position_path(svc.search_path)).applied == top
    assert restarted.run_once().applied == 0  # nothing twice


@ON_POSTGRESQL
def test_a_row_committed_after_a_later_one_is_not_skipped(db_url, servers):
    """Sequence ids are taken in one order and committed in another: the replica that applied
    the later id still applies the earlier one once it commits."""
    svc = servers(db_url)
    first, second = add_student(svc, "甲同学", 1), add_student(svc, "乙同学", 2)
    indexer = svc.indexer()
    indexer.run_once()

    def rename(db, sid, name):
        student = db.get(Student, sid)
        student.name = name
        svc.index_upkeep(db).student_changed(student)
        db.flush()
        return db.scalar(select(OutboxEntry.id).order_by(OutboxEntry.id.desc()).limit(1))

    slow, fast = svc.session_factory(), svc.session_factory()
    try:
        early = rename(slow, first, "诸葛流云")  # takes its id first, commits last
        late = rename(fast, second, "东方晓白")
        fast.commit()
        assert early < late
        indexer.run_once()
        assert found(svc, "东方晓白") == [f"s{second}"] and found(svc, "诸葛流云") == []
        slow.commit()
    finally:
        slow.close()
        fast.close()
    assert indexer.run_once().applied == 1
    assert found(svc, "诸葛流云") == [f"s{first}"]
    assert read_position(indexer.position_file).applied == late
    assert read_position(indexer.position_file).gaps == {}


@ON_POSTGRESQL
def test_two_servers_find_a_new_handover_within_two_seconds(db_url, servers, passwords):
    # db_url first: its schema is dropped after the servers (and their indexers) stop
    a, b = servers(db_url, "a"), servers(db_url, "b")
    for login, dept in (("enr", "ENR"), ("aca", "ACA")):  # made through server A
        _add_staff(SimpleNamespace(extensions={"handover": a}), passwords, login, depts=(dept,))
    sid = add_student(a, "皇甫嘉禾", 3)
    loops = [svc.start_indexer() for svc in (a, b)]
    for loop, svc in zip(loops, (a, b), strict=True):  # each is its own host's indexer
        assert loop.holding.wait(10)
        _wait(lambda svc=svc: read_position(position_path(svc.search_path)) is not None, 60)
    second = IndexerLoop(a.indexer, a.search_path / "indexer.lock", retry=0.1).start()
    try:  # a second process on host A waits, it does not index too
        time.sleep(0.5)
        assert not second.holding.is_set()
    finally:
        second.stop()

    with a.session_factory() as db:
        wf, enr = a.workflow(db), a.accounts(db).get("enr")
        h = wf.create(enr, "F2", {
            "student": sid, "course": "围棋入门", "registration_date": "2026-09-30",
            "fee_paid": "1200", "payment_method": "现金", "class_hours": 20,
            "agreement_number": "XY-9"}, uploads=[
                Upload("enrollment_agreement", "a.pdf", SCAN), Upload("paper_scan", "s.pdf", SCAN)])
        wf.submit(enr, h, passwords["enr"])
        db.commit()
        number = h.number
    committed = time.monotonic()
    seen = {}
    while len(seen) < 2 and time.monotonic() - committed < 5:
        for name, svc in (("a", a), ("b", b)):
            if name not in seen:
                with svc.session_factory() as db:
                    items = svc.finder(db).search(svc.accounts(db).get("aca"), "围棋入门").items
                if [i.key for i in items] == [number]:
                    seen[name] = time.monotonic() - committed
        time.sleep(0.05)
    assert set(seen) == {"a", "b"} and max(seen.values()) < 2.0, seen


def _wait(condition, seconds: float) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def test_a_replica_too_far_behind_is_rebuilt_and_old_rows_are_pruned(servers):
    svc = servers()
    indexer = svc.indexer()
    indexer.run_once()
    ids = [add_student(svc, name, day) for day, name in enumerate(("令狐冲天", "独孤求真"), 1)]
    assert indexer.run_once().applied == 2
    with svc.session_factory() as db:  # a week and a day later
        assert prune(db, utcnow() + timedelta(days=8), timedelta(days=7)) == 2
        db.commit()
    assert outbox(svc) == []
    assert not indexer.run_once().rebuilt  # it read the outbox a moment ago: nothing missed
    week_ago = (utcnow() - timedelta(days=7)).timestamp()
    write_position(indexer.position_file, Position(0, {}, week_ago))  # a server off all week
    svc.search_index.delete([f"s{i}" for i in ids])  # what it would not know
    assert indexer.run_once().rebuilt
    assert found(svc, "令狐冲天") == [f"s{ids[0]}"] and found(svc, "独孤求真") == [f"s{ids[1]}"]
    indexer.position_file.unlink()  # no position: rebuilt too
    assert indexer.run_once().rebuilt
    assert read_position(indexer.position_file) is not None


def test_the_worker_applies_and_prunes_the_outbox(tmp_path, instance_template):
    app, svc = server(tmp_path, instance_template)
    try:
        svc.search_index.doc_count()  # the index exists: only the worker adds to it now
        runner = app.test_cli_runner()
        assert runner.invoke(args=["worker", "--once"]).exit_code == 0
        sid = add_student(svc, "宇文朝阳", 4)
        with svc.session_factory() as db:  # and a row past the retention
            enqueue(db, f"s{sid}", Op.UPSERT, utcnow() - timedelta(days=8))
            db.commit()
        assert len(outbox(svc)) == 2
        assert runner.invoke(args=["worker", "--once"]).exit_code == 0
        assert found(svc, "宇文朝阳") == [f"s{sid}"]
        assert outbox(svc) == [(f"s{sid}", "upsert")]
    finally:
        svc.close()


@pytest.mark.parametrize("setting", [{"SEARCH_UPDATES": "sometimes"},
                                     {"SEARCH_OUTBOX_RETENTION_DAYS": 0}])
def test_a_wrong_search_setting_stops_the_start(tmp_path, instance_template, setting):
    with pytest.raises(SettingsError, match=next(iter(setting))):
        make_app(tmp_path / "x", instance_template, **setting)
