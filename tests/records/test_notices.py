"""Rectification notices (policy S1) on both databases: issue with its checks, answer, reopen,
close, who may do what (refusals in the ledger), and races: of two concurrent answers or
closes exactly one wins."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest

from records.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from records.oversight import Notices, NoticeState

TODAY = date(2026, 10, 12)  # the env clock's school day


@pytest.fixture
def env(oversight):
    return oversight


def notices(env, session=None):
    return Notices(session or env.session, audit=env.ledger, clock=env.clock)


def issue_to_aca(env, **kw):
    values = {"to_dept": "ACA", "handovers": "JJ-2026-000001", "reply_by": TODAY + timedelta(3),
              "findings": "F2 报名信息逾期未签收，请说明原因并整改。", **kw}
    notice = notices(env).issue(env.staff("sup"), **values)
    env.session.commit()
    return notice


def test_issue_answer_reopen_answer_close(env):
    n = issue_to_aca(env)
    assert n.number == f"ZG-2026-{n.id:06d}" and n.state == NoticeState.ISSUED
    assert n.cited_handovers == ["JJ-2026-000001"]
    aca2 = env.staff("aca2")  # any member of the department may answer
    assert [x.number for x in notices(env).waiting_for(aca2)] == [n.number]
    assert notices(env).get(aca2, n.number) is n
    notices(env).answer(aca2, n, "已于当日补签，并调整签收流程。")
    assert n.state == NoticeState.ANSWERED and n.last_answer.text.startswith("已于当日补签")
    assert notices(env).waiting_for(aca2) == []
    notices(env).reopen(env.staff("sup"), n, "请附上流程调整的书面说明。")
    assert n.state == NoticeState.REOPENED
    notices(env).answer(env.staff("aca"), n, "书面说明已提交。")
    notices(env).close(env.staff("mgt"), n, "整改到位。")
    env.session.commit()
    assert n.state == NoticeState.CLOSED and n.closed_at is not None
    assert [e.action for e in n.events] == ["issue", "answer", "reopen", "answer", "close"]
    entries = [e for e in env.ledger.entries(subject=f"notice:{n.number}")]
    assert [e.action for e in entries] == ["notice.issue", "notice.answer", "notice.reopen",
                                           "notice.answer", "notice.close"]
    # ids only in the ledger, never the text (policy C2)
    raw = (env.ledger.path).read_text(encoding="utf-8")
    assert "补签" not in raw and "逾期未签收" not in raw
    with pytest.raises(Conflict):
        notices(env).answer(env.staff("aca"), n, "再答一次")


def test_a_notice_to_a_person_and_who_may_see_it(env):
    n = issue_to_aca(env, to_dept="", to_login="tea", handovers="")
    tea, aca = env.staff("tea"), env.staff("aca")
    assert n.to_staff_id == tea.id and n.recipient_zh.startswith("陈静")
    assert notices(env).received(tea)[0] is n and notices(env).received(aca) == []
    with pytest.raises(NotFound):
        notices(env).get(aca, n.number)
    with pytest.raises(PermissionDenied):
        notices(env).answer(aca, n, "不是我的")
    assert [e.outcome for e in env.ledger.entries(actor="aca", action="notice.answer")] == [
        "denied"]
    assert notices(env).all(tea) == [] and notices(env).all(env.staff("mgt"))[0] is n


def test_only_the_group_and_management_issue_close_and_reopen(env):
    with pytest.raises(PermissionDenied):
        notices(env).issue(env.staff("tea"), to_dept="ACA", findings="x", reply_by=TODAY)
    n = issue_to_aca(env)
    notices(env).answer(env.staff("aca"), n, "已整改。")
    for step in (lambda x: x.close(env.staff("aca"), n), lambda x: x.reopen(
            env.staff("tea"), n, "再改")):
        with pytest.raises(PermissionDenied):
            step(notices(env))
    denied = [e.action for e in env.ledger.entries() if e.outcome == "denied"]
    assert denied == ["notice.issue", "notice.close", "notice.reopen"]


@pytest.mark.parametrize(("values", "fields"), [
    ({"findings": "  "}, {"findings"}),
    ({"reply_by": TODAY - timedelta(1)}, {"reply_by"}),
    ({"reply_by": "下周"}, {"reply_by"}),
    ({"handovers": "JJ-2026-999999"}, {"handovers"}),
    ({"obligations": "42"}, {"obligations"}),
    ({"to_dept": "", "to_login": "nobody"}, {"to_login"}),
    ({"to_dept": "", "to_login": ""}, {"to_dept"}),
    ({"to_dept": "XYZ"}, {"to_dept"}),
    ({"to_login": "tea"}, {"to_login"}),  # a department and a person: one of them
])
def test_bad_input_names_the_field_and_saves_nothing(env, values, fields):
    from sqlalchemy import func, select

    from records.oversight import RectificationNotice

    with pytest.raises(ValidationFailed) as failed:
        issue_to_aca(env, **values)
    assert {p.field for p in failed.value.problems} == fields
    env.session.rollback()
    assert env.session.scalar(select(func.count(RectificationNotice.id))) == 0


def test_overdue_when_the_reply_deadline_passed_unanswered(env):
    n = issue_to_aca(env, reply_by=TODAY)
    assert not n.overdue(TODAY) and n.overdue(TODAY + timedelta(1))
    notices(env).answer(env.staff("aca"), n, "已整改。")
    assert not n.overdue(TODAY + timedelta(1))


def _race(env, number, step, logins=("aca", "aca2")) -> list[str]:
    """Run `step(notices, notice)` in two threads, each in its own session and transaction,
    released together, acting as `logins`; returns "ok" or "conflict" per thread."""
    barrier, outcomes = threading.Barrier(2), []

    def run(login):
        with env.factory() as session:
            n = notices(env, session).get(env.staff(login, session), number)
            barrier.wait()
            try:
                step(notices(env, session), n, env.staff(login, session))
                session.commit()
                outcomes.append("ok")
            except Conflict:
                session.rollback()
                outcomes.append("conflict")

    threads = [threading.Thread(target=run, args=(who,)) for who in logins]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return sorted(outcomes)


def test_two_concurrent_answers_one_wins(env):
    n = issue_to_aca(env)
    outcomes = _race(env, n.number, lambda x, notice, me: x.answer(me, notice, f"{me.login} 答复"))
    assert outcomes == ["conflict", "ok"]
    env.session.expire_all()
    n = notices(env).get(env.staff("sup"), n.number)
    assert n.state == NoticeState.ANSWERED and [e.action for e in n.events] == ["issue", "answer"]


def test_two_concurrent_closes_one_wins(env):
    from records.oversight import RectificationNotice

    n = issue_to_aca(env)
    notices(env).answer(env.staff("aca"), n, "已整改。")
    env.session.commit()
    outcomes = _race(env, n.number, lambda x, notice, me: x.close(me, notice), ("sup", "mgt"))
    assert outcomes == ["conflict", "ok"]
    env.session.expire_all()
    closed = env.session.get(RectificationNotice, n.id)
    assert closed.state == NoticeState.CLOSED
    assert [e.action for e in closed.events].count("close") == 1

