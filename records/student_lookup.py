"""Finding a student while typing, for the handover form's student fields: at most `limit`
students that the picker's own work shows (policy C1; records.visibility), each with 学号 and
name, and only those names decrypted.

- By 学号, in SQL: the 学号 contains what was typed (as the student list's 学号 search does).
- By name: names are ciphertext in the database (policy C2), so SQL cannot match them. The
  search index keeps every student's name as keyed tokens of its characters and character
  pairs (search.tokens); it proposes candidates, and the candidates' names, no more than
  `CANDIDATES` of them, are decrypted to confirm that the name itself matches (the index
  also holds guardians' names and addresses). Without the index, names are not searched.

`lookup_for_request` searches the whole registry, or lists a class, for someone asking for an
approval (policy C3): 学号, name and class only, never the record.

Every lookup that shows names must be recorded in the ledger by the caller, ids only."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from records.classes import ClassMember, SchoolClass
from records.staff import Staff
from records.students import Student
from records.visibility import REGISTRY_DEPARTMENTS, visible_students
from records.work_categories import work_categories
from search import SearchError, Visibility
from vault import PrivateCategory

if TYPE_CHECKING:  # the engine (Whoosh, jieba) loads only where a search runs
    from search import SearchIndex

__all__ = ["CANDIDATES", "LIMIT", "MIN_NAME", "Pick", "lookup", "lookup_for_request", "picks",
           "too_short"]

LIMIT = 20
CANDIDATES = 60
"""Names decrypted at most per lookup by name, to confirm the index's candidates."""
MIN_NAME = 2
"""Characters of a name needed before names are searched (one matches half the school)."""
MAX_QUERY = 32
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
# Student documents rank high (they are short), but the handovers that mention a name are
# searched along with them: this many hits are read to find the CANDIDATES students.
_HITS = 200


@dataclass(frozen=True)
class Pick:
    """One student offered to pick."""

    id: int
    """Registry id (what the form posts)."""
    student_no: str
    """学号."""
    name: str
    """Name, decrypted for this pick only."""
    classes: tuple[str, ...] = ()
    """Names of the classes the student is in now (when asked for: `lookup_for_request`)."""

    def as_dict(self) -> dict:
        shown = {"id": self.id, "student_no": self.student_no, "name": self.name}
        return {**shown, "classes": "、".join(self.classes)} if self.classes else shown


def lookup(session: Session, staff: Staff, text: str, *, index: SearchIndex | None,
           limit: int = LIMIT) -> tuple[list[Pick], bool]:
    """Students matching `text` (a 学号 or part of one, or two or more characters of a name)
    that `staff` may pick, 学号 order for 学号 matches, best match first for names; and
    whether there are more than `limit`."""
    if PrivateCategory.NAME not in work_categories(staff):  # a pick shows a name (policy C2)
        return [], False
    return _find(session, visible_students(staff), text, index=index, limit=limit)


def lookup_for_request(session: Session, text: str = "", *, class_id: int | None = None,
                       index: SearchIndex | None, limit: int = LIMIT) -> tuple[list[Pick], bool]:
    """Students of the whole registry matching `text` as `lookup` matches, or the current
    members of class `class_id`, each with its classes: what someone asking for an approval
    (policy C3) needs to name the students the request is about, and nothing more (no
    record is opened; the caller records the lookup)."""
    if class_id is not None:
        ids = list(session.scalars(select(ClassMember.student_id).where(
            ClassMember.class_id == class_id, ClassMember.left_at.is_(None))
            .limit(limit + 1)))
        found, more = picks(session, ids[:limit]), len(ids) > limit
    else:
        found, more = _find(session, None, text, index=index, limit=limit)
    return _with_classes(session, found), more


def _with_classes(session: Session, found: list[Pick]) -> list[Pick]:
    classes: dict[int, list[str]] = {}
    for sid, name in session.execute(select(ClassMember.student_id, SchoolClass.name).join(
            SchoolClass).where(ClassMember.student_id.in_([p.id for p in found]),
                               ClassMember.left_at.is_(None)).order_by(SchoolClass.name)):
        classes.setdefault(sid, []).append(name)
    return [replace(p, classes=tuple(classes.get(p.id, ()))) for p in found]


def _find(session: Session, scope: Select | None, text: str, *, index: SearchIndex | None,
          limit: int) -> tuple[list[Pick], bool]:
    text = unicodedata.normalize("NFKC", text or "").strip()[:MAX_QUERY]
    name = "".join(_CJK.findall(text))
    if name:
        if len(name) < MIN_NAME or index is None:
            return [], False
        return _by_name(session, scope, name, index, limit)
    number = text.upper()
    if not number:
        return [], False
    query = select(Student.id).where(Student.student_no.contains(number, autoescape=True))
    if scope is not None:
        query = query.where(Student.id.in_(scope))
    ids = list(session.scalars(query.order_by(Student.student_no).limit(limit + 1)))
    return picks(session, ids[:limit]), len(ids) > limit


def too_short(text: str) -> bool:
    """Whether `text` is part of a name too short to be searched."""
    return 0 < len(_CJK.findall(unicodedata.normalize("NFKC", text or ""))) < MIN_NAME


def _by_name(session: Session, scope: Select | None, name: str,
             index: SearchIndex, limit: int) -> tuple[list[Pick], bool]:
    if scope is None:  # the registry departments own every student's index entry
        seen = Visibility(departments={d.value for d in REGISTRY_DEPARTMENTS})
    else:
        seen = Visibility(doc_ids={f"s{i}" for i in session.scalars(scope)})
        if not seen.doc_ids:
            return [], False
    try:
        found = index.search(f'"{name}"', visibility=seen, page_size=_HITS, facets=False)
    except SearchError:  # a busy or damaged index: 学号 still works
        return [], False
    ranked = [int(h.doc_id[1:]) for h in found.hits if h.doc_type == "student"][:CANDIDATES]
    if scope is not None:
        allowed = set(session.scalars(select(Student.id).where(
            Student.id.in_(ranked), Student.id.in_(scope))))
        ranked = [i for i in ranked if i in allowed]
    named = {p.id: p for p in picks(session, ranked)}
    matching = [named[i] for i in ranked if i in named and name in _normal(named[i].name)]
    return matching[:limit], len(matching) > limit


def picks(session: Session, ids: Iterable[int]) -> list[Pick]:
    """学号 and name of these students, by 学号: of each, its name only is decrypted."""
    ids = set(ids)
    if not ids:
        return []
    rows = session.execute(select(Student.id, Student.student_no, Student.name).where(
        Student.id.in_(ids)).order_by(Student.student_no))
    return [Pick(*row) for row in rows]


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text)
