"""The register of commendations and sanctions (policy S3) and the parent complaint register on
both databases: who records and decides, evidence checks, corrections as new entries, the
resolution with the parties at fault, and `complaints_against` for the figures (policy S2)."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest

from records.deadlines import SCHOOL_TZ
from records.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from records.oversight import (
    Complaints,
    ComplaintState,
    Notices,
    Register,
    complaints_against,
)

TODAY = date(2026, 10, 12)


@pytest.fixture
def env(oversight):
    return oversight


def complaints(env, session=None):
    return Complaints(session or env.session, audit=env.ledger, clock=env.clock)


def register(env):
    return Register(env.session, audit=env.ledger, clock=env.clock)


def record(env, who="aca", **kw):
    values = {"received_on": TODAY, "channel": "phone", "handovers": "JJ-2026-000001",
              "summary": "家长反映孩子张子涵报名后一周未收到课表。", **kw}
    return complaints(env).record(env.staff(who), **values)


def test_complaint_recorded_resolved_and_counted_against_the_party_at_fault(env):
    c = record(env)
    assert c.number == f"TS-2026-{c.id:06d}" and c.state == ComplaintState.OPEN
    assert complaints_against(env.session, TODAY, TODAY + timedelta(1)) == []  # open: nothing
    with pytest.raises(PermissionDenied):  # the academic office records, does not judge
        complaints(env).resolve(env.staff("aca"), c, finding="x", fault_dept="ACA")
    complaints(env).resolve(env.staff("sup"), c, finding="教务部未按时排课。",
                            fault_staff="aca2")
    other = record(env, who="mgt", received_on=TODAY - timedelta(1), channel="visit",
                   handovers="")
    complaints(env).resolve(env.staff("mgt"), other, finding="后勤安排不当", fault_dept="LOG")
    groundless = record(env)
    complaints(env).resolve(env.staff("mgt"), groundless, finding="经核实不属实。")
    env.session.commit()
    aca2 = env.staff("aca2")
    assert complaints_against(env.session, TODAY - timedelta(1), TODAY + timedelta(1)) == [
        ("ACA", aca2.id, c.id), ("LOG", None, other.id)]
    assert complaints_against(env.session, TODAY, TODAY + timedelta(1)) == [
        ("ACA", aca2.id, c.id)]
    start = datetime(2026, 10, 11, 16, 0, tzinfo=SCHOOL_TZ)  # datetimes: the school day counts
    assert len(complaints_against(env.session, start, start + timedelta(days=2))) == 2
    with pytest.raises(Conflict):
        complaints(env).resolve(env.staff("sup"), c, finding="again")
    steps = [(e.action, e.outcome) for e in env.ledger.entries(subject=f"complaint:{c.number}")]
    assert steps == [("complaint.record", "ok"), ("complaint.resolve", "denied"),
                     ("complaint.resolve", "ok")]
    assert "张子涵" not in env.ledger.path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("values", "field"), [
    ({"summary": ""}, "summary"), ({"channel": "fax"}, "channel"),
    ({"received_on": TODAY + timedelta(1)}, "received_on"),
    ({"handovers": "JJ-2026-000404"}, "handovers"),
])
def test_a_bad_complaint_names_the_field(env, values, field):
    with pytest.raises(ValidationFailed) as failed:
        record(env, **values)
    assert [p.field for p in failed.value.problems] == [field]


def test_a_teacher_neither_records_nor_sees_complaints(env):
    c = record(env)
    with pytest.raises(PermissionDenied):
        record(env, who="tea")
    with pytest.raises(NotFound):
        complaints(env).get(env.staff("tea"), c.number)
    assert complaints(env).all(env.staff("tea")) == []


def test_resolving_at_the_same_time_one_wins(env):
    c = record(env)
    env.session.commit()
    barrier, outcomes = threading.Barrier(2), []

    def run(login):
        with env.factory() as session:
            me, x = env.staff(login, session), complaints(env, session)
            found = x.get(me, c.number)
            barrier.wait()
            try:
                x.resolve(me, found, finding=f"{login} 结论", fault_dept="ACA")
                session.commit()
                outcomes.append("ok")
            except Conflict:
                session.rollback()
                outcomes.append("conflict")

    threads = [threading.Thread(target=run, args=(w,)) for w in ("sup", "mgt")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["conflict", "ok"]
    assert len(complaints_against(env.session, TODAY, TODAY + timedelta(1))) == 1


def test_register_entries_by_management_with_evidence_and_corrections(env):
    c = record(env)
    notice = Notices(env.session, audit=env.ledger, clock=env.clock).issue(
        env.staff("sup"), to_login="aca2", findings="逾期", reply_by=TODAY)
    with pytest.raises(PermissionDenied):  # the group reports; management decides (S3)
        register(env).decide(env.staff("sup"), person="aca2", kind="criticism", reason="x")
    with pytest.raises(ValidationFailed) as failed:
        register(env).decide(env.staff("mgt"), person="ghost", kind="fine", reason="",
                             notices="ZG-2026-000999", complaints="TS-1")
    assert {p.field for p in failed.value.problems} == {"person", "kind", "reason", "notices",
                                                        "complaints"}
    first = register(env).decide(env.staff("mgt"), person="aca2", kind="bonus_deduction",
                                 reason="逾期未排课导致家长投诉", handovers="JJ-2026-000001",
                                 notices=notice.number, complaints=c.number)
    fixed = register(env).decide(env.staff("mgt"), person="aca2", kind="criticism",
                                 reason="情节较轻，改为批评", corrects=first.number)
    env.session.commit()
    assert first.number.startswith("JC-2026-") and fixed.corrects_id == first.id
    assert first.evidence() == ["JJ-2026-000001", notice.number, c.number]
    aca2, tea = env.staff("aca2"), env.staff("tea")
    assert [e.number for e in register(env).of(aca2)] == [fixed.number, first.number]
    assert register(env).corrected_ids([first, fixed]) == {first.id: fixed.number}
    assert register(env).get(env.staff("sup"), first.number) is first  # the group sees all
    with pytest.raises(NotFound):
        register(env).get(tea, first.number)
    assert register(env).all(tea) == [] and register(env).of(tea) == []
    with pytest.raises(ValidationFailed):  # a correction is of the same person's entry
        register(env).decide(env.staff("mgt"), person="tea", kind="commendation",
                             reason="x", corrects=first.number)
    assert [e.action for e in env.ledger.entries(action="register.decide")
            if e.outcome == "ok"] == ["register.decide"] * 2
