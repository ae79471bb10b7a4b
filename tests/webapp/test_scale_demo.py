"""`handover demo --scale N` (records.scale_demo): every kind and status in the counts it
reports, numbers that agree with their counters (what is made afterwards follows them), deadlines
and obligations as the system derives them, a ledger that agrees with the database, and pages
that still answer."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from tests.conftest import make_app

N = 300
STATUS_ZH = {"草稿": "draft", "待接收": "submitted", "已完成": "completed", "已退回": "returned",
             "已撤回": "withdrawn"}


@pytest.fixture
def app(tmp_path, instance_template, db_url):
    """This module's instance on SQLite and on PostgreSQL (the login_client and runner
    fixtures use it)."""
    app = make_app(tmp_path / "instance", instance_template, DATABASE_URL=db_url)
    yield app
    app.extensions["handover"].close()


def _counted(line: str) -> dict[str, int]:
    return {name: int(count) for name, count in re.findall(r"([^\s、]+) (\d+)", line)}


@pytest.mark.slow
def test_scale_demo_counts_numbers_obligations_and_pages(app, runner, login_client):
    from records.catalogue import KINDS, get_kind
    from records.clock import utcnow
    from records.counters import Counter
    from records.forms import sample_values
    from records.handovers import Handover
    from records.ledger_check import ledger_mismatches
    from records.staff import Staff
    from records.students import Student, StudentInput
    from records.timeliness import RECEIVE_RULE
    from records.validation import validate_values

    result = runner.invoke(args=["demo", "--scale", str(N)])
    out = result.output
    assert result.exit_code == 0, out
    assert f"已生成 {N} 份交接单" in out and "handover reindex" in out
    by_kind = _counted(re.search(r"按类型：(.*)", out).group(1))
    states = re.search(rf"已生成 {N} 份交接单（(.*?)）", out).group(1)
    by_status = {STATUS_ZH[k]: v for k, v in _counted(states).items()}
    assert set(by_kind) == set(KINDS) and sum(by_kind.values()) == N
    assert set(by_status) == {"draft", "submitted", "completed", "returned", "withdrawn"}
    password = re.search(r"新工作人员共用密码：([!-~]+)", out).group(1)
    demo = dict(re.findall(r"^  (\w+) +(\S+)$", out, re.M))

    svc = app.extensions["handover"]
    with app.app_context(), svc.session_factory() as db:
        # the demo's countersigned examples (one of each kind, and a second registration and
        # refund chain: the refund before classes start), plus what --scale reported
        demo_kinds = {k: 2 if k in ("F2", "F10", "F11", "F12", "F13") else 1 for k in KINDS}
        kinds = dict(db.execute(select(Handover.kind, func.count()).group_by(Handover.kind)).all())
        assert kinds == {k: by_kind[k] + demo_kinds[k] for k in KINDS}
        statuses = dict(db.execute(select(Handover.status, func.count())
                                   .group_by(Handover.status)).all())
        assert statuses == {**by_status,
                            "completed": by_status["completed"] + sum(demo_kinds.values())}
        # every series' counter holds the highest number it gave
        for column, series in ((Handover.number, "JJ-"), (Student.student_no, "XS-")):
            for counter in db.scalars(select(Counter).where(Counter.series.like(f"{series}%"))):
                top = db.scalar(select(func.max(column)).where(column.like(f"{counter.series}%")))
                assert int(top[len(counter.series):]) == counter.value, counter.series
        # forms as a person would have typed them, deadlines as the workflow counts them
        for h in db.scalars(select(Handover)):
            for v in h.versions:
                assert validate_values(get_kind(h.kind), json.loads(v.values_json)) == []
            if h.submitted_at is not None:
                assert h.receive_due_at == svc.calendar.due_time(h.submitted_at, RECEIVE_RULE,
                                                                 svc.deadline_settings)
        workflow = svc.workflow(db)
        assert workflow.obligations.refresh(utcnow()) == 0  # nothing left to derive
        assert ledger_mismatches(db, svc.ledger.entries()) == []
        # what is made afterwards takes the next numbers, without a UNIQUE error
        year = utcnow().year
        last = db.get(Counter, f"JJ-{year}-").value
        enr = svc.accounts(db).get("enr")
        values = sample_values(get_kind("F1"))
        values["intent_date"] = utcnow().date().isoformat()
        made = workflow.create(enr, "F1", values)
        students = svc.students(db)
        before = db.get(Counter, f"XS-{year}-").value
        added = students.add(StudentInput("新同学", "男", "2015-05-05", "", "", "", "家长",
                                          "13811112222"), actor_id=None, actor="t")
        db.commit()
        assert made.number == f"JJ-{year}-{last + 1:06d}"
        assert added.student_no == f"XS-{year}-{before + 1:05d}"
        teacher = db.scalar(select(Staff.login).join(Handover, Handover.sender_id == Staff.id)
                            .where(Handover.kind == "F6", Staff.login.not_in(list(demo)))
                            .limit(1))

    pages = {"enr": demo["enr"], "aca": demo["aca"], "sup": demo["sup"], teacher: password}
    for login, pw in pages.items():
        client = login_client(login, pw)
        for path in ("/", "/handovers/", "/supervision/" if login == "sup" else "/students/"):
            assert client.get(path).status_code == 200, (login, path)
