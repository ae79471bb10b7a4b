"""Approvals to view private information beyond one's own work (policy C3): request, grant
(all or less), refuse, revoke, expiry; and what a grant opens: handovers whose students and
categories it covers, the granted fields of a student's record, search, and the ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from records.approvals import Approvals, ApprovalStatus, Grant
from records.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from records.finding import visibility_for
from records.visibility import (
    Access,
    access_to,
    granted_categories,
    granting_approval,
    reading_approval,
)
from tests.records.test_workflow import submitted_f2, world  # noqa: F401  (fixture)
from vault import PrivateCategory as C

F2_NEEDS = {"name", "finances", "health"}  # the private categories of an F2 form


class Clock:
    def __init__(self):
        self.now = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)

    def __call__(self):
        return self.now


@pytest.fixture
def setup(world, app, add_staff):  # noqa: F811
    """The workflow world plus a manager (MGT) who approves and a clock to move."""
    from records.students import Student

    add_staff("mgt", name="刘志远", depts=("MGT",))
    clock = Clock()
    approvals = Approvals(world.session, audit=app.extensions["handover"].ledger, clock=clock)
    return world, approvals, clock, world.session.get(Student, world.student_id).student_no


def _request(w, approvals, number, categories=F2_NEEDS, days=7, who="tea"):
    return approvals.request(w.staff(who), [number], categories, "家长投诉，核对报名与缴费", days)


def test_a_grant_opens_exactly_what_it_covers_and_ends_by_itself(setup):
    w, approvals, clock, number = setup
    h = submitted_f2(w)
    tea, mgt = w.staff("tea"), w.staff("mgt")
    assert access_to(approvals.attach_grants(tea), h) == Access.NONE
    approval = _request(w, approvals, number)
    assert access_to(approvals.attach_grants(tea), h) == Access.NONE  # asked is not granted
    approvals.grant(mgt, approval)
    approvals.attach_grants(tea)
    assert access_to(tea, h) == Access.CONTENT
    assert granting_approval(tea, h) == reading_approval(tea, h) == approval.id
    assert granted_categories(tea, w.student_id) == {C(c) for c in F2_NEEDS}
    # The receiving department reads by its own right: nothing to cite.
    aca = approvals.attach_grants(w.staff("aca"))
    assert access_to(aca, h) == Access.CONTENT and reading_approval(aca, h) is None
    # A read under the grant cites it in the ledger.
    w.workflow.pdf(tea, h, reason="核对缴费")
    ledger = app_ledger(w)
    last = [e for e in ledger.entries(actor="tea", action="vault.get")][-1]
    assert last.context == {"approval": approval.id}
    # The window closes by itself.
    clock.now += timedelta(days=8)
    assert access_to(approvals.attach_grants(tea), h) == Access.NONE
    assert approval.status_zh(clock.now) == "已到期"


def app_ledger(w):
    return w.workflow.audit


def test_less_than_asked_opens_less(setup):
    w, approvals, clock, number = setup
    h = submitted_f2(w)
    tea, mgt = w.staff("tea"), w.staff("mgt")
    approval = _request(w, approvals, number)
    with pytest.raises(ValidationFailed) as more:  # never more than asked
        approvals.grant(mgt, approval, categories=["name", "address"])
    assert more.value.problems[0].field == "categories"
    approvals.grant(mgt, approval, categories=["name", "health"],
                    until=clock.now + timedelta(days=30))
    assert approval.granted_until == approval.requested_until  # a later end is cut
    approvals.attach_grants(tea)
    # The F2 form also carries the fee (finances): not covered, so not readable.
    assert access_to(tea, h) == Access.NONE
    assert granted_categories(tea, w.student_id) == {C.NAME, C.HEALTH}


def test_who_decides_and_who_revokes(setup):
    w, approvals, clock, number = setup
    tea, mgt, aca = w.staff("tea"), w.staff("mgt"), w.staff("aca")
    approval = _request(w, approvals, number)
    with pytest.raises(PermissionDenied):
        approvals.grant(aca, approval)  # not the management office
    own = _request(w, approvals, number, who="mgt")
    with pytest.raises(PermissionDenied, match="自己"):
        approvals.grant(mgt, own)
    with pytest.raises(ValidationFailed):
        approvals.refuse(mgt, approval, "")  # a refusal says why
    approvals.refuse(mgt, approval, "用途不明确")
    with pytest.raises(Conflict):
        approvals.grant(mgt, approval)
    second = _request(w, approvals, number)
    approvals.grant(mgt, second)
    with pytest.raises(PermissionDenied):
        approvals.revoke(aca, second)
    approvals.revoke(tea, second, "已处理完毕")  # the requester gives it up
    assert second.status == ApprovalStatus.REVOKED
    assert approvals.attach_grants(tea).approval_grants == ()
    with pytest.raises(NotFound):
        approvals.get(aca, second.id)  # others do not learn of it
    w.session.commit()  # decisions reach the ledger once committed
    actions = [e.action for e in app_ledger(w).entries() if e.subject == f"approval:{second.id}"]
    assert actions == ["approval.request", "approval.grant", "approval.revoke"]


def test_bad_requests_name_their_problems(setup):
    w, approvals, clock, number = setup
    with pytest.raises(ValidationFailed) as bad:
        approvals.request(w.staff("tea"), ["XS-1999-99999"], ["salary"], " ", 90)
    fields = {p.field: p.message_zh for p in bad.value.problems}
    assert set(fields) == {"students", "categories", "purpose", "days"}
    assert "XS-1999-99999" in fields["students"]


def test_a_form_about_several_students_needs_a_grant_for_all_of_them():
    grant = Grant(1, frozenset({1, 2}), frozenset({C.NAME, C.GRADES}), datetime.now(UTC))
    assert grant.covers({1, 2}, {C.NAME})
    assert not grant.covers({1, 3}, {C.NAME})  # a class roster naming someone else
    assert not grant.covers({1}, {C.NAME, C.HEALTH})
    assert not grant.covers(set(), {C.NAME})  # a form about nobody registered


def test_search_finds_only_what_a_grant_opens(setup):
    w, approvals, clock, number = setup
    h = submitted_f2(w)
    tea = w.staff("tea")
    approval = _request(w, approvals, number, categories=["name", "finances", "health"])
    approvals.grant(w.staff("mgt"), approval)
    vis = visibility_for(w.session, approvals.attach_grants(tea))
    assert f"h{h.id}" in vis.doc_ids
    # The student's index entry holds contacts and the address too: not covered, not found.
    assert f"s{w.student_id}" not in vis.doc_ids
