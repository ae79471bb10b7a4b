"""`handover demo --scale N`: a school's past year at scale, N synthetic handovers of every
kind and status with about N/2 students, N/40 classes, N/500 staff, the obligations they gave
rise to and answered, archive files and loans, and access approvals (docs/operations.md).

Everything goes through the project's models, so that private fields are ciphertext and blind
indexes keyed exactly as the registry and the workflow make them; dates and deadlines follow
records.scale_plan, which counts them as the workflow does. Numbers come from the counters:
each series reserves its block before a row is written (records.counters.reserve_in_series),
so a handover made afterwards gets the next number. Rows are written in batches (a flush and a
commit per `batch` handovers); the ledger gets each state change the workflow would have
written, dated when generated, appended in one batch per commit.

Made once, not per row: a signature. Every synthetic version of a kind refers to the vault
objects of one real signed handover of that kind (the demo's: `handover demo` signs and
countersigns one of each), so its PDF shows that handover's number and values. Not made: the
search index (`handover reindex` afterwards) and face-to-face meeting records."""

from __future__ import annotations

import random
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from records.archive_rules import DEFAULT_TERMS, LoanTerms
from records.catalogue import KINDS, get_kind
from records.classes import ClassMember, SchoolClass
from records.clock import utcnow
from records.counters import yearly_numbers
from records.credentials import Credentials
from records.errors import Conflict
from records.handovers import Attachment, Handover, HandoverEvent, HandoverStudent, HandoverVersion
from records.intake import dumps
from records.obligation_model import Obligation, ObligationState
from records.scale_archive import archive_and_approvals
from records.scale_plan import (
    Klass,
    Ob,
    Person,
    Plan,
    Planner,
    Pupil,
    plan_classes,
    plan_pupils,
    shares,
)
from records.scale_values import form_values
from records.staff import Staff, StaffDepartment
from records.students import Student
from records.synthetic_text import address, phone
from records.synthetic_text import name as person_name
from records.timeliness import Timeliness
from vault import FieldCipher, Ledger

__all__ = ["ScaleDemo", "ScaleReport"]

DEPT_SHARE = {"TEA": 40, "ACA": 15, "ENR": 15, "FIN": 8, "ARC": 6, "LOG": 6, "MGT": 5, "SUP": 5}
LEDGER_ACTION = {"created": "handover.create", "submitted": "handover.submit",
                 "countersigned": "handover.countersign", "returned": "handover.return",
                 "withdrawn": "handover.withdraw"}
HEALTH = ("花生过敏", "轻度近视，坐前排", "哮喘，随身带药", "对青霉素过敏", "需按时服药")


@dataclass(frozen=True)
class Example:
    """The vault objects one real signed handover of a kind shares with its synthetic kin."""

    signed: str
    """The sender-signed PDF."""
    final: str
    """The countersigned PDF."""
    content_sha256: str | None
    """The hash printed on that form."""
    attachments: tuple[tuple, ...]
    """(code, filename, content type, size, sha256, object id) of each attachment."""


@dataclass(frozen=True)
class ScaleReport:
    """What one run made (the counts printed by `handover demo --scale`)."""

    handovers: int
    by_kind: dict[str, int]
    by_status: dict[str, int]
    students: int
    staff: int
    classes: int
    obligations: dict[str, int]
    archive_files: int
    loans: int
    approvals: int
    password: str
    """The one password of every synthetic staff member (demo data)."""
    logins: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    """Wall time of each stage."""


class ScaleDemo:
    def __init__(self, session: Session, *, cipher: FieldCipher, timeliness: Timeliness,
                 audit: Ledger, hasher: PasswordHasher, credentials: Credentials | None = None,
                 terms: LoanTerms = DEFAULT_TERMS, seed: int = 2026, batch: int = 2000,
                 progress: Callable[[str, int, int], None] | None = None,
                 clock: Callable[[], datetime] = utcnow):
        """`credentials`, when given, issues every new staff member a signing key (about 30 ms
        each); `progress(stage, done, total)` is told how far each stage is."""
        self.session, self.cipher, self.t, self.audit = session, cipher, timeliness, audit
        self.hasher, self.credentials, self.terms = hasher, credentials, terms
        self.rng, self.batch = random.Random(seed), batch
        self.documents: dict[int, list] = {}  # the material lists of the F8s, for the archive
        self.progress = progress or (lambda stage, done, total: None)
        self.clock = clock

    # -- the whole run ----------------------------------------------------------------------

    def run(self, n: int) -> ScaleReport:
        if n < 1:
            raise ValueError("n must be at least 1")
        now, timer = self.clock(), _Timer()
        self.now, self.zone = now, self.t.calendar.zone
        self.today = now.astimezone(self.zone).date()
        examples = self._examples()
        password = f"Demo-{secrets.token_hex(5)}"
        staff, logins = self._staff(max(16, n // 500), password)
        timer.lap("staff")
        klasses = plan_classes(max(2, n // 40), n, staff["TEA"], self.today, self.rng,
                               self.zone, first_index=self._count(SchoolClass) + 1)
        pupils = plan_pupils(max(4, n // 2), klasses, self.today, self.rng, self.zone,
                             self._taken(), first_index=self._count(Student) + 1)
        self._students(pupils, staff["ENR"])
        timer.lap("students")
        plans, obs = Planner(self.rng, self.t, now, staff, klasses).plan(n)
        self._classes(klasses)
        timer.lap("plan")
        self._handovers(plans, examples)
        timer.lap("handovers")
        self._obligations(obs)
        timer.lap("obligations")
        files, loans, approvals = archive_and_approvals(
            self.session, plans, pupils, staff, self.rng, now, self.t.calendar,
            documents=self.documents, slip=self._slip_object(), terms=self.terms)
        self.session.commit()
        timer.lap("archive")
        report = ScaleReport(
            handovers=len(plans), by_kind=dict(Counter(p.kind for p in plans)),
            by_status=dict(Counter(p.status for p in plans)), students=len(pupils),
            staff=len(logins), classes=len(klasses),
            obligations=dict(Counter(_state(o) for o in obs)), archive_files=files,
            loans=loans, approvals=approvals, password=password, logins=logins,
            seconds=timer.laps)
        self.audit.append(actor="demo", action="demo.scale", context={
            "handovers": report.handovers, "students": report.students, "staff": report.staff,
            "classes": report.classes, "obligations": len(obs)})
        return report

    def _count(self, model) -> int:
        return self.session.scalar(select(func.count()).select_from(model))

    # -- what is shared: one real signature per kind ----------------------------------------

    def _examples(self) -> dict[str, Example]:
        first = (select(func.min(HandoverVersion.id))
                 .join(Handover, HandoverVersion.handover_id == Handover.id)
                 .where(HandoverVersion.final_object_id.is_not(None))
                 .group_by(Handover.kind))
        rows = self.session.execute(
            select(Handover.kind, HandoverVersion)
            .join(HandoverVersion, HandoverVersion.handover_id == Handover.id)
            .where(HandoverVersion.id.in_(first))).all()
        found: dict[str, Example] = {}
        for kind, v in rows:
            found.setdefault(kind, Example(
                v.signed_object_id, v.final_object_id, v.content_sha256,
                tuple((a.code, a.filename, a.content_type, a.size, a.sha256, a.object_id)
                      for a in v.attachments)))
        missing = [k for k in KINDS if k not in found]
        if missing:
            raise Conflict("生成规模演示数据需要每种交接各有一份已签收的真实交接单（先运行 "
                           f"handover demo）；缺少：{'、'.join(missing)}")
        return found

    def _slip_object(self) -> str | None:
        from records.archive import ArchiveLoan

        return self.session.scalar(select(ArchiveLoan.slip_object_id).where(
            ArchiveLoan.slip_object_id.is_not(None)).limit(1))

    # -- people -----------------------------------------------------------------------------

    def _staff(self, count: int, password: str) -> tuple[dict[str, list[Person]], list[str]]:
        """New staff in every department (one password, hashed once), with the school's
        active staff already there: together they send and receive the handovers."""
        pools: dict[str, list[Person]] = {d: [] for d in DEPT_SHARE}
        for s in self.session.scalars(select(Staff).where(Staff.active.is_(True))):
            for d in s.department_codes:
                pools[d.value].append(Person(s.id, s.login, s.display_name, d.value))
        taken = set(self.session.scalars(select(Staff.login)))
        digest, made, k = self.hasher.hash(password), [], len(taken)
        for dept, many in shares(count, DEPT_SHARE).items():
            for _ in range(many):
                k += 1
                login = f"{dept.lower()}{k:05d}"
                while login in taken:
                    k += 1
                    login = f"{dept.lower()}{k:05d}"
                joined = self.now - timedelta(days=self.rng.randint(400, 3000))
                staff = Staff(login=login, display_name=person_name(self.rng),
                              password_hash=digest, is_admin=False, active=True,
                              created_at=joined, password_changed_at=joined,
                              departments=[StaffDepartment(department=dept)])
                self.session.add(staff)
                made.append((staff, dept))
        self.session.flush()
        for i, (staff, dept) in enumerate(made):
            if self.credentials is not None:
                self.credentials.issue(staff, password)
            pools[dept].append(Person(staff.id, staff.login, staff.display_name, dept))
            self.progress("staff", i + 1, len(made))
        self.session.commit()
        with self.audit.batch():
            for staff, _ in made:
                self.audit.append(actor="demo", action="staff.add", subject=f"staff:{staff.id}")
        return pools, [s.login for s, _ in made]

    def _taken(self) -> Callable[[str, object], bool]:
        """Whether a (name, birth date) is registered already (the duplicate check)."""
        known = set(self.session.scalars(select(Student.identity_bidx)))
        if not known:
            return lambda name, birth: False
        return lambda name, birth: self._identity(name, birth.isoformat()) in known

    def _identity(self, name: str, birth: str) -> str:
        return self.cipher.blind_index(f"{name}|{birth}", kind="identity")

    def _students(self, pupils: list[Pupil], registrars: list[Person]) -> None:
        """The registry entries, numbered in order of registration (XS- series by year)."""
        pupils.sort(key=lambda p: p.registered)
        numbers = yearly_numbers(self.session, Student.student_no, "XS-", 5,
                                 [p.registered for p in pupils])
        for p, number in zip(pupils, numbers, strict=True):
            p.number = number
        blind, rng = self.cipher.blind_index, self.rng
        for start in range(0, len(pupils), self.batch):
            chunk, rows = pupils[start:start + self.batch], []
            for p in chunk:
                birth = p.birth.isoformat()
                own = phone(rng) if p.birth.year <= self.today.year - 12 and \
                    rng.random() < 0.4 else None
                guardian = phone(rng)
                idno = _id_number(rng, p.birth, p.gender) if rng.random() < 0.5 else None
                rows.append(dict(
                    student_no=p.number, name=p.name, gender=p.gender, birth_date=birth,
                    phone=own, address=address(rng), id_number=idno,
                    guardian_name=p.name[0] + person_name(rng)[1:], guardian_phone=guardian,
                    health_notes=rng.choice(HEALTH) if rng.random() < 0.1 else None,
                    phone_bidx=own and blind(own, kind="phone"),
                    guardian_phone_bidx=blind(guardian, kind="phone"),
                    id_number_bidx=idno and blind(idno, kind="id_number"),
                    identity_bidx=self._identity(p.name, birth), created_at=p.registered,
                    created_by=rng.choice(registrars).id))
            self._insert(Student, rows)
            for p, row_id in zip(chunk, self._ids(Student.student_no, [p.number for p in chunk]),
                                 strict=True):
                p.id = row_id
            self.session.commit()
            with self.audit.batch():
                for p in chunk:
                    self.audit.append(actor="demo", action="student.add",
                                      subject=f"student:{p.id}")
            self.progress("students", start + len(chunk), len(pupils))

    def _insert(self, model, rows: list[dict]) -> None:
        """An ORM bulk INSERT of `rows`: the model's column types encrypt as in production.
        (No RETURNING: SQLAlchemy's sorted RETURNING batches cost quadratic time on SQLite;
        callers look the new ids up by their unique keys.)"""
        if rows:
            self.session.execute(insert(model), rows)

    def _ids(self, column, keys: list) -> list[int]:
        """The ids of the rows whose unique `column` holds `keys`, in that order."""
        model = column.class_
        found = dict(self.session.execute(select(column, model.id).where(column.in_(keys))).all())
        return [found[k] for k in keys]

    def _classes(self, klasses: list[Klass]) -> None:
        """Classes with their teachers, report cycles (policy T3a) and members."""
        for k in klasses:
            row = SchoolClass(
                name=k.name, course=k.course, head_teacher_id=k.head.id, teacher_id=k.teacher.id,
                starts_on=k.starts_on, ends_on=k.ends_on, active=True,
                created_at=self.t.start_of(k.starts_on - timedelta(days=30)),
                report_weekday=k.report_weekday if k.cycle_weeks else None,
                report_hour=k.report_hour if k.cycle_weeks else None,
                report_cycle_weeks=k.cycle_weeks,
                report_first_week=k.first_week if k.cycle_weeks else None)
            self.session.add(row)
            self.session.flush()
            k.id = row.id
        self._insert(ClassMember, [dict(
            class_id=k.id, student_id=p.id,
            joined_at=max(p.registered, self.t.start_of(k.starts_on) - timedelta(days=3)))
            for k in klasses for p in k.members])
        self.session.commit()
        self.session.expunge_all()

    # -- handovers --------------------------------------------------------------------------

    def _handovers(self, plans: list[Plan], examples: dict[str, Example]) -> None:
        plans.sort(key=lambda p: p.created_at)
        numbers = yearly_numbers(self.session, Handover.number, "JJ-", 6,
                                 [p.created_at for p in plans])
        for plan, number in zip(plans, numbers, strict=True):
            plan.number = number
        self.session.commit()
        for start in range(0, len(plans), self.batch):
            chunk = plans[start:start + self.batch]
            self._write(chunk, examples)
            self.session.commit()
            self._log(chunk)
            self.progress("handovers", start + len(chunk), len(plans))

    def _write(self, chunk: list[Plan], examples: dict[str, Example]) -> None:
        """One batch: handovers (a parent before its children), then their versions, the
        versions' attachments, events and student links."""
        level: dict[int, int] = {}
        for plan in chunk:
            parent = plan.parent
            level[id(plan)] = 0 if parent is None or parent.id is not None \
                else level[id(parent)] + 1
        for depth in range(max(level.values()) + 1):
            layer = [p for p in chunk if level[id(p)] == depth]
            self._insert(Handover, [self._handover(p) for p in layer])
            for plan, row_id in zip(layer, self._ids(Handover.number, [p.number for p in layer]),
                                    strict=True):
                plan.id = row_id
        versions, shared, attachments, events, links = [], [], [], [], []
        for plan in chunk:
            example = examples[plan.kind]
            values = form_values(plan, self.rng, self.today)
            if plan.kind == "F8":
                self.documents[id(plan)] = values["documents"]
            made = self._versions(plan, example, dumps(values))
            versions += made
            shared += [example.attachments] * len(made)
            events += [dict(handover_id=plan.id, version=e.version, action=e.action,
                            actor_id=e.actor.id, at=e.at, note=e.note) for e in plan.events]
            links += [dict(handover_id=plan.id, student_id=p.id)
                      for p in {p.index: p for p in plan.linked}.values()]
        self._insert(HandoverVersion, versions)
        made = dict(((h, v), i) for h, v, i in self.session.execute(
            select(HandoverVersion.handover_id, HandoverVersion.version, HandoverVersion.id)
            .where(HandoverVersion.handover_id.in_([p.id for p in chunk]))))
        version_ids = [made[(v["handover_id"], v["version"])] for v in versions]
        for files, version_id in zip(shared, version_ids, strict=True):
            attachments += [dict(version_id=version_id, code=a[0], filename=a[1],
                                 content_type=a[2], size=a[3], sha256=a[4], object_id=a[5])
                            for a in files]
        self._insert(Attachment, attachments)
        self._insert(HandoverEvent, events)
        self._insert(HandoverStudent, links)

    def _handover(self, plan: Plan) -> dict:
        kind = get_kind(plan.kind)
        receiver = plan.receiver or plan.named
        return dict(
            number=plan.number, kind=plan.kind, method=kind.method.value, status=plan.status,
            row_version=1, sender_id=plan.sender.id, sender_dept=kind.sender.value,
            receiver_dept=kind.receiver.value, receiver_id=receiver.id if receiver else None,
            parent_id=plan.parent.id if plan.parent else None,
            current_version=plan.events[-1].version, created_at=plan.created_at,
            submitted_at=plan.submitted_at, trigger_at=plan.trigger_at, due_at=plan.due_at,
            receive_due_at=plan.receive_due_at, completed_at=plan.completed_at)

    @staticmethod
    def _versions(plan: Plan, example: Example, values_json: str) -> list[dict]:
        """One version, or two when a returned handover was corrected (the first superseded);
        signed and countersigned ones refer to the kind's shared PDFs."""
        last, out = plan.events[-1].version, []
        for number in range(1, last + 1):
            events = [e for e in plan.events if e.version == number]
            signed = next((e.at for e in events if e.action == "submitted"), None)
            countersigned = next((e for e in events if e.action == "countersigned"), None)
            out.append(dict(
                handover_id=plan.id, version=number,
                status=plan.status if number == last else "superseded",
                values_json=values_json, created_by=plan.sender.id, created_at=events[0].at,
                content_sha256=example.content_sha256 if signed else None,
                signed_object_id=example.signed if signed else None, signed_at=signed,
                final_object_id=example.final if countersigned else None,
                countersigned_by=countersigned.actor.id if countersigned else None,
                countersigned_at=countersigned.at if countersigned else None,
                meeting_json=None, meeting_signed_object_id=None, meeting_final_object_id=None))
        return out

    def _log(self, plans: Iterable[Plan]) -> None:
        """The ledger entries the workflow writes after each committed step."""
        with self.audit.batch():
            for plan in plans:
                for e in plan.events:
                    action = LEDGER_ACTION.get(e.action)
                    if action:
                        self.audit.append(actor=e.actor.login, action=action,
                                          subject=f"handover:{plan.number}",
                                          context={"version": e.version})

    # -- obligations ------------------------------------------------------------------------

    def _obligations(self, obs: list[Ob]) -> None:
        step = self.batch * 4
        for start in range(0, len(obs), step):
            rows = []
            for ob in obs[start:start + step]:
                answer = ob.answerer
                rows.append(dict(
                    cause_key=ob.key.format(id=ob.source.id if ob.source else None,
                                            sid=ob.student.id if ob.student else None,
                                            cid=ob.klass.id if ob.klass else None),
                    kind=ob.kind, clause=ob.clause, owing_dept=ob.dept,
                    owing_staff_id=ob.owner.id if ob.owner else None,
                    student_id=ob.student.id if ob.student else None,
                    class_id=ob.klass.id if ob.klass else None,
                    source_handover_id=ob.source.id if ob.source else None,
                    period_start=ob.period, trigger_at=ob.trigger, due_at=ob.due,
                    state=_state(ob), answered_by_id=answer.id if answer else None,
                    answered_at=answer.submitted_at if answer else None,
                    waived_by_id=ob.waived_by.id if ob.waived_by else None,
                    waived_at=ob.waived_at, waiver_reason=ob.reason, created_at=ob.trigger))
            self._insert(Obligation, rows)
            self.session.commit()
            self.progress("obligations", min(len(obs), start + step), len(obs))


def _state(ob: Ob) -> str:
    if ob.answerer is not None:
        return ObligationState.ANSWERED
    return ObligationState.WAIVED if ob.waived_by else ObligationState.OPEN


def _id_number(rng: random.Random, birth, gender: str) -> str:
    """A well-formed resident ID number (GB 11643 check digit) that names nobody."""
    body = f"{rng.choice(('330106', '110108', '440305', '510107'))}{birth:%Y%m%d}" \
           f"{rng.randint(0, 99):02d}{rng.randrange(1 if gender == '男' else 0, 10, 2)}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
    return body + check


class _Timer:
    def __init__(self):
        self.start = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self.last, 2)
        self.last = now
