"""The student registry. Every private field (policy C2) is an EncryptedText column: the
database holds only ciphertext. Exact lookups (phone, ID number, duplicate check) go through
keyed blind indexes, never through the clear value."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import ForeignKey, Integer, String, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from records.clock import utcnow
from records.counters import next_in_series, raise_series_floor
from records.db import Base, UTCDateTime
from records.errors import Conflict, FieldProblem, NotFound, ValidationFailed
from records.text_rules import bad_characters
from vault import (
    EncryptedText,
    FieldCipher,
    Ledger,
    PrivateCategory,
    normalize_id_number,
    normalize_phone,
)

__all__ = ["FIELD_CATEGORY", "Student", "StudentInput", "Students", "mobile_number"]

# policy C2: the category of each private field of a student's record; an approval (policy C3)
# that grants some categories shows those fields only.
FIELD_CATEGORY = {
    "name": PrivateCategory.NAME, "id_number": PrivateCategory.IDENTITY,
    "gender": PrivateCategory.GENDER, "birth_date": PrivateCategory.AGE,
    "address": PrivateCategory.ADDRESS, "phone": PrivateCategory.CONTACT,
    "guardian_name": PrivateCategory.CONTACT, "guardian_phone": PrivateCategory.CONTACT,
    "health_notes": PrivateCategory.HEALTH,
}

SERIES_RE = re.compile(r"^(XS-\d{4}-)(\d{1,9})$")
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
GENDERS = ("男", "女")


def mobile_number(value: str) -> str | None:
    """`value` as a normalised mainland mobile number, or None when it is not one (letters,
    nothing, too short): bad input is the user's to correct, never an error of the server."""
    try:
        phone = normalize_phone(value)
    except ValueError:
        return None
    return phone if PHONE_RE.match(phone) else None


class Student(Base):
    __tablename__ = "student"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_no: Mapped[str] = mapped_column(String(32), unique=True)
    # policy C2: name, gender, age, address, contact, health: ciphertext only
    name: Mapped[str] = mapped_column(EncryptedText("student.name"))
    gender: Mapped[str | None] = mapped_column(EncryptedText("student.gender"))
    birth_date: Mapped[str | None] = mapped_column(EncryptedText("student.birth_date"))
    phone: Mapped[str | None] = mapped_column(EncryptedText("student.phone"))
    address: Mapped[str | None] = mapped_column(EncryptedText("student.address"))
    id_number: Mapped[str | None] = mapped_column(EncryptedText("student.id_number"))
    guardian_name: Mapped[str | None] = mapped_column(EncryptedText("student.guardian_name"))
    guardian_phone: Mapped[str | None] = mapped_column(EncryptedText("student.guardian_phone"))
    health_notes: Mapped[str | None] = mapped_column(EncryptedText("student.health_notes"))
    # Keyed blind indexes for exact lookups (vault.FieldCipher.blind_index).
    phone_bidx: Mapped[str | None] = mapped_column(String(80), index=True)
    guardian_phone_bidx: Mapped[str | None] = mapped_column(String(80), index=True)
    id_number_bidx: Mapped[str | None] = mapped_column(String(80), index=True)
    identity_bidx: Mapped[str] = mapped_column(String(80), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


@dataclass(frozen=True)
class StudentInput:
    """What a person types or an import row holds for one student."""

    name: str
    """Full name (policy C2)."""
    gender: str = ""
    """男 or 女, or empty."""
    birth_date: str = ""
    """YYYY-MM-DD, or empty."""
    phone: str = ""
    """Student's own mobile number, or empty."""
    address: str = ""
    """Home address."""
    id_number: str = ""
    """Resident ID number, or empty."""
    guardian_name: str = ""
    """Parent or guardian."""
    guardian_phone: str = ""
    """Guardian's mobile number (policy C2 contact details)."""
    health_notes: str = ""
    """Allergies, conditions the teachers must know."""

    def problems(self) -> list[FieldProblem]:
        """Everything wrong with this input; messages never repeat the private value."""
        out = []
        if not self.name.strip():
            out.append(FieldProblem("name", "姓名不能为空。"))
        elif len(self.name.strip()) > 32:
            out.append(FieldProblem("name", "姓名不能超过 32 个字符。"))
        if self.gender and self.gender not in GENDERS:
            out.append(FieldProblem("gender", "性别只能填写“男”或“女”。"))
        if self.birth_date:
            try:
                born = date.fromisoformat(self.birth_date)
                if not date(1940, 1, 1) <= born <= date.today():
                    raise ValueError
            except ValueError:
                out.append(FieldProblem("birth_date", "出生日期应为 YYYY-MM-DD 格式的有效日期。"))
        for field in ("phone", "guardian_phone"):
            value = getattr(self, field)
            if value and mobile_number(value) is None:
                out.append(FieldProblem(field, "手机号码应为 11 位数字（以 1 开头）。"))
        if self.id_number and not re.fullmatch(r"\d{17}[\dX]", normalize_id_number(self.id_number)):
            out.append(FieldProblem("id_number", "身份证号应为 18 位（最后一位可为 X）。"))
        if not self.phone and not self.guardian_phone:
            out.append(FieldProblem("guardian_phone", "学生或监护人至少填写一个联系电话。"))
        for field in ("address", "health_notes"):
            if len(getattr(self, field)) > 500:
                out.append(FieldProblem(field, "内容不能超过 500 个字符。"))
        for field in ("name", "address", "guardian_name", "health_notes"):
            message = bad_characters(getattr(self, field), multiline=field == "health_notes")
            if message and not any(p.field == field for p in out):
                out.append(FieldProblem(field, message))
        return out


class Students:
    """Use cases of the registry; every view of private fields is written to the ledger."""

    def __init__(self, session: Session, *, cipher: FieldCipher, audit: Ledger,
                 clock: Callable[[], datetime] = utcnow,
                 on_change: Sequence[Callable[[Student], None]] = ()):
        self.session, self.cipher, self.audit, self.clock = session, cipher, audit, clock
        self.on_change = list(on_change)

    def _identity(self, data: StudentInput) -> str:
        return self.cipher.blind_index(f"{data.name.strip()}|{data.birth_date}", kind="identity")

    def find_duplicate(self, data: StudentInput) -> Student | None:
        keys = self.cipher.blind_indexes(f"{data.name.strip()}|{data.birth_date}", kind="identity")
        return self.session.scalar(select(Student).where(Student.identity_bidx.in_(keys)))

    def add(self, data: StudentInput, *, actor_id: int | None, actor: str,
            student_no: str | None = None) -> Student:
        """Register a student under the next 学号 of the series, or under `student_no` (an
        import keeping the school's own numbers: checked by the caller, unique by the table)."""
        problems = data.problems()
        if problems:
            raise ValidationFailed(problems)
        if self.find_duplicate(data) is not None:
            raise Conflict("该学生已登记（姓名与出生日期相同）。")
        number = self._keep_number(student_no) if student_no else self._next_number()
        student = Student(student_no=number, **self._columns(data), created_at=self.clock(),
                          created_by=actor_id)
        self.session.add(student)
        self.session.flush()
        self.audit.append(actor=actor, action="student.add", subject=f"student:{student.id}")
        for hook in self.on_change:
            hook(student)
        return student

    def _columns(self, data: StudentInput) -> dict:
        """The stored columns of `data`: normalised values and their blind indexes."""
        phone = normalize_phone(data.phone) if data.phone else None
        gphone = normalize_phone(data.guardian_phone) if data.guardian_phone else None
        idno = normalize_id_number(data.id_number) if data.id_number else None
        return dict(
            name=data.name.strip(), gender=data.gender or None,
            birth_date=data.birth_date or None, phone=phone, address=data.address or None,
            id_number=idno, guardian_name=data.guardian_name or None, guardian_phone=gphone,
            health_notes=data.health_notes or None,
            phone_bidx=phone and self.cipher.blind_index(phone, kind="phone"),
            guardian_phone_bidx=gphone and self.cipher.blind_index(gphone, kind="phone"),
            id_number_bidx=idno and self.cipher.blind_index(idno, kind="id_number"),
            identity_bidx=self._identity(data))

    def update(self, student_id: int, changes: Mapping[str, str], *, actor: str) -> Student:
        """Correct some fields of a registered student: the whole record, as changed, passes
        the same checks as a new one, and may not become a duplicate of another student. The
        ledger names the fields changed, never their values (policy C2)."""
        student = self.session.get(Student, student_id)
        if student is None:
            raise NotFound("学生", str(student_id))
        data = replace(StudentInput(**{f: getattr(student, f) or ""
                                       for f in StudentInput.__dataclass_fields__}), **changes)
        problems = data.problems()
        if problems:
            raise ValidationFailed(problems)
        duplicate = self.find_duplicate(data)
        if duplicate is not None and duplicate.id != student.id:
            raise Conflict("该学生已登记（姓名与出生日期相同）。")
        for column, value in self._columns(data).items():
            setattr(student, column, value)
        self.session.flush()
        self.audit.append(actor=actor, action="student.update", subject=f"student:{student.id}",
                          context={"fields": sorted(changes)})
        for hook in self.on_change:
            hook(student)
        return student

    def _next_number(self) -> str:
        return next_in_series(self.session, Student.student_no, f"XS-{self.clock().year}-", 5)

    def _keep_number(self, student_no: str) -> str:
        """A given 学号 that looks like one of the series moves the series' counter past it,
        so that a later student never gets it again (an export re-imported elsewhere)."""
        if self.session.scalar(select(Student.id).where(Student.student_no == student_no)):
            raise Conflict("该学号已被登记。")
        if m := SERIES_RE.fullmatch(student_no):
            raise_series_floor(self.session, Student.student_no, m[1], int(m[2]))
        return student_no

    def get(self, student_id: int, *, actor: str, reason: str,
            context: dict | None = None) -> Student:
        """A student with private fields readable; the view is recorded (policy C3), with
        `context` (ids only, e.g. the approval it is made under)."""
        student = self.session.get(Student, student_id)
        if student is None:
            raise NotFound("学生", str(student_id))
        self.audit.append(actor=actor, action="student.view", subject=f"student:{student_id}",
                          reason=reason, context=context)
        return student

    def find_by_phone(self, phone: str) -> list[Student]:
        """Students whose own or guardian's phone is exactly `phone` (blind-index match)."""
        keys = self.cipher.blind_indexes(normalize_phone(phone), kind="phone")
        return list(self.session.scalars(select(Student).where(
            or_(Student.phone_bidx.in_(keys), Student.guardian_phone_bidx.in_(keys)))))

    def count(self) -> int:
        return len(self.session.scalars(select(Student.id)).all())
