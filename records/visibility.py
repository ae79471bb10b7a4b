"""The need-to-know rule: one function answers every "may X see Y" question about handovers
and students. Pages, exports, the CLI and search all ask it (policy C1, C3).

A person's RELATION to a handover decides what they see of it, from one table (`ACCESS`,
printed in docs/auditing.md):

- CONTENT (the form, its values, its PDF): its sender; its named receiver (after
  countersignature, the countersigner); the people who handle the receiving department's
  work, its head and deputies (records.staff.Role); while it waits, addressed to the
  department and not to a person, the members who may countersign it (they must see what
  they sign); and in the teaching department, which works by class, the teachers of every
  student it names (records.teaching); in a refund case (policy F10-F13, the steps answer one
  another through `parent_id`), whoever sends or receives one of its steps reads all of them
  (finance calculates from the teacher's F11). Drafts: the sender only.
- METADATA (number, kind, status, departments, deadlines; no content): the other members of
  the receiving department (not, in the teaching department, those who do not teach its
  students), the supervision group (policy S1) and administrators, who run the system and read
  no student content anywhere.
- NONE: everyone else, who must not learn even that the handover exists.

- Approvals under policy C3 (records.approvals: named students, categories, purpose, a time
  window) widen CONTENT: a handover whose students are all among a grant's students, and whose
  form's private categories are all among its categories, may be read under that grant; a
  granted student's record shows the granted categories. They enter here and nowhere else.
- A student's record: the registry departments see every student, others the students of the
  handovers whose content they read and of the classes they teach; of each, the categories
  their kind of work opens (records.work_categories), plus what an approval grants.

The rule also exists as SQL (`visible_handovers`, `countersignable`, `visible_students`), so
that lists filter, sort and page in the database; tests check that both forms agree."""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum, StrEnum

from sqlalchemy import ColumnElement, Select, and_, false, or_, select
from sqlalchemy.orm import Session, aliased, lazyload, object_session, selectinload

from records.catalogue import KINDS
from records.departments import Department
from records.handovers import Handover, HandoverStudent, Status
from records.money.refund_case import CASE_KINDS
from records.staff import Staff
from records.students import Student
from records.work_categories import work_categories
from vault import PrivateCategory

__all__ = ["ACCESS", "CLASS_BOUND_DEPARTMENTS", "REGISTRY_DEPARTMENTS", "Access", "Relation",
           "access_to", "content_as_member_ids", "countersignable",
           "granted_categories", "granted_handover_ids", "granting_approval", "may_countersign",
           "member_departments", "reading_approval", "relations_to",
           "sees_all_metadata", "sees_whole_registry", "shown_categories", "visible_among",
           "visible_handovers", "visible_student_ids", "visible_students"]


class Access(IntEnum):
    NONE = 0
    METADATA = 1
    CONTENT = 2


class Relation(StrEnum):
    """How a person stands to a handover (policy C1)."""

    SENDER = "sender"
    RECEIVER = "receiver"  # named, or the countersigner
    HANDLER = "handler"  # head or deputy of the receiving department
    SIGNER = "signer"  # a member who may countersign it now (addressed to the department)
    TEACHER = "teacher"  # teaches every student of a handover the teaching department receives
    CASE_PARTY = "case_party"  # sends or receives a step of the same refund case
    MEMBER = "member"  # another member of the receiving department
    SUPERVISION = "supervision"  # policy S1
    ADMIN = "admin"  # runs the system, reads no student content

    @property
    def label_zh(self) -> str:
        return _RELATION_LABELS[self]


_RELATION_LABELS = {
    Relation.SENDER: "移交人", Relation.RECEIVER: "指定接收人或签收人",
    Relation.HANDLER: "接收部门负责人、副负责人",
    Relation.SIGNER: "可签收的接收部门成员（待接收时）",
    Relation.TEACHER: "所涉全部学生的任课教师（教学部接收）",
    Relation.CASE_PARTY: "同一退费案件中任一环节的移交人或接收人",
    Relation.MEMBER: "接收部门的其他成员", Relation.SUPERVISION: "监督小组",
    Relation.ADMIN: "系统管理员",
}

# policy C1: what each relation sees of a handover; the highest of a person's relations wins.
ACCESS: dict[Relation, Access] = {
    Relation.SENDER: Access.CONTENT,
    Relation.RECEIVER: Access.CONTENT,
    Relation.HANDLER: Access.CONTENT,
    Relation.SIGNER: Access.CONTENT,
    Relation.TEACHER: Access.CONTENT,
    Relation.CASE_PARTY: Access.CONTENT,
    Relation.MEMBER: Access.METADATA,
    Relation.SUPERVISION: Access.METADATA,
    Relation.ADMIN: Access.METADATA,
}

# Departments that register students and enter their information (policy R-ENR; policy R-ACA
# double-checks and enters received information): they work with the whole registry. Everyone
# else sees a student through a handover they may read in full, or a class they teach.
REGISTRY_DEPARTMENTS = (Department.ENR, Department.ACA)
# Departments whose members work by class (policy R-TEA): a member without a handling role
# sees only what concerns the students they teach, nothing of other classes.
CLASS_BOUND_DEPARTMENTS = (Department.TEA,)


# -- the rule in Python: one handover, one person ----------------------------------------------


def member_departments(staff: Staff) -> tuple[set[str], set[str], set[str]]:
    """(handled, open, class-bound) department codes of `staff`: those they handle; those
    whose handovers they see as a member (all but the class-bound ones, unless handled);
    the class-bound ones they are a plain member of."""
    handled = {d.value for d in staff.handled}
    every = {d.value for d in staff.department_codes}
    bound = {d.value for d in CLASS_BOUND_DEPARTMENTS} & every - handled
    return handled, every - bound, bound


def _teaches_all(staff: Staff, handover: Handover) -> bool:
    students = set(handover.student_ids)
    return bool(students) and students <= staff.taught_student_ids


def relations_to(staff: Staff, handover: Handover) -> set[Relation]:
    """Every relation `staff` has to `handover` (policy C1), approvals aside."""
    out = _relations_in_memory(staff, handover)
    if _in_my_cases(staff, handover):
        out.add(Relation.CASE_PARTY)
    return out


def _relations_in_memory(staff: Staff, handover: Handover) -> set[Relation]:
    """`relations_to` but for CASE_PARTY, the one relation that asks the database."""
    if not staff.active:
        return set()
    if staff.is_admin:  # administrators read no student content, whatever else they are
        return set() if handover.status == Status.DRAFT else {Relation.ADMIN}
    out = {Relation.SENDER} if handover.sender_id == staff.id else set()
    if handover.status == Status.DRAFT:
        return out
    handled, open_, bound = member_departments(staff)
    if handover.receiver_id == staff.id:
        out.add(Relation.RECEIVER)
    if handover.receiver_dept in handled:
        out.add(Relation.HANDLER)
    if (handover.status == Status.SUBMITTED and handover.receiver_id is None
            and handover.receiver_dept in open_):
        out.add(Relation.SIGNER)
    if handover.receiver_dept in bound and _teaches_all(staff, handover):
        out.add(Relation.TEACHER)
    if handover.receiver_dept in open_:
        out.add(Relation.MEMBER)
    if staff.belongs_to(Department.SUP):
        out.add(Relation.SUPERVISION)
    return out


def _own_access(staff: Staff, handover: Handover, case_steps: set[int] | None = None) -> Access:
    # a list asks this for every row: the database is asked only when nothing else decides
    # (a list answers that for all its rows at once: `case_steps`, from case_steps_among)
    own = max((ACCESS[r] for r in _relations_in_memory(staff, handover)), default=Access.NONE)
    if own >= ACCESS[Relation.CASE_PARTY]:
        return own
    if (handover.id in case_steps) if case_steps is not None else _in_my_cases(staff, handover):
        return ACCESS[Relation.CASE_PARTY]
    return own


def access_to(staff: Staff, handover: Handover, *, case_steps: set[int] | None = None) -> Access:
    """What `staff` may see of `handover`. `case_steps`: the ids among a batch of handovers
    that are steps of `staff`'s refund cases (case_steps_among), so a list asks once."""
    own = _own_access(staff, handover, case_steps)
    if own < Access.CONTENT and granting_approval(staff, handover) is not None:  # policy C3
        return Access.CONTENT
    return own


def reading_approval(staff: Staff, handover: Handover) -> int | None:
    """The approval to cite in the ledger for a read of `handover`'s content (policy C3);
    None when the reader's own work gives them the content."""
    if _own_access(staff, handover) == Access.CONTENT:
        return None
    return granting_approval(staff, handover)


def granting_approval(staff: Staff, handover: Handover) -> int | None:
    """The id of an approval in force under which `staff` may read `handover` (policy C3), to
    be cited with every read made under it; None when there is none. Administrators read no
    student content, approved or not."""
    if handover.status == Status.DRAFT or not staff.approval_grants or staff.is_admin:
        return None
    needed = KINDS[handover.kind].private_categories
    for grant in staff.approval_grants:
        if grant.covers(handover.student_ids, needed):
            return grant.approval_id
    return None


def granted_categories(staff: Staff, student_id: int) -> frozenset[PrivateCategory]:
    """The categories of a student's record that `staff`'s approvals in force show (C3)."""
    if staff.is_admin:
        return frozenset()
    return frozenset(c for g in staff.approval_grants if student_id in g.student_ids
                     for c in g.categories)


def shown_categories(staff: Staff, student_id: int, *, own: bool) -> frozenset[PrivateCategory]:
    """What of a student's record `staff` sees: their kind of work's categories when their
    own work relates them to the student (`own`, policy C1, C2), and what approvals grant
    (policy C3). Empty: the student is not shown at all."""
    return (work_categories(staff) if own else frozenset()) | granted_categories(staff,
                                                                                  student_id)


def sees_all_metadata(staff: Staff) -> bool:
    """The supervision group (policy S1) and administrators see every handover's number,
    kind, status and deadlines, never its content."""
    return staff.is_admin or staff.belongs_to(Department.SUP)


def may_countersign(staff: Staff, handover: Handover) -> str | None:
    """None if `staff` may countersign `handover` now; otherwise why not, in Chinese. Only
    someone who may read it: its named receiver, or, addressed to the department, those who
    handle its work and the members it concerns (policy C1)."""
    if handover.status != Status.SUBMITTED:
        return "只有待接收的交接单可以签收。"
    if handover.sender_id == staff.id:
        return "不能签收自己移交的交接单。"
    if handover.receiver_id is not None and handover.receiver_id != staff.id:
        return "此交接单指定了其他接收人。"
    if handover.receiver_id is None and not relations_to(staff, handover) & {
            Relation.HANDLER, Relation.SIGNER, Relation.TEACHER}:
        return (f"只有{Department(handover.receiver_dept).label_zh}的负责人、副负责人或相关"
                "工作人员可以签收此交接单。")
    return None


def sees_whole_registry(staff: Staff) -> bool:
    return (staff.active and not staff.is_admin
            and any(staff.belongs_to(d) for d in REGISTRY_DEPARTMENTS))


def visible_student_ids(session: Session, staff: Staff) -> set[int] | None:
    """Ids of the students `staff`'s own work lets them see; None means the whole registry.
    Approvals (policy C3) add students apart: `granted_categories` says what of them shows.
    Where only a WHERE clause is needed, `visible_students` avoids loading the ids."""
    scope = visible_students(staff)
    return None if scope is None else set(session.scalars(scope))


def visible_among(session: Session, staff: Staff, student_ids: Iterable[int]) -> set[int]:
    """Those of `student_ids` that `staff`'s own work lets them see (one query at most)."""
    ids = set(student_ids)
    scope = visible_students(staff)
    if scope is None or not ids:
        return ids
    return set(session.scalars(select(Student.id).where(Student.id.in_(ids),
                                                        Student.id.in_(scope))))


def visible_students(staff: Staff) -> Select | None:
    """`visible_student_ids` as a query of student ids, for `Student.id.in_(...)`; None means
    the whole registry. Administrators: nobody (policy C1)."""
    if sees_whole_registry(staff):
        return None
    if not staff.active or staff.is_admin:
        return select(Student.id).where(false())
    via_handovers = select(HandoverStudent.student_id).join(
        Handover, HandoverStudent.handover_id == Handover.id).where(_own_content(staff))
    # policy R-TEA: teachers plan and record the learning of the students they teach.
    taught = select(Student.id).where(Student.id.in_(sorted(staff.taught_student_ids)))
    return via_handovers.union(taught)


# -- the rule as SQL: lists filter, sort and page in the database after it ------------------


def _teaches_all_sql(staff: Staff) -> ColumnElement[bool]:
    """`_teaches_all` as a WHERE clause on Handover."""
    if not staff.taught_student_ids:
        return false()
    named = aliased(HandoverStudent)  # apart from any HandoverStudent of the outer query
    mine = select(named.id).where(named.handover_id == Handover.id).correlate(Handover)
    return and_(mine.exists(), ~mine.where(
        named.student_id.not_in(sorted(staff.taught_student_ids))).exists())


def _case_steps(staff: Staff) -> Select:
    """Ids of every step of the refund cases in which `staff` sends or receives a step: up the
    `parent_id` chain from their own steps to the case's F10, then down to all of its steps
    (policy F10-F13). Recursive queries, so nothing is loaded to answer it."""
    up = select(Handover.id.label("id"), Handover.parent_id.label("parent")).where(
        Handover.kind.in_(CASE_KINDS),
        or_(Handover.sender_id == staff.id, Handover.receiver_id == staff.id)
    ).cte("case_up", recursive=True)
    parent = aliased(Handover)
    up = up.union(select(parent.id, parent.parent_id).join(up, parent.id == up.c.parent)
                  .where(parent.kind.in_(CASE_KINDS)))
    down = select(up.c.id.label("id")).cte("case_down", recursive=True)
    child = aliased(Handover)
    down = down.union(select(child.id).join(down, child.parent_id == down.c.id)
                      .where(child.kind.in_(CASE_KINDS)))
    return select(down.c.id)


def _in_my_cases(staff: Staff, handover: Handover) -> bool:
    return handover.id in case_steps_among(staff, [handover])


def case_steps_among(staff: Staff, handovers: Iterable[Handover]) -> set[int]:
    """The ids among `handovers` that are steps of a refund case in which `staff` sends or
    receives a step (relation CASE_PARTY, policy F10-F13), in one query whose cost is that of
    these handovers' cases, not of `staff`'s history: up the `parent_id` chain from each to
    its case's F10, down to every step, and is `staff` a party of one of them."""
    asked = [h for h in handovers if h.kind in CASE_KINDS and h.status != Status.DRAFT]
    session = object_session(asked[0]) if asked else None
    if session is None or not staff.active or staff.is_admin:
        return set()
    up = select(Handover.id.label("start"), Handover.id.label("id"),
                Handover.parent_id.label("parent")).where(
        Handover.id.in_(sorted(h.id for h in asked))).cte("case_up", recursive=True)
    parent = aliased(Handover)
    up = up.union(select(up.c.start, parent.id, parent.parent_id)
                  .join(up, parent.id == up.c.parent).where(parent.kind.in_(CASE_KINDS)))
    # every step below any ancestor: the case's F10 is one of them, so this is the whole case
    down = select(up.c.start.label("start"), up.c.id.label("id")).cte("case_down",
                                                                      recursive=True)
    child = aliased(Handover)
    down = down.union(select(down.c.start, child.id).join(down, child.parent_id == down.c.id)
                      .where(child.kind.in_(CASE_KINDS)))
    step = aliased(Handover)
    return set(session.scalars(
        select(down.c.start).distinct().join(step, step.id == down.c.id)
        .where(or_(step.sender_id == staff.id, step.receiver_id == staff.id))))


def _content_as_member(staff: Staff) -> ColumnElement[bool]:
    """Relations SIGNER and TEACHER as a WHERE clause on Handover (non-drafts)."""
    _, open_, bound = member_departments(staff)
    return or_((Handover.status == Status.SUBMITTED) & Handover.receiver_id.is_(None)
               & Handover.receiver_dept.in_(sorted(open_)),
               Handover.receiver_dept.in_(sorted(bound)) & _teaches_all_sql(staff))


def _own_content(staff: Staff) -> ColumnElement[bool]:
    """`_own_access(staff, h) == CONTENT` as a WHERE clause on Handover."""
    if not staff.active or staff.is_admin:
        return false()
    handled, _, _ = member_departments(staff)
    return or_(Handover.sender_id == staff.id,
               (Handover.status != Status.DRAFT)
               & or_(Handover.receiver_id == staff.id, Handover.receiver_dept.in_(sorted(handled)),
                     _content_as_member(staff),
                     Handover.kind.in_(CASE_KINDS) & Handover.id.in_(_case_steps(staff))))


def _own_metadata(staff: Staff) -> ColumnElement[bool]:
    """The relations worth METADATA only (MEMBER, SUPERVISION, ADMIN) as a WHERE clause on
    Handover."""
    if not staff.active:
        return false()
    if sees_all_metadata(staff):
        return Handover.status != Status.DRAFT
    _, open_, _ = member_departments(staff)
    return (Handover.status != Status.DRAFT) & Handover.receiver_dept.in_(sorted(open_))


def granted_handover_ids(session: Session, staff: Staff) -> set[int]:
    """Ids of the handovers an approval in force lets `staff` read (policy C3). Approvals name
    their students, so this reads the few handovers about those students, never a table."""
    if not staff.approval_grants or staff.is_admin:
        return set()
    students = {sid for g in staff.approval_grants for sid in g.student_ids}
    about = session.scalars(
        select(Handover).options(lazyload(Handover.versions), lazyload(Handover.events),
                                 selectinload(Handover.students))
        .where(Handover.status != Status.DRAFT, Handover.id.in_(
            select(HandoverStudent.handover_id).where(
                HandoverStudent.student_id.in_(students)))))
    return {h.id for h in about if granting_approval(staff, h) is not None}


def visible_handovers(session: Session, staff: Staff) -> ColumnElement[bool]:
    """`access_to(staff, h) > NONE` as a WHERE clause on Handover: what a list may show."""
    seen = [_own_content(staff), _own_metadata(staff)]
    granted = granted_handover_ids(session, staff)
    if granted:
        seen.append(Handover.id.in_(granted))
    return or_(*seen)


def content_as_member_ids(session: Session, staff: Staff) -> set[int]:
    """Ids of the handovers whose content `staff` reads as a member (SIGNER, TEACHER): for
    search, whose criteria cannot say "while it waits" or "about these students"."""
    if not staff.active or staff.is_admin:
        return set()
    return set(session.scalars(select(Handover.id).where(
        Handover.status != Status.DRAFT, _content_as_member(staff))))


def countersignable(staff: Staff) -> ColumnElement[bool]:
    """`may_countersign(staff, h) is None` as a WHERE clause on Handover: the inbox. An
    inactive account countersigns nothing (and sees nothing of its own: `_own_access`)."""
    if not staff.active or staff.is_admin:
        return false()
    handled, _, _ = member_departments(staff)
    return (Handover.status == Status.SUBMITTED) & (Handover.sender_id != staff.id) & or_(
        Handover.receiver_id == staff.id,
        Handover.receiver_id.is_(None) & or_(Handover.receiver_dept.in_(sorted(handled)),
                                             _content_as_member(staff)))
