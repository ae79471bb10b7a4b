"""Search over handovers and students, on top of the search library: what goes into the index
(ids and metadata in clear, text only as keyed tokens), who may see what (the same rule as
records.visibility, expressed as a search Visibility), and results that never show anyone more
than they may see: snippets are made after that check, from decrypted text (policy C1-C3)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload, load_only, selectinload

from records.catalogue import FieldType, get_kind
from records.clock import utcnow
from records.forms import display_value
from records.handovers import Handover, HandoverVersion, Status
from records.search_outbox import Op, enqueue, oldest_unapplied
from records.staff import Staff
from records.students import FIELD_CATEGORY, Student
from records.visibility import (
    REGISTRY_DEPARTMENTS,
    Access,
    access_to,
    case_steps_among,
    content_as_member_ids,
    granted_handover_ids,
    member_departments,
    sees_all_metadata,
    visible_among,
    visible_student_ids,
)
from records.work_categories import work_categories
from search import Filters, IndexDocument, Visibility
from search.position import read_position
from vault import Ledger

if TYPE_CHECKING:
    from search import SearchIndex

__all__ = ["Finder", "Found", "FoundItem", "OutboxUpkeep", "behind_zh", "findable_students",
           "indexable_documents"]

# A replica this far behind or less is "up to date": a page does not mention it.
LAG_SHOWN = timedelta(seconds=1)



@dataclass(frozen=True)
class FoundItem:
    kind: str
    """"handover" or "student"."""
    key: str
    """Handover number or student id, for links."""
    title: str
    """What the list shows: kind name and number, or 学号 and name when visible."""
    meta: dict[str, Any]
    """Non-private metadata of the hit."""
    snippet: str | None
    """Safe HTML with <mark>ed hits, only when the viewer may read the content."""


@dataclass(frozen=True)
class Found:
    total: int
    items: list[FoundItem]
    facets: dict[str, dict[str, int]]
    page: int
    pages: int
    ranked_by_date: bool = False
    """Too many matches to rank by relevance: the newest come first (the page says so)."""
    behind: timedelta | None = None
    """How far this server's replica of the index lags the database, when it does."""


def _handover_text(handover: Handover) -> dict[str, str]:
    return _texts(handover.kind, handover.current.values_json)


def _texts(kind_code: str, values_json: str) -> dict[str, str]:
    kind = get_kind(kind_code)
    values = json.loads(values_json)
    texts = {}
    for spec in kind.fields:
        value = values.get(spec.name)
        if value in (None, "", []):
            continue
        if spec.type is FieldType.TABLE:
            texts[spec.name] = "\n".join(
                " ".join(str(row.get(c.name, "")) for c in spec.columns) for row in value)
        else:
            texts[spec.name] = display_value(spec, value)
    texts["kind"] = kind.name_zh
    return texts


def handover_document(handover: Handover, now: datetime) -> IndexDocument:
    due = handover.running_due  # policy T: the clock of whoever holds it now
    return IndexDocument(
        doc_id=f"h{handover.id}", doc_type="handover",
        meta={"number": handover.number, "kind": handover.kind, "status": handover.status,
              "sender_id": str(handover.sender_id),
              "receiver_id": str(handover.receiver_id) if handover.receiver_id else None,
              "sender_dept": handover.sender_dept, "receiver_dept": handover.receiver_dept,
              "student_ids": [str(i) for i in handover.student_ids],
              "date": handover.submitted_at or handover.created_at, "due": due,
              "overdue": bool(due and due < now)},
        texts=_handover_text(handover))


def student_document(student: Student) -> IndexDocument:
    texts = {"name": student.name, "guardian_name": student.guardian_name or "",
             "address": student.address or ""}
    exact = [v for v in (student.phone, student.guardian_phone, student.id_number) if v]
    return IndexDocument(
        doc_id=f"s{student.id}", doc_type="student",
        meta={"number": student.student_no,
              "departments": [d.value for d in REGISTRY_DEPARTMENTS],
              "student_ids": [str(student.id)], "date": student.created_at},
        texts={k: v for k, v in texts.items() if v}, exact=exact)


def indexable_documents(session: Session, now: datetime) -> Iterator[IndexDocument]:
    """Everything indexable, from the database (private fields decrypted in memory only)."""
    for h in session.scalars(select(Handover).where(Handover.status != Status.DRAFT)):
        yield handover_document(h, now)
    for s in session.scalars(select(Student)):
        yield student_document(s)


# What a student's index entry holds (student_document): a grant must cover all of it before
# the student can be found in a search (policy C3).
STUDENT_DOC_CATEGORIES = frozenset(FIELD_CATEGORY[f] for f in (
    "name", "guardian_name", "address", "phone", "guardian_phone", "id_number"))
# What a student's search result shows (title and snippet): only these are read and decrypted.
STUDENT_SHOWN = (Student.id, Student.student_no, Student.name, Student.guardian_name,
                 Student.address)


def visibility_for(session: Session, staff: Staff) -> Visibility:
    """records.visibility's rule in the index's terms (tests check that both agree). The
    index's department criterion matches a handover's receiving department, and a student's
    entry for the registry departments (student_document), whose handlers' kind of work
    covers STUDENT_DOC_CATEGORIES (records.work_categories)."""
    if not staff.active:
        return Visibility()
    if staff.is_admin:  # policy C1: numbers and statuses, never a student's content
        return Visibility(metadata_only_all=True)
    handled, open_, _ = member_departments(staff)
    return Visibility(
        sender_ids={str(staff.id)}, receiver_ids={str(staff.id)}, departments=handled,
        doc_ids=({f"s{i}" for i in _own_students(session, staff)}
                 | {f"h{i}" for i in content_as_member_ids(session, staff)}
                 | _granted_doc_ids(session, staff)),
        metadata_only_all=sees_all_metadata(staff), metadata_only_owners=open_)


def _own_students(session: Session, staff: Staff) -> set[int]:
    """The students whose index entry `staff`'s own work lets them find: only where their
    kind of work opens everything the entry holds (policy C2)."""
    if not STUDENT_DOC_CATEGORIES <= work_categories(staff):
        return set()
    students = visible_student_ids(session, staff)
    return set(session.scalars(select(Student.id))) if students is None else students


def _granted_doc_ids(session: Session, staff: Staff) -> set[str]:
    """policy C3: the students and handovers that approvals in force let `staff` find."""
    if staff.is_admin:
        return set()
    ids = {f"s{sid}" for g in staff.approval_grants if STUDENT_DOC_CATEGORIES <= g.categories
           for sid in g.student_ids}
    return ids | {f"h{i}" for i in granted_handover_ids(session, staff)}


def may_find_student(session: Session, staff: Staff, student_id: int) -> bool:
    return student_id in findable_students(session, staff, [student_id])


def findable_students(session: Session, staff: Staff, student_ids: Iterable[int]) -> set[int]:
    """Those of `student_ids` whose index entry `staff` may see: their own work's students,
    and those an approval shows in full (one query at most)."""
    ids = set(student_ids)
    granted = {sid for g in staff.approval_grants if STUDENT_DOC_CATEGORIES <= g.categories
               for sid in g.student_ids} if not staff.is_admin else set()
    own = (visible_among(session, staff, ids - granted)
           if STUDENT_DOC_CATEGORIES <= work_categories(staff) else set())
    return own | (ids & granted)


def behind_zh(lag: timedelta) -> str:
    """"索引落后 3 秒": how far a replica lags, for the page and the command line."""
    seconds = int(lag.total_seconds())
    for unit, size in (("天", 86400), ("小时", 3600), ("分钟", 60)):
        if seconds >= size:
            return f"索引落后 {seconds // size} {unit}"
    return f"索引落后 {seconds} 秒"


class OutboxUpkeep:
    """Index upkeep by the outbox (SEARCH_UPDATES = outbox): a change is a row in the
    transaction of the change (records.search_outbox); each server's indexer applies it."""

    def __init__(self, session: Session, *, clock=utcnow):
        self.session, self.clock = session, clock

    def handover_changed(self, handover: Handover) -> None:
        op = Op.DELETE if handover.status == Status.DRAFT else Op.UPSERT
        enqueue(self.session, f"h{handover.id}", op, self.clock())

    def student_changed(self, student: Student) -> None:
        enqueue(self.session, f"s{student.id}", Op.UPSERT, self.clock())


class Finder:
    def __init__(self, session: Session, index: SearchIndex, *, audit: Ledger, clock=utcnow,
                 replica: Path | None = None):
        """`replica`: the position file of an index fed by the outbox (search.position);
        a search then says how far the index is behind."""
        self.session, self.index, self.audit, self.clock = session, index, audit, clock
        self.replica = replica

    # -- upkeep in the request itself (SEARCH_UPDATES = inline) ----------------------------

    def handover_changed(self, handover: Handover) -> None:
        if handover.status == Status.DRAFT:  # drafts are the sender's alone: not indexed
            self.index.delete([f"h{handover.id}"])
        else:
            self.index.add_or_update([handover_document(handover, self.clock())])

    def student_changed(self, student: Student) -> None:
        self.index.add_or_update([student_document(student)])

    def documents(self) -> Iterator[IndexDocument]:
        return indexable_documents(self.session, self.clock())

    def behind(self) -> timedelta | None:
        """How far the replica lags: the age of the oldest change it has not applied (one
        statement), when over LAG_SHOWN."""
        if self.replica is None:
            return None
        oldest = oldest_unapplied(self.session, read_position(self.replica))
        lag = self.clock() - oldest if oldest is not None else None
        return lag if lag is not None and lag > LAG_SHOWN else None

    # -- searching --------------------------------------------------------------------------

    def search(self, actor: Staff, query: str, *, filters: Filters | None = None,
               sort: str = "relevance", page: int = 1, page_size: int = 20) -> Found:
        results = self.index.search(query, visibility=visibility_for(self.session, actor),
                                    filters=filters, sort=sort, page=page, page_size=page_size)
        items = self._items(actor, results.hits, query)
        # The query may name a student: the ledger gets ids and counts, never the text.
        self.audit.append(actor=actor.login, action="search", outcome="ok",
                          context={"hits": results.total,
                                   "shown": [i.key for i in items if i.snippet is not None]})
        return Found(results.total, items, results.facets, results.page, results.pages,
                     results.ranked_by_date, self.behind())

    def _items(self, actor: Staff, hits, query: str) -> list[FoundItem]:
        """The hits as the page shows them, read together whatever their number: the
        handovers (with their students, for approvals), the current values of those whose
        content is shown, a few columns of the students, and which students may be found.
        Only what a snippet shows is decrypted."""
        def ids(doc_type):
            return [int(h.doc_id[1:]) for h in hits if h.doc_type == doc_type]

        handovers = {h.id: h for h in self.session.scalars(
            select(Handover).options(lazyload("*"), selectinload(Handover.students))
            .where(Handover.id.in_(ids("handover"))))} if ids("handover") else {}
        cases = case_steps_among(actor, handovers.values())  # one query for the page
        access = {i: access_to(actor, h, case_steps=cases) for i, h in handovers.items()}
        shown = [int(h.doc_id[1:]) for h in hits if h.doc_type == "handover"
                 and h.content_visible and access.get(int(h.doc_id[1:])) == Access.CONTENT]
        values = dict(self.session.execute(
            select(HandoverVersion.handover_id, HandoverVersion.values_json).join(
                Handover, (HandoverVersion.handover_id == Handover.id)
                & (HandoverVersion.version == Handover.current_version))
            .where(Handover.id.in_(shown))).all()) if shown else {}
        findable = findable_students(self.session, actor, ids("student"))
        students = {s.id: s for s in self.session.scalars(
            select(Student).options(load_only(*STUDENT_SHOWN))
            .where(Student.id.in_(findable)))} if findable else {}
        items = []
        for hit in hits:
            key = int(hit.doc_id[1:])
            if hit.doc_type == "handover":
                handover = handovers.get(key)
                if handover is None or access[key] == Access.NONE:  # stale entry: nothing
                    continue
                kind = get_kind(handover.kind)
                snippet = None
                if key in values:
                    text = "\n".join(_texts(handover.kind, values[key]).values())
                    snippet = self.index.snippet(text, query)
                items.append(FoundItem("handover", handover.number,
                                       f"{kind.name_zh} {handover.number}", hit.meta, snippet))
            elif key in students:
                student = students[key]
                text = "\n".join(v for v in (student.name, student.guardian_name,
                                             student.address) if v)
                items.append(FoundItem("student", str(student.id),
                                       f"{student.student_no} {student.name}", hit.meta,
                                       self.index.snippet(text, query)))
        return items
