"""Use cases of the class registry (班级): academic affairs sets up classes and groups students
into them (policy R-ACA, F4); a teacher sees the roster of the classes they teach (policy R-TEA);
nobody else learns even that a class roster exists (policy C1). A roster shows names (policy C2),
so every roster view is written to the ledger, with ids only (policy C3)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from records.classes import ClassMember, SchoolClass
from records.clock import utcnow
from records.departments import Department
from records.errors import Conflict, FieldProblem, NotFound, PermissionDenied, ValidationFailed
from records.staff import Staff
from records.students import Student
from records.visibility import sees_whole_registry, visible_among
from vault import Ledger

__all__ = ["ACA_ONLY", "Classes", "DEMO_CLASSES", "seed_demo_classes"]

ACA_ONLY = "只有教务部可以建立班级和分班（制度 R-ACA）。"
NAME_MAX, COURSE_MAX = 64, 100


class Classes:
    """Creating classes, enrolling and withdrawing students, and who sees which class."""

    def __init__(self, session: Session, *, audit: Ledger,
                 clock: Callable[[], datetime] = utcnow):
        self.session, self.audit, self.clock = session, audit, clock

    # -- who may do what ------------------------------------------------------------------

    @staticmethod
    def may_manage(staff: Staff) -> bool:
        # policy R-ACA: academic affairs schedules and groups students (F4 class assignment).
        return staff.active and staff.belongs_to(Department.ACA)

    def _require_manager(self, actor: Staff, action: str) -> None:
        if not self.may_manage(actor):
            raise PermissionDenied(actor.login, action, ACA_ONLY)

    def teachers(self) -> list[Staff]:
        """Active teaching staff, who may teach or head a class (policy R-TEA)."""
        staff = self.session.scalars(select(Staff).where(Staff.active.is_(True))
                                     .order_by(Staff.display_name, Staff.login))
        return [s for s in staff if s.belongs_to(Department.TEA)]

    def _teacher(self, staff_id: int | None, field: str) -> list[FieldProblem]:
        if staff_id is None:
            return []
        staff = self.session.get(Staff, staff_id)
        if staff is None or not staff.active or not staff.belongs_to(Department.TEA):
            return [FieldProblem(field, f"所选人员（编号 {staff_id}）不是在职的教学部教师。")]
        return []

    # -- creating -------------------------------------------------------------------------

    def create(self, actor: Staff, name: str, course: str, teacher_id: int | None = None,
               head_teacher_id: int | None = None, starts_on: date | None = None,
               ends_on: date | None = None) -> SchoolClass:
        self._require_manager(actor, "class.create")
        name, course = name.strip(), course.strip()
        problems = self.problems(name, course, teacher_id, head_teacher_id, starts_on, ends_on)
        if problems:
            raise ValidationFailed(problems)
        if self.session.scalar(select(SchoolClass.id).where(SchoolClass.name == name)):
            raise Conflict(f"班级名称“{name}”已存在，请换一个名称。")
        school_class = SchoolClass(name=name, course=course, teacher_id=teacher_id,
                                   head_teacher_id=head_teacher_id, starts_on=starts_on,
                                   ends_on=ends_on, active=True, created_at=self.clock())
        self.session.add(school_class)
        self.session.flush()
        self.audit.append(actor=actor.login, action="class.create",
                          subject=f"class:{school_class.id}")
        return school_class

    def problems(self, name: str, course: str, teacher_id: int | None = None,
                 head_teacher_id: int | None = None, starts_on: date | None = None,
                 ends_on: date | None = None) -> list[FieldProblem]:
        """Everything wrong with a new class's fields (the name's uniqueness aside)."""
        name, course = name.strip(), course.strip()
        problems = []
        if not name or len(name) > NAME_MAX:
            problems.append(FieldProblem("name", f"班级名称不能为空，且不超过 {NAME_MAX} 个字符。"))
        if not course or len(course) > COURSE_MAX:
            problems.append(FieldProblem("course", f"课程不能为空，且不超过 {COURSE_MAX} 个字符。"))
        problems += self._teacher(teacher_id, "teacher_id")
        problems += self._teacher(head_teacher_id, "head_teacher_id")
        if starts_on and ends_on and ends_on < starts_on:
            problems.append(FieldProblem("ends_on", "结课日期不能早于开课日期。"))
        return problems

    def set_report_cycle(self, actor: Staff, class_id: int, *, weekday: int | None,
                         hour: int | None = None, weeks: int | None = None,
                         first_week: date | None = None) -> SchoolClass:
        """policy T3a: the class's fixed report time (ISO weekday, hour, every 1 or 2 weeks,
        from the week of `first_week`). `weekday` None: the class owes no periodic report."""
        self._require_manager(actor, "class.report_cycle")
        school_class = self.get(actor, class_id)
        problems = self.report_cycle_problems(weekday, hour, weeks, first_week)
        if problems:
            raise ValidationFailed(problems)
        monday = first_week - timedelta(days=first_week.weekday()) if first_week else None
        school_class.report_weekday = weekday
        school_class.report_hour, school_class.report_cycle_weeks = (
            (hour, weeks) if weekday is not None else (None, None))
        school_class.report_first_week = monday if weekday is not None else None
        self.session.flush()
        self.audit.append(actor=actor.login, action="class.report_cycle",
                          subject=f"class:{class_id}")
        return school_class

    @staticmethod
    def report_cycle_problems(weekday: int | None, hour: int | None, weeks: int | None,
                              first_week: date | None) -> list[FieldProblem]:
        if weekday is None:
            return []
        problems = []
        if not 1 <= weekday <= 7:
            problems.append(FieldProblem("report_weekday", "报告日应为周一至周日。"))
        if hour is None or not 0 <= hour <= 23:
            problems.append(FieldProblem("report_hour", "报告时间应为 0-23 点。"))
        if weeks not in (1, 2):
            problems.append(FieldProblem("report_cycle_weeks", "报告周期应为每周或每两周。"))
        if first_week is None:
            problems.append(FieldProblem("report_first_week", "请填写第一个报告周期的日期。"))
        return problems

    # -- finding --------------------------------------------------------------------------

    def every(self) -> list[SchoolClass]:
        """Every class, running ones first (for operators: names and counts are not private)."""
        return list(self.session.scalars(self._ordered()))

    @staticmethod
    def _ordered():
        return select(SchoolClass).order_by(SchoolClass.active.desc(), SchoolClass.name)

    def visible_classes(self, staff: Staff) -> list[SchoolClass]:
        """ENR and ACA: every class; a teacher: the classes they teach or head; others: none."""
        stmt = self._ordered()
        if sees_whole_registry(staff):
            return self.every()
        if not staff.active:
            return []
        # policy R-TEA, C1: a teacher sees their own classes and no one else's.
        return list(self.session.scalars(stmt.where(or_(
            SchoolClass.teacher_id == staff.id, SchoolClass.head_teacher_id == staff.id))))

    def get(self, actor: Staff, class_id: int) -> SchoolClass:
        """A class `actor` may see; NotFound otherwise, with no hint that it exists (policy C1)."""
        school_class = self.session.get(SchoolClass, class_id)
        if school_class is None or not self.sees(actor, school_class):
            raise NotFound("班级", str(class_id))
        return school_class

    @staticmethod
    def sees(staff: Staff, school_class: SchoolClass) -> bool:
        if sees_whole_registry(staff):
            return True
        # policy R-TEA, C1: a teacher sees their own classes and no one else's.
        return staff.active and staff.id in (school_class.teacher_id, school_class.head_teacher_id)

    def by_name(self, name: str) -> SchoolClass:
        school_class = self.session.scalar(select(SchoolClass).where(
            SchoolClass.name == name.strip()))
        if school_class is None:
            raise NotFound("班级", name)
        return school_class

    # -- the roster -----------------------------------------------------------------------

    def roster(self, actor: Staff, class_id: int) -> list[Student]:
        """The current members `actor` may see, by 学号; the view is recorded (policy C3)."""
        school_class = self.get(actor, class_id)
        ids = visible_among(self.session, actor, school_class.student_ids)
        students = list(self.session.scalars(
            select(Student).where(Student.id.in_(ids)).order_by(Student.student_no))) if ids else []
        # policy C2: ids only in the ledger, never a name.
        self.audit.append(actor=actor.login, action="class.roster",
                          subject=f"class:{class_id}", reason="查看班级名单",
                          context={"ids": [s.id for s in students]})
        return students

    def student_ids_by_number(self, numbers: Iterable[str]) -> list[int]:
        """The ids of the students with these 学号; ValidationFailed names the unknown ones."""
        wanted = [n.strip().upper() for n in numbers if n.strip()]
        found = dict(self.session.execute(
            select(Student.student_no, Student.id).where(Student.student_no.in_(wanted))).all())
        unknown = [n for n in wanted if n not in found]
        if unknown:
            raise ValidationFailed([FieldProblem(
                "student_no", "未找到学号：" + "、".join(unknown))])
        return [found[n] for n in dict.fromkeys(wanted)]

    # -- enrolling and leaving ------------------------------------------------------------

    def enrol(self, actor: Staff, class_id: int, student_ids: Sequence[int]) -> list[int]:
        """Add students to a class (policy F4: grouping); returns the ids newly enrolled.
        A student who left earlier comes back on the same row (one row per class and student)."""
        self._require_manager(actor, "class.enrol")
        school_class = self.get(actor, class_id)
        rows = {m.student_id: m for m in school_class.members}
        added, now = [], self.clock()
        for student_id in dict.fromkeys(student_ids):
            if self.session.get(Student, student_id) is None:
                raise NotFound("学生", str(student_id))
            member = rows.get(student_id)
            if member is not None and member.left_at is None:
                continue
            if member is None:
                member = ClassMember(class_id=class_id, student_id=student_id, joined_at=now)
                self.session.add(member)
                school_class.members.append(member)
            else:
                member.joined_at, member.left_at = now, None
            added.append(student_id)
        self.session.flush()
        if added:
            self.audit.append(actor=actor.login, action="class.enrol",
                              subject=f"class:{class_id}", context={"ids": added})
        return added

    def leave(self, actor: Staff, class_id: int, student_id: int) -> ClassMember:
        """Withdraw a student: the member row stays, with `left_at` set (nothing is deleted)."""
        self._require_manager(actor, "class.leave")
        school_class = self.get(actor, class_id)
        member = next((m for m in school_class.members
                       if m.student_id == student_id and m.left_at is None), None)
        if member is None:
            raise NotFound("班级学生", str(student_id))
        member.left_at = self.clock()
        self.session.flush()
        self.audit.append(actor=actor.login, action="class.leave", subject=f"class:{class_id}",
                          context={"ids": [student_id]})
        return member


# Two demo classes (name, course); each gets the demo teacher and three demo students.
DEMO_CLASSES = (("少儿英语春季A班", "少儿英语"), ("少儿编程春季B班", "少儿编程"))


def seed_demo_classes(classes: Classes, aca: Staff, teacher: Staff,
                      student_ids: Sequence[int], today: date) -> list[SchoolClass]:
    """The demo classes, made by `aca`, taught and headed by `teacher`, three students each
    (the first six of `student_ids`), dated around `today` so that the demo always has
    something owed: the first ended three days ago (grades and archives owed, T3b, T4b), the
    second runs on with a weekly report every Friday at 16:00 since three weeks ago (T3a).
    Idempotent: a class that exists is left as it is."""
    made = []
    for i, (name, course) in enumerate(DEMO_CLASSES):
        try:
            classes.by_name(name)
            continue
        except NotFound:
            pass
        ended = i == 0
        school_class = classes.create(
            aca, name, course, teacher_id=teacher.id, head_teacher_id=teacher.id,
            starts_on=today - timedelta(days=120 if ended else 60),
            ends_on=today - timedelta(days=3) if ended else today + timedelta(days=60))
        classes.enrol(aca, school_class.id, list(student_ids[3 * i:3 * i + 3]))
        if not ended:
            classes.set_report_cycle(aca, school_class.id, weekday=5, hour=16, weeks=1,
                                     first_week=today - timedelta(days=21))
        made.append(school_class)
    return made
