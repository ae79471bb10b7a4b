"""The school's departments as the policy names them (CLAUSES.md, "Departments").

policy G2: the system covers every department and post that hands students over."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Department"]


class Department(StrEnum):
    """Department codes. Parents are outside parties and have no accounts."""

    ENR = "ENR"
    ACA = "ACA"
    TEA = "TEA"
    FIN = "FIN"
    ARC = "ARC"
    LOG = "LOG"
    MGT = "MGT"
    SUP = "SUP"

    @property
    def label_zh(self) -> str:
        return _LABELS[self]

    @classmethod
    def parse(cls, code: str) -> Department:
        try:
            return cls(code.strip().upper())
        except ValueError:
            known = "、".join(d.value for d in cls)
            raise ValueError(f"未知部门代码：{code}（可用：{known}）") from None


_LABELS = {
    Department.ENR: "招生部",
    Department.ACA: "教务部",
    Department.TEA: "教学部",
    Department.FIN: "财务部",
    Department.ARC: "档案室",
    Department.LOG: "后勤部",
    Department.MGT: "管理层",
    Department.SUP: "监督小组",  # policy S1: management plus department heads
}
