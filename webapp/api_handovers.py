"""Handovers through the API: the list the token's owner may see (filtered and paged in SQL
like the handover lists, records.listing), one handover's metadata and status, a new DRAFT
(signing stays with people: the sender signs it in the browser, policy F), and what the owner
owes (records.owed_list). Metadata only; the names of the students a handover concerns appear
only where the owner reads its content and their work or an approval shows names (policy C1,
C2, records.row_students)."""

from __future__ import annotations

from dataclasses import asdict

from flask import request, url_for

from records import listing, row_students
from records.api_tokens import Scope
from records.catalogue import KINDS
from records.clock import utcnow
from records.departments import Department
from records.errors import FieldProblem, NotFound, ValidationFailed
from records.list_filter import LISTED_STATUSES, SORTS, ListFilter
from records.owed_list import owed_rows
from webapp import services
from webapp.api import body, me, operation, paged, paging
from webapp.api_students import PAGE_QUERY, list_of
from webapp.cli_obligations import obligations_of
from webapp.db import get_db
from webapp.verify import NUMBER_RE, SHA256_RE
from webapp.verify import _public_record as public_record

__all__: list[str] = []

_TIME = {"type": ["string", "null"], "format": "date-time"}
HANDOVER = {"type": "object", "required": ["number", "kind", "status"], "properties": {
    "number": {"type": "string"}, "kind": {"type": "string"}, "kind_name": {"type": "string"},
    "status": {"type": "string"}, "sender_dept": {"type": "string"},
    "receiver_dept": {"type": "string"}, "created_at": _TIME, "due_at": _TIME,
    "receive_due_at": _TIME, "running_due_at": _TIME, "overdue": {"type": "boolean"},
    "due_text": {"type": "string"}, "access": {"enum": ["metadata", "content"]},
    "students": {"type": "array", "items": {"type": "string"}},
    "browser_url": {"type": "string"}}}
FILTERS = (("kind", {"enum": sorted(KINDS)}),
           ("status", {"enum": [s.value for s in LISTED_STATUSES]}),
           ("dept", {"enum": [d.value for d in Department]}),
           ("from", {"type": "string", "format": "date"}),
           ("to", {"type": "string", "format": "date"}),
           ("sort", {"enum": sorted(SORTS)}))
OWED = {"type": "object", "properties": {
    "id": {"type": "integer"}, "kind": {"type": "string"}, "kind_name": {"type": "string"},
    "clause": {"type": "string"}, "for_whom": {"type": "string"}, "owed_by": {"type": "string"},
    "owing_dept": {"type": "string"}, "due_at": {"type": "string", "format": "date-time"},
    "overdue": {"type": "boolean"}, "state": {"type": "string"},
    "answered_by": {"type": ["string", "null"]}}}


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def _metadata(row: listing.Row) -> dict:
    h = row.handover
    out = {"number": h.number, "kind": h.kind, "kind_name": row.kind.name_zh,
           "status": h.status, "sender_dept": h.sender_dept, "receiver_dept": h.receiver_dept,
           "created_at": _iso(h.created_at), "due_at": _iso(h.due_at),
           "receive_due_at": _iso(h.receive_due_at), "running_due_at": _iso(h.running_due),
           "overdue": row.overdue, "due_text": row.due_text,
           "access": "content" if row.access >= listing.Access.CONTENT else "metadata",
           "browser_url": url_for("handovers.view", number=h.number, _external=True)}
    if row.students:
        out["students"] = list(row.students)
    return out


def _named(page: listing.Page) -> listing.Page:
    (done,), shown = row_students.named(get_db(), me(), page)
    if shown:  # policy C3: names shown are a recorded read, ids only
        services().ledger.append(actor=me().login, action="student.list",
                                 reason="接口：交接列表所涉学生",
                                 context={"ids": sorted(shown), "via": "api"})
    return done


@operation("/handovers", "GET", scope=Scope.READ, summary="交接单列表（仅元数据）",
           query=PAGE_QUERY + FILTERS, response=list_of(HANDOVER))
def handovers_list():
    page, per_page = paging()
    chosen = ListFilter.parse(request_args())
    made = listing.visible(get_db(), me(), utcnow(), calendar=services().calendar
                           ).filtered(chosen)
    total = made.count()
    found = _named(made.page(page, per_page)) if (page - 1) * per_page < total else None
    return paged([_metadata(r) for r in found.rows] if found else [], total, page, per_page)


def request_args() -> dict[str, str]:
    return {k: request.args.get(k, "") for k in ("kind", "status", "dept", "from", "to", "sort")}


@operation("/handovers/<number>", "GET", scope=Scope.READ, summary="一份交接单的元数据和状态",
           response=HANDOVER)
def handovers_get(number: str):
    h = services().workflow(get_db()).get(me(), number)  # NotFound unless visible (C1)
    row = listing.rows(me(), [h], utcnow(), calendar=services().calendar)[0]
    page = _named(listing.Page([row], 1, 1, 1))
    return _metadata(page.rows[0])


@operation("/handovers", "POST", scope=Scope.HANDOVERS_WRITE,
           summary="创建交接草稿（由移交人在浏览器中签名提交）",
           request_schema={"type": "object", "required": ["kind"], "properties": {
               "kind": {"type": "string"}, "values": {"type": "object"},
               "receiver_id": {"type": ["integer", "null"]},
               "parent": {"type": ["string", "null"]},
               "method": {"type": ["string", "null"]}}},
           response=HANDOVER, status=201)
def handovers_create():
    data = body({"kind": str, "values": dict, "receiver_id": (int, type(None)),
                 "parent": (str, type(None)), "method": (str, type(None))})
    kind = data.get("kind", "")
    if kind not in KINDS:
        raise ValidationFailed([FieldProblem("kind", "交接类型无效。")])
    h = services().workflow(get_db()).create(
        me(), kind, data.get("values") or {}, receiver_id=data.get("receiver_id"),
        parent_number=data.get("parent"), method=data.get("method"))
    row = listing.rows(me(), [h], utcnow(), calendar=services().calendar)[0]
    return _metadata(row), 201, {"Location": url_for("api.handovers_get", number=h.number)}


@operation("/owed", "GET", scope=Scope.READ, summary="我应交的交接（含本部门未指定人的）",
           query=PAGE_QUERY, response=list_of(OWED))
def owed():
    page, per_page = paging()
    # an owner's open obligations are few (their own and their department's): paged here
    rows = owed_rows(get_db(), obligations_of().owed_by(me()), utcnow(),
                     calendar=services().calendar)
    chunk = rows[(page - 1) * per_page:page * per_page]
    return paged([r.as_dict() for r in chunk], len(rows), page, per_page)


@operation("/verify/<number>", "GET", scope=Scope.READ,
           summary="验证一份纸质或 PDF 交接单（与扫码验证页公开的信息相同）",
           query=(("sha256", {"type": "string", "pattern": "^[0-9a-f]{64}$"}),),
           response={"type": "object", "properties": {
               "number": {"type": "string"}, "kind": {"type": "string"},
               "kind_name": {"type": "string"}, "version": {"type": "integer"},
               "status": {"type": "string"}, "sender_dept": {"type": "string"},
               "receiver_dept": {"type": "string"}, "signed_at": _TIME,
               "countersigned_at": _TIME, "matches": {"type": ["boolean", "null"]}}})
def verify(number: str):
    """What the public QR page shows (policy C1: no name, no value), for a system that
    checks a scanned form: `matches` says whether `sha256` is a signed version's."""
    sha256 = request.args.get("sha256", "").strip().lower() or None
    if sha256 is not None and not SHA256_RE.match(sha256):
        raise ValidationFailed([FieldProblem("sha256", "应为 64 位十六进制的 SHA-256 值。")])
    record = public_record(number, sha256) if NUMBER_RE.match(number) else None
    if record is None:
        raise NotFound("交接单", number if NUMBER_RE.match(number) else "")
    services().ledger.append(actor=me().login, action="verify.lookup",
                             subject=f"handover:{number}", context={"version": record.version})
    out = asdict(record)
    for moment in ("signed_at", "countersigned_at"):
        out[moment] = _iso(out[moment])
    return out
