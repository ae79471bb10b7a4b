"""Classes (班级): a course group with its teachers and the students in it (policy F3, F4).
A class name or course is not private; its roster is (names: policy C2), shown only to whom
records.visibility allows."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.db import Base, UTCDateTime
from records.staff import Staff

__all__ = ["ClassMember", "SchoolClass"]


class SchoolClass(Base):
    __tablename__ = "school_class"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    course: Mapped[str] = mapped_column(String(100))
    head_teacher_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)  # term end: starts T3b and T4b
    # policy T3a: progress reports at a fixed time each week or fortnight. No weekday: the
    # class has no report cycle (and owes no weekly report).
    report_weekday: Mapped[int | None] = mapped_column(Integer)  # ISO weekday 1-7
    report_hour: Mapped[int | None] = mapped_column(Integer)
    report_cycle_weeks: Mapped[int | None] = mapped_column(Integer)  # 1 or 2
    report_first_week: Mapped[date | None] = mapped_column(Date)  # Monday of the first period
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    head_teacher: Mapped[Staff | None] = relationship(foreign_keys=[head_teacher_id],
                                                      lazy="joined")
    teacher: Mapped[Staff | None] = relationship(foreign_keys=[teacher_id], lazy="joined")
    members: Mapped[list[ClassMember]] = relationship(back_populates="school_class",
                                                      lazy="selectin")

    @property
    def student_ids(self) -> list[int]:
        return [m.student_id for m in self.members if m.left_at is None]


class ClassMember(Base):
    __tablename__ = "class_member"
    __table_args__ = (UniqueConstraint("class_id", "student_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    school_class: Mapped[SchoolClass] = relationship(back_populates="members")
