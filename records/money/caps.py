"""Prepayment caps checked at registration (policy F2; DOMAIN-RULES "Refunds": no single
prepayment covers more than 3 months or 60 class hours, and non-academic training is also
capped at 5,000 yuan per charge). Each cap is school configuration with its legal basis; a
limit of 0 switches it off (webapp.settings requires the basis of that decision)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from records.errors import FieldProblem
from records.money.amounts import fen_or_problem

__all__ = ["Cap", "CourseType", "PrepaymentCaps", "DEFAULT_CAPS"]


class CourseType(StrEnum):
    ACADEMIC = "学科类"
    NON_ACADEMIC = "非学科类"


UNITS = {"months": ("prepaid_months", "个月"), "hours": ("class_hours", "课时"),
         "yuan": ("fee_paid", "元")}
UNIT_ZH = {"months": "预收费月数", "hours": "预收费课时", "yuan": "单笔预收费金额"}


@dataclass(frozen=True)
class Cap:
    course_type: CourseType
    unit: str
    """months, hours or yuan."""
    limit: int
    """0: switched off."""
    basis_zh: str

    def exceeded_by(self, values: Mapping[str, Any]) -> FieldProblem | None:
        field, unit_zh = UNITS[self.unit]
        raw = values.get(field)
        if self.limit <= 0 or raw in (None, ""):
            return None
        if self.unit == "yuan":
            fen = fen_or_problem(raw, field, "缴费金额")
            over = isinstance(fen, int) and fen > self.limit * 100
        else:
            over = str(raw).strip().isdecimal() and int(raw) > self.limit
        if not over:
            return None
        return FieldProblem(field, f"超出{self.course_type.value}培训{UNIT_ZH[self.unit]}上限"
                                   f"（{self.limit} {unit_zh}，依据：{self.basis_zh}）。"
                                   "如确需超出，须经管理层在缴费台账中批准并说明理由。")


ACADEMIC_BASIS = "《关于加强校外培训机构预收费监管工作的通知》（教育部等六部门，2021 年）"
NON_ACADEMIC_BASIS = "《关于规范面向中小学生的非学科类校外培训的意见》（教育部等十三部门，2022 年）"
DEFAULT_CAPS = (
    Cap(CourseType.ACADEMIC, "months", 3, ACADEMIC_BASIS),
    Cap(CourseType.ACADEMIC, "hours", 60, ACADEMIC_BASIS),
    Cap(CourseType.ACADEMIC, "yuan", 0, ACADEMIC_BASIS),
    Cap(CourseType.NON_ACADEMIC, "months", 3, NON_ACADEMIC_BASIS),
    Cap(CourseType.NON_ACADEMIC, "hours", 60, NON_ACADEMIC_BASIS),
    Cap(CourseType.NON_ACADEMIC, "yuan", 5000, NON_ACADEMIC_BASIS),
)


@dataclass(frozen=True)
class PrepaymentCaps:
    caps: tuple[Cap, ...] = DEFAULT_CAPS

    def problems(self, values: Mapping[str, Any]) -> list[FieldProblem]:
        """Every cap an F2's charge exceeds. A form that names no course type meets the caps
        of every type (a missing type must not open a way round them)."""
        kind = values.get("course_type")
        applying = [c for c in self.caps if not kind or c.course_type.value == kind]
        found: dict[str, FieldProblem] = {}
        for cap in applying:
            problem = cap.exceeded_by(values)
            if problem is not None and problem.field not in found:
                found[problem.field] = problem
        return list(found.values())
