"""Finding a colleague while typing (the archive lend form's borrower): at most `LIMIT` active
staff whose name or login contains what was typed, or who belong to a department whose name
or code it names. Staff names are not private student data (policy C2 covers students), but
what is typed still travels in a POST body, never a URL, as every lookup does."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from records.departments import Department
from records.staff import Staff, StaffDepartment

__all__ = ["LIMIT", "StaffPick", "lookup"]

LIMIT = 20
MAX_QUERY = 32


@dataclass(frozen=True)
class StaffPick:
    login: str
    """What the form posts."""
    name: str
    departments: tuple[str, ...]
    """Department names, in Chinese."""

    def as_dict(self) -> dict:
        where = "、".join(self.departments)
        return {"value": self.login,
                "label": f"{self.name}（{where}）· {self.login}" if where
                else f"{self.name} · {self.login}"}


def lookup(session: Session, text: str, *, limit: int = LIMIT) -> tuple[list[StaffPick], bool]:
    """Active staff matching `text` by name, login or department, by name; and whether there
    are more than `limit`."""
    text = unicodedata.normalize("NFKC", text or "").strip()[:MAX_QUERY]
    if not text:
        return [], False
    depts = [d.value for d in Department if text in d.label_zh or text.upper() == d.value]
    found = list(session.scalars(
        select(Staff).options(selectinload(Staff.departments)).where(Staff.active, or_(
            Staff.display_name.contains(text, autoescape=True),
            Staff.login.contains(text.lower(), autoescape=True),
            Staff.id.in_(select(StaffDepartment.staff_id).where(
                StaffDepartment.department.in_(depts)))))
        .order_by(Staff.display_name, Staff.login).limit(limit + 1)))
    return [StaffPick(s.login, s.display_name, tuple(d.label_zh for d in s.department_codes))
            for s in found[:limit]], len(found) > limit
