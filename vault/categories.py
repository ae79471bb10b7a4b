"""The categories of private student information named by policy C2."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["PrivateCategory"]


class PrivateCategory(StrEnum):
    """policy C2: kinds of private information; the catalogue marks fields with these."""

    NAME = "name"
    GENDER = "gender"
    AGE = "age"
    ADDRESS = "address"
    CONTACT = "contact"
    GRADES = "grades"
    HEALTH = "health"
    FINANCES = "finances"
    # C2 says "at least": an identity document number opens more than a name does, so it is a
    # category of its own (teaching needs a name, never an ID number).
    IDENTITY = "identity"

    @property
    def label(self) -> str:
        """The Simplified Chinese label shown to users."""
        return _LABELS[self]


_LABELS = {
    PrivateCategory.NAME: "姓名",
    PrivateCategory.GENDER: "性别",
    PrivateCategory.AGE: "年龄/出生日期",
    PrivateCategory.ADDRESS: "家庭住址",
    PrivateCategory.CONTACT: "联系方式",
    PrivateCategory.GRADES: "学习成绩",
    PrivateCategory.HEALTH: "健康状况",
    PrivateCategory.FINANCES: "家庭经济状况",
    PrivateCategory.IDENTITY: "身份证件号码",
}
