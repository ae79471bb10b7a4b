"""The past year of a synthetic school, planned in memory for records.scale_demo: its classes
and students, which handovers were made (by whom, about which student or class), when each
was triggered, created, signed, returned, corrected, withdrawn or countersigned, and what each
gave rise to or answered (obligations, policy T).

Deadlines are counted by records.timeliness with the calls the workflow makes, so lists,
supervision figures and the owed list treat them as real ones; obligations follow the keys and
owners of records.obligations, so that `Obligations.refresh` finds nothing left to derive.
Everything is cut at `now`: a handover whose countersignature would come later is still
waiting, one not yet signed is a draft. Deterministic for a seeded random generator."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from records.catalogue import get_kind
from records.obligations import F11_RULE, ReportCycle
from records.synthetic_text import COURSES
from records.synthetic_text import name as person_name
from records.timeliness import TRIGGER_FIELDS, Timeliness

__all__ = ["KIND_SHARE", "Event", "Klass", "Ob", "Person", "Plan", "Planner", "Pupil",
           "plan_classes", "plan_pupils", "shares"]

# Handovers of each kind per 1000, after a school's year: a registration per new student, a
# roster, schedule and materials per class, weekly reports with their feedback, grades and
# archives at a class's end, renewals, and refund chains that thin out link by link.
KIND_SHARE = {"F1": 110, "F2": 150, "F3": 25, "F4": 25, "F5": 25, "F6": 140, "F6b": 120,
              "F7": 85, "F8": 85, "F9": 115, "F10": 35, "F11": 32, "F12": 28, "F13": 25}
# What becomes of a handover, per 1000 (cut at `now`, a recent one is still on its way).
FATES = {"normal": 900, "corrected": 40, "returned": 10, "withdrawn_draft": 15,
         "withdrawn_sent": 10, "abandoned": 10, "stuck": 15}
# The fate that leaves a handover in each status for good (small instances show every one).
FATE_OF_STATUS = {"draft": "abandoned", "submitted": "stuck", "returned": "returned",
                  "withdrawn": "withdrawn_draft"}
STATUS_AFTER = {"created": "draft", "submitted": "submitted", "countersigned": "completed",
                "returned": "returned", "corrected": "draft", "withdrawn": "withdrawn"}
ANSWERING = frozenset({"submitted", "completed", "returned"})
RETURN_REASONS = ("缴费凭证不清晰，请重新上传", "学生名单与报名记录不符，请核对", "缺少家长签字",
                  "日期填写有误，请更正", "成绩表漏填一项，请补充")
WITHDRAW_REASONS = ("重复填写，撤回", "学生尚未确认报名，暂缓交接", "填错学生，重新填写")
WAIVER_REASONS = ("任课教师病假，本周停课，无进度可报", "学生已退费离班，无需再交",
                  "该班本周期为考试周，合并到下期报告", "学生转班，由新班级负责")
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


@dataclass(slots=True, eq=False)
class Person:
    id: int
    login: str
    name: str
    dept: str


@dataclass(slots=True, eq=False)
class Pupil:
    index: int
    name: str
    gender: str
    birth: date
    registered: datetime
    """When the student registered (their F2's trigger), also the registry entry's time."""
    classes: list[Klass] = field(default_factory=list)
    number: str = ""
    id: int | None = None


@dataclass(slots=True, eq=False)
class Klass:
    index: int
    name: str
    course: str
    teacher: Person
    head: Person
    starts_on: date
    ends_on: date
    schedule: str
    place: str
    members: list[Pupil] = field(default_factory=list)
    cycle_weeks: int | None = None
    """1 or 2 when the class reports weekly or fortnightly (policy T3a); None: no cycle."""
    report_weekday: int = 5
    report_hour: int = 16
    id: int | None = None

    @property
    def first_week(self) -> date:
        return self.starts_on - timedelta(days=self.starts_on.weekday())


@dataclass(slots=True, eq=False)
class Event:
    action: str
    at: datetime
    version: int
    actor: Person
    note: str | None = None


@dataclass(slots=True, eq=False)
class Plan:
    kind: str
    sender: Person
    day: date | None
    """The date the form is about: its trigger date, a period's Monday, a class's start."""
    student: Pupil | None = None
    klass: Klass | None = None
    parent: Plan | None = None
    pupils: list[Pupil] = field(default_factory=list)
    fate: str = "normal"
    named: Person | None = None
    """The receiver named when it was made (None: anyone of the receiving department)."""
    money: dict | None = None
    answers: list[Ob] = field(default_factory=list)
    trigger_at: datetime | None = None
    due_at: datetime | None = None
    created_at: datetime | None = None
    submitted_at: datetime | None = None
    receive_due_at: datetime | None = None
    completed_at: datetime | None = None
    status: str = "draft"
    receiver: Person | None = None
    events: list[Event] = field(default_factory=list)
    number: str = ""
    id: int | None = None

    @property
    def linked(self) -> list[Pupil]:
        """The students the handover concerns (its student and student-list fields)."""
        return ([self.student] if self.student else []) + self.pupils


@dataclass(slots=True, eq=False)
class Ob:
    """One obligation (records.obligation_model), before it has an id."""

    key: str
    kind: str
    clause: str
    dept: str
    owner: Person | None
    trigger: datetime
    due: datetime
    student: Pupil | None = None
    klass: Klass | None = None
    source: Plan | None = None
    period: datetime | None = None
    answerer: Plan | None = None
    skipped: bool = False
    """A report period the teacher did not report on (waived before the next report)."""
    waived_by: Person | None = None
    waived_at: datetime | None = None
    reason: str | None = None


def shares(n: int, table: dict[str, int] = KIND_SHARE) -> dict[str, int]:
    """`n` split by `table` (largest remainders), at least one of each when `n` allows."""
    total = sum(table.values())
    raw = {k: n * w / total for k, w in table.items()}
    out = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: raw[k] - out[k], reverse=True)[:n - sum(out.values())]:
        out[k] += 1
    if n >= len(table):
        for k in out:
            if out[k] == 0:
                out[max(out, key=out.get)] -= 1
                out[k] = 1
    return out


def _at_work(day: date, rng: random.Random, zone) -> datetime:
    return datetime.combine(day, time(8, 30), tzinfo=zone) + timedelta(
        minutes=rng.randrange(9 * 60))


def plan_classes(count: int, n: int, teachers: list[Person], today: date,
                 rng: random.Random, zone, first_index: int = 1) -> list[Klass]:
    """`count` classes started over the last 13 months; the earliest end, so that about as
    many students finished a class as handovers of grades (F7) are planned for `n`; the rest
    run on."""
    members = max(1, n // 2 / max(count, 1))
    ended = min(count, math.ceil(shares(n)["F7"] / 0.92 / members))
    starts = sorted(today - timedelta(days=rng.randint(10, 400)) for _ in range(count))
    out = []
    for i, start in enumerate(starts):
        if i < ended and start <= today - timedelta(days=63):
            end = start + timedelta(weeks=rng.randint(8, 20))
            end = min(max(end, today - timedelta(days=330)), today - timedelta(days=3))
        else:
            end = max(start + timedelta(weeks=8), today + timedelta(days=rng.randint(7, 150)))
        course = rng.choice(COURSES)
        teacher = rng.choice(teachers)
        season = "春季" if start.month in (2, 3, 4, 5) else "暑期" if start.month in (6, 7, 8) \
            else "秋季" if start.month in (9, 10, 11) else "寒假"
        out.append(Klass(first_index + i, f"{course}{start.year}{season}{first_index + i}班",
                         course, teacher, rng.choice((teacher, rng.choice(teachers))), start,
                         end, rng.choice(SCHEDULES), rng.choice(PLACES)))
    return out


SCHEDULES = ("每周六 09:00-11:00", "每周六 14:00-16:00", "每周日 09:30-11:30",
             "每周三 18:30-20:00", "每周五 18:30-20:30")
PLACES = ("本校一楼 101 教室", "本校二楼 203 教室", "本校三楼 302 教室", "分校区 A 座 5 楼")


def plan_pupils(count: int, klasses: list[Klass], today: date, rng: random.Random, zone,
                taken: Callable[[str, date], bool], first_index: int = 1) -> list[Pupil]:
    """`count` students, each in a class (one in ten in a second, later one), registered a
    few days to a month before their first class started; (name, birth date) never repeats,
    nor matches one `taken` reports (the registry's duplicate check)."""
    out = []
    seen: set[tuple[str, date]] = set()
    for i in range(count):
        klass = klasses[i % len(klasses)] if i < len(klasses) else rng.choice(klasses)
        while True:
            name = person_name(rng)
            birth = date(today.year - rng.randint(6, 16), rng.randint(1, 12), rng.randint(1, 28))
            if (name, birth) not in seen and not taken(name, birth):
                break
        seen.add((name, birth))
        day = min(klass.starts_on - timedelta(days=rng.randint(2, 30)), today)
        pupil = Pupil(first_index + i, name, rng.choice(("男", "女")), birth,
                      _at_work(day, rng, zone), [klass])
        klass.members.append(pupil)
        if rng.random() < 0.1:
            later = [k for k in klasses if k.starts_on > klass.starts_on]
            if later:
                second = rng.choice(later)
                pupil.classes.append(second)
                second.members.append(pupil)
        out.append(pupil)
    return out


class Planner:
    """The handovers and obligations of a year, for the staff, classes and students given."""

    def __init__(self, rng: random.Random, timeliness: Timeliness, now: datetime,
                 staff: dict[str, list[Person]], klasses: list[Klass]):
        self.rng, self.t, self.now = rng, timeliness, now
        self.zone = timeliness.calendar.zone
        self.today = now.astimezone(self.zone).date()
        self.window = self.today - timedelta(days=365)
        self.staff, self.klasses = staff, klasses
        self.plans: list[Plan] = []
        self.obs: list[Ob] = []

    # -- the year ---------------------------------------------------------------------------

    def plan(self, n: int) -> tuple[list[Plan], list[Ob]]:
        want = shares(n)
        self._registrations(want["F2"])
        self._class_start(want)
        self._reports(want["F6"])
        self._class_end(want["F7"], want["F8"])
        self._refunds(want["F10"])
        self._follow_ups("F6", "F6b", want["F6b"])
        for parent, child in (("F10", "F11"), ("F11", "F12"), ("F12", "F13")):
            self._follow_ups(parent, child, want[child])
        self._free(n - len(self.plans))
        self._settle_obligations()
        return self.plans, self.obs

    # -- one handover's life ----------------------------------------------------------------

    def _new(self, kind: str, sender: Person, day: date | None, **kw) -> Plan:
        plan = Plan(kind, sender, day, fate=self._fate(), **kw)
        if self.rng.random() < 0.2:
            plan.named = self._anyone(get_kind(kind).receiver.value)
        self.plans.append(plan)
        return plan

    def _fate(self) -> str:
        return self.rng.choices(list(FATES), list(FATES.values()))[0]

    def _anyone(self, dept: str) -> Person:
        return self.rng.choice(self.staff[dept])

    def _schedule(self, plan: Plan, created: datetime, answered_due: datetime | None = None,
                  event: datetime | None = None) -> Plan:
        """The sender's deadline as the workflow sets it, then the handover's life."""
        kind = get_kind(plan.kind)
        values = {TRIGGER_FIELDS[kind.code]: plan.day} if kind.code in TRIGGER_FIELDS else {}
        plan.trigger_at, plan.due_at = self.t.sender_deadline(kind, values, answered_due, event)
        self._live(plan, created)
        return plan

    def _live(self, plan: Plan, created: datetime) -> None:
        rng, now = self.rng, self.now
        created = min(created, now - timedelta(minutes=rng.randint(1, 120)))
        plan.created_at = created
        sender, fate = plan.sender, plan.fate
        events = [Event("created", created, 1, sender)]
        receiver = plan.named or self._anyone(get_kind(plan.kind).receiver.value)
        if fate == "withdrawn_draft":
            events.append(Event("withdrawn", created + HOUR * rng.uniform(2, 72), 1, sender,
                                rng.choice(WITHDRAW_REASONS)))
        elif fate != "abandoned":
            submitted = self._submit_time(created, plan.due_at)
            events.append(Event("submitted", submitted, 1, sender))
            version = 1
            if fate == "withdrawn_sent":
                events.append(Event("withdrawn", submitted + HOUR * rng.uniform(0.5, 6), 1,
                                    sender, rng.choice(WITHDRAW_REASONS)))
            elif fate in ("corrected", "returned"):
                back = submitted + HOUR * rng.uniform(0.5, 20)
                events.append(Event("returned", back, 1, receiver, rng.choice(RETURN_REASONS)))
                if fate == "corrected":
                    again = back + HOUR * rng.uniform(2, 48)
                    events += [Event("corrected", again, 2, sender, "已按退回意见更正"),
                               Event("submitted", again, 2, sender)]
                    submitted, version = again, 2
            if fate in ("normal", "corrected"):
                events.append(Event("countersigned", self._receive_time(submitted), version,
                                    receiver))
        plan.events = [e for e in events if e.at <= now]
        plan.status = STATUS_AFTER[plan.events[-1].action]
        for e in plan.events:
            if e.action == "submitted":
                plan.submitted_at = e.at
                plan.receive_due_at = self.t.receive_deadline(e.at)
            elif e.action == "countersigned":
                plan.completed_at, plan.receiver = e.at, e.actor

    def _submit_time(self, created: datetime, due: datetime | None) -> datetime:
        rng = self.rng
        if due is not None and due > created and rng.random() < 0.85:
            return created + (due - created) * rng.uniform(0.05, 0.95)
        if due is not None:
            return max(created, due) + HOUR * rng.uniform(1, 72)
        return created + HOUR * rng.uniform(0.2, 48)

    def _receive_time(self, submitted: datetime) -> datetime:
        due = self.t.receive_deadline(submitted)
        if self.rng.random() < 0.9:
            return submitted + (due - submitted) * self.rng.uniform(0.05, 0.95)
        return due + HOUR * self.rng.uniform(1, 48)

    # -- kinds by the events of the school year ---------------------------------------------

    def _members(self) -> Iterable[tuple[Klass, Pupil]]:
        return ((k, p) for k in self.klasses for p in k.members)

    def _money(self) -> dict:
        hours = self.rng.choice((16, 24, 32, 48))
        return {"hours": hours, "paid": hours * self.rng.choice((150, 180, 200, 240)),
                "done": self.rng.randint(2, hours - 2)}

    def _registrations(self, want: int) -> None:
        """F2 (policy T1b): the day a student registered; of the students who registered in
        the past year."""
        first = {p.index: p for _, p in self._members()}.values()
        pool = [p for p in first if self.window <= p.registered.astimezone(self.zone).date()]
        for pupil in self.rng.sample(pool, min(want, len(pool))):
            day = pupil.registered.astimezone(self.zone).date()
            plan = self._new("F2", self._anyone("ENR"), day, student=pupil, klass=pupil.classes[0],
                             money=self._money())
            plan.fate = "normal" if plan.fate in ("withdrawn_draft", "abandoned") else plan.fate
            # most are handed over within hours of registering (T1b: the same working day)
            lag = self.rng.uniform(0.1, 2) if self.rng.random() < 0.85 else \
                self.rng.uniform(3, 48)
            self._schedule(plan, pupil.registered + HOUR * lag)

    def _class_start(self, want: dict[str, int]) -> None:
        """F3, F5 before a class starts; F4 (policy T2) once its students' registrations are
        received, answering what each of them made owed."""
        started = [k for k in self.klasses if k.starts_on >= self.window + timedelta(days=10)]
        f4_owed: dict[int, list[Ob]] = {}
        for plan in self.plans:
            if plan.kind == "F2" and plan.completed_at is not None:
                ob = self._owed_by_receipt(plan, "F4", plan.student)
                f4_owed.setdefault(plan.klass.index, []).append(ob)
        for kind, lead in (("F3", (3, 10)), ("F5", (1, 7)), ("F4", (0, 2))):
            for klass in self.rng.sample(started, min(want[kind], len(started))):
                sender = self._anyone("ACA")
                day = klass.starts_on - timedelta(days=self.rng.randint(*lead))
                created = _at_work(day, self.rng, self.zone)
                plan = self._new(kind, sender, klass.starts_on, klass=klass)
                answered = None
                if kind == "F4":
                    plan.answers = [o for o in f4_owed.get(klass.index, [])
                                    if o.trigger <= created]
                    answered = min((o.due for o in plan.answers), default=None)
                self._schedule(plan, created, answered)
                if kind == "F4" and plan.status in ANSWERING:
                    for ob in f4_owed.get(klass.index, []):
                        if ob.trigger <= plan.submitted_at:
                            ob.answerer = plan

    def _owed_by_receipt(self, source: Plan, kind: str, student: Pupil | None) -> Ob:
        """What a countersigned handover makes owed (records.obligations.on_received)."""
        spec = get_kind(kind)
        rule = spec.deadline or F11_RULE
        received = source.completed_at
        owner = source.receiver if spec.sender.value == get_kind(source.kind).receiver.value \
            else None
        if kind == "F11" and student is not None:  # the teacher of the student's latest class
            owner = max(student.classes, key=lambda k: k.index).teacher
        key = "F4:F2:{id}:{sid}" if kind == "F4" else kind + ":handover:{id}"
        ob = Ob(key, kind, rule.clause, spec.sender.value, owner, received,
                self.t.due(received, rule), student=student, source=source)
        self.obs.append(ob)
        return ob

    def _reports(self, want: int) -> None:
        """F6 (policy T3a): classes report weekly or fortnightly; each report answers the
        earliest open period, a teacher behind leaves the latest periods open."""
        made = 0
        for klass in self.rng.sample(self.klasses, len(self.klasses)):
            if made >= want:
                break
            klass.cycle_weeks = 1 if self.rng.random() < 0.8 else 2
            klass.report_weekday = self.rng.choice((5, 5, 5, 4))
            periods = self._periods(klass)
            behind = self.rng.choice((0, 0, 0, 1, 1, 2))
            for ob in periods:
                ob.skipped = self.rng.random() < 0.03
            due = [ob for ob in periods if not ob.skipped][:max(0, len(periods) - behind)]
            for ob in due[:want - made]:
                report_day = ob.due.astimezone(self.zone).date()
                created = _at_work(report_day - timedelta(days=self.rng.choice((0, 0, 1, 2))),
                                   self.rng, self.zone)
                if created > self.now:
                    continue
                plan = self._new("F6", klass.teacher, ob.period.date(), klass=klass)
                plan.fate = plan.fate if plan.fate in ("normal", "corrected", "stuck") else "normal"
                plan.answers = [ob]
                ob.answerer = plan
                self._schedule(plan, created, ob.due)
                made += 1

    def _periods(self, klass: Klass) -> list[Ob]:
        """The class's report periods up to today (records.obligations._class_reports)."""
        cycle = ReportCycle(klass.report_weekday, klass.report_hour, klass.cycle_weeks,
                            klass.first_week)
        out = []
        for monday in cycle.periods(self.today, klass.ends_on):
            report_day = cycle.report_day(monday)
            if report_day < klass.starts_on:
                continue
            due = datetime.combine(self.t.calendar.next_workday(report_day),
                                   time(cycle.hour), tzinfo=self.zone)
            start = self.t.start_of(monday)
            out.append(Ob(f"F6:class:{{cid}}:{monday.isoformat()}", "F6", "T3a", "TEA",
                          klass.teacher, start, due, klass=klass, period=start))
        self.obs.extend(out)
        return out

    def _class_end(self, want7: int, want8: int) -> None:
        """F7 (T3b) from the teacher and F8 (T4b) from academic affairs, per student of each
        class that has ended, answering what its end made owed."""
        ended = [(k, p) for k, p in self._members() if k.ends_on <= self.today]
        for kind, want in (("F7", want7), ("F8", want8)):
            rule = get_kind(kind).deadline
            owed = {}
            for klass, pupil in ended:
                end = self.t.start_of(klass.ends_on)
                owner = klass.teacher if kind == "F7" else None
                ob = Ob(f"{kind}:class:{{cid}}:{{sid}}:{klass.ends_on.isoformat()}", kind,
                        rule.clause, "TEA" if kind == "F7" else "ACA", owner, end,
                        self.t.due(end, rule), student=pupil, klass=klass)
                self.obs.append(ob)
                owed[(klass.index, pupil.index)] = ob
            for klass, pupil in self.rng.sample(ended, min(want, len(ended))):
                sender = klass.teacher if kind == "F7" else self._anyone("ACA")
                ob = owed[(klass.index, pupil.index)]
                plan = self._new(kind, sender, klass.ends_on, student=pupil, klass=klass)
                plan.answers = [ob]
                self._schedule(plan, _at_work(klass.ends_on + timedelta(
                    days=self.rng.randint(0, 6)), self.rng, self.zone), ob.due)
                if plan.status in ANSWERING:
                    ob.answerer = plan

    def _refunds(self, want: int) -> None:
        """F10: a parent applies for a refund while the class runs."""
        for _ in range(want):
            klass, pupil = self._random_member()
            last = min(self.today, klass.ends_on)
            if last <= klass.starts_on:
                continue
            day = max(self.window, klass.starts_on + timedelta(
                days=self.rng.randint(1, (last - klass.starts_on).days)))
            plan = self._new("F10", self._anyone("FIN"), day, student=pupil, klass=klass,
                             money=self._money())
            self._schedule(plan, _at_work(day, self.rng, self.zone))

    def _random_member(self) -> tuple[Klass, Pupil]:
        klass = self.rng.choice(self.klasses)
        while not klass.members:
            klass = self.rng.choice(self.klasses)
        return klass, self.rng.choice(klass.members)

    def _follow_ups(self, parent_kind: str, kind: str, want: int) -> None:
        """What a countersigned handover gives rise to (T4a, the refund chain): an obligation
        per received parent, answered by the next link for most of them."""
        received = [p for p in self.plans if p.kind == parent_kind and p.completed_at]
        owed = {id(p): self._owed_by_receipt(p, kind, p.student) for p in received}
        for parent in self.rng.sample(received, min(want, len(received))):
            ob = owed[id(parent)]
            sender = ob.owner or self._anyone(get_kind(kind).sender.value)
            start = parent.completed_at + HOUR * self.rng.uniform(1, 40)
            day = min(start.astimezone(self.zone).date(), self.today)
            plan = self._new(kind, sender, day, student=parent.student, klass=parent.klass,
                             parent=parent, money=parent.money)
            members = parent.klass.members if kind == "F6b" else []
            plan.pupils = self.rng.sample(members, min(len(members), self.rng.randint(0, 2)))
            plan.answers = [ob]
            self._schedule(plan, max(start, _at_work(day, self.rng, self.zone)), ob.due,
                           parent.completed_at)
            if plan.status in ANSWERING:
                ob.answerer = plan

    def _free(self, left: int) -> None:
        """Prospects (F1) and renewals (F9), which nothing depends on: they make up the count
        and, in a small instance, show every status at least once."""
        statuses = Counter(p.status for p in self.plans)
        forced = [FATE_OF_STATUS[s] for s in FATE_OF_STATUS if not statuses[s]]
        prospects = left * KIND_SHARE["F1"] // (KIND_SHARE["F1"] + KIND_SHARE["F9"])
        for i in range(left):
            if i < prospects:
                day = self.window + timedelta(days=self.rng.randrange(365))
                plan = self._new("F1", self._anyone("ENR"), day)
            else:
                klass, pupil = self._random_member()
                last = min(self.today, klass.ends_on + timedelta(days=14))
                first = max(self.window, klass.starts_on + timedelta(days=21))
                span = max(0, (last - first).days)
                day = min(first + timedelta(days=self.rng.randint(0, span)), self.today)
                plan = self._new("F9", klass.teacher, day, student=pupil, klass=klass)
            if forced:
                plan.fate = forced.pop()
            self._schedule(plan, _at_work(plan.day, self.rng, self.zone))

    # -- obligations ------------------------------------------------------------------------

    def _settle_obligations(self) -> None:
        """An obligation is met while its answer stands as submitted (a withdrawn answer
        reopens it). Academic affairs or management waived the report periods skipped and
        one in five of the others nobody met in time."""
        rng, waivers = self.rng, self.staff["ACA"] + self.staff["MGT"]
        for ob in self.obs:
            if ob.answerer is not None and ob.answerer.status not in ANSWERING:
                ob.answerer = None
            if ob.answerer is None and (ob.skipped or (
                    ob.due < self.now - 2 * DAY and rng.random() < 0.2)):
                ob.waived_by, ob.reason = rng.choice(waivers), rng.choice(WAIVER_REASONS)
                ob.waived_at = min(self.now, ob.due + HOUR * rng.uniform(1, 20))
