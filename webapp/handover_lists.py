"""The handover lists (routes of the handovers blueprint): the inbox, the outbox and everything
visible, filtered by kind, status, department and creation dates, sorted and paged in SQL
(records.list_filter, records.listing), each row naming the students it concerns where the
viewer may see them (records.row_students); filters a person keeps under a name; and the
countersignature of several checked handovers of the inbox with one password.

Filters are codes and dates, never a private value: they travel in the query string, and a
saved filter is a link (policy C2)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from records import listing, row_students
from records.catalogue import KINDS
from records.clock import utcnow
from records.departments import Department
from records.errors import DomainError, ValidationFailed
from records.list_filter import LISTED_STATUSES, SORTS, ListFilter
from records.saved_filters import SavedFilters
from records.staff import Staff
from signing import SigningError, WrongPassword
from webapp import services
from webapp.db import get_db
from webapp.handover_input import problems
from webapp.handovers import _me, _wf, bp, may_send
from webapp.paging import page_number

__all__ = ["BULK_MOST", "named", "worklists"]

PER_PAGE = listing.PER_PAGE
WORKLIST = 10  # rows of the inbox and the outbox above the full list; the rest a click away
BULK_MOST = PER_PAGE  # handovers one bulk countersignature signs: a page of the inbox
LISTS = {"inbox": listing.inbox, "outbox": listing.outbox}


def named(staff: Staff, **pages: listing.Page) -> dict[str, listing.Page]:
    """`pages` with the students of their rows named where `staff` may see them; the names
    shown are a recorded read, ids only (policy C2, C3)."""
    done, shown = row_students.named(get_db(), staff, *pages.values())
    if shown:
        services().ledger.append(actor=staff.login, action="student.list",
                                 reason="交接列表：所涉学生",
                                 context={"ids": sorted(shown), "via": "handover-list"})
    return dict(zip(pages, done, strict=True))


def worklists(staff: Staff, *, limit: int, **more: listing.Page) -> dict[str, listing.Page]:
    """The first `limit` rows of the inbox (submitted, `staff` may countersign) and of the open
    outbox, due first, each with its true total; with `more` pages of the same screen, all
    with their students named."""
    now, calendar = utcnow(), services().calendar
    return named(staff, **{name: made(get_db(), staff, now, calendar=calendar).page(1, limit)
                           for name, made in LISTS.items()}, **more)


def _parsed(args) -> tuple[ListFilter, dict[str, list[str]]]:
    """The filter of the query string (or of a posted form), or no filter and what is wrong
    with it."""
    try:
        return ListFilter.parse(args), {}
    except ValidationFailed as exc:
        return ListFilter(), problems(exc)


def _page(shown: str, chosen: ListFilter, *, errors=None, bulk=None, form_error="",
          status=200):
    """The list page: one worklist in full (`shown`), or both worklists' first rows and
    everything visible; filtered as `chosen` says."""
    me, now, calendar = _me(), utcnow(), services().calendar
    errors = errors or {}
    common = {"statuses": LISTED_STATUSES, "kinds": KINDS.values(), "can_send": may_send(me),
              "departments": list(Department), "sorts": SORTS, "chosen": chosen,
              "errors": errors, "saved": SavedFilters(get_db()).mine(me), "bulk": bulk or [],
              "form_error": form_error, "bulk_most": BULK_MOST}
    if shown in LISTS:
        made = LISTS[shown](get_db(), me, now, calendar=calendar).filtered(chosen)
        return render_template("handovers/index.html", shown=shown,
                               **named(me, page=made.page(page_number(), PER_PAGE)),
                               **common), status
    made = listing.visible(get_db(), me, now, calendar=calendar).filtered(chosen)
    pages = worklists(me, limit=WORKLIST, visible=made.page(page_number(), PER_PAGE))
    return render_template("handovers/index.html", shown="", **pages, **common), status


@bp.route("/")
@login_required
def index():
    """Inbox and outbox (their first rows; `?list=inbox|outbox` pages through one of them) and
    everything visible, filtered, sorted and paged; a bad filter is said, with 400."""
    chosen, errors = _parsed(request.args)
    shown = request.args.get("list", "")
    return _page(shown if shown in LISTS else "", chosen, errors=errors,
                 status=400 if errors else 200)


# -- several countersigned at once -------------------------------------------------------------


@bp.post("/countersign-many")
@login_required
def countersign_many():
    """Countersign the checked handovers of the inbox with one password: each separately,
    through the same workflow step as one alone (its compare-and-set, policy M2), each in its
    own transaction, so that one that fails leaves nothing of itself and the others stand.
    The page says of each whether it was signed and, if not, why."""
    me, db = _me(), get_db()
    numbers = list(dict.fromkeys(n.strip() for n in request.form.getlist("number")
                                 if n.strip()))
    password = request.form.get("password", "")
    problem = ("请至少勾选一份交接单。" if not numbers
               else f"一次最多签收 {BULK_MOST} 份交接单。" if len(numbers) > BULK_MOST
               else "请输入登录密码以签名。" if not password else "")
    if problem:
        return _page("inbox", ListFilter(), form_error=problem, status=400)
    outcome: list[tuple[str, bool, str]] = []
    for at, number in enumerate(numbers):
        wf = _wf()
        try:
            wf.countersign(me, wf.get(me, number), password)
            db.commit()
            outcome.append((number, True, "已签收"))
        except (DomainError, SigningError) as exc:
            db.rollback()  # nothing of this one is kept; those signed before stand
            outcome.append((number, False, _why(exc)))
            if isinstance(exc, WrongPassword):  # the same password fails every other one
                outcome += [(n, False, "未签收：密码不正确，未尝试。") for n in numbers[at + 1:]]
                break
    signed = sum(ok for _, ok, _ in outcome)
    if signed == len(outcome):
        flash(f"已签收 {signed} 份交接单。", "success")
    return _page("inbox", ListFilter(), bulk=outcome,
                 status=200 if signed == len(outcome) else 400)


def _why(exc: Exception) -> str:
    if isinstance(exc, WrongPassword):
        return "未签收：登录密码不正确。"
    message = exc.message_zh if isinstance(exc, DomainError) else str(exc)
    return f"未签收：{message}"


# -- saved filters ------------------------------------------------------------------------------


@bp.post("/filters")
@login_required
def save_filter():
    """Keep the current filter (posted as the list's query arguments) under a name."""
    chosen, errors = _parsed(request.form)
    if errors:
        return _page("", chosen, errors=errors, status=400)
    try:
        kept = SavedFilters(get_db()).save(_me(), request.form.get("filter_name", ""), chosen)
    except ValidationFailed as exc:
        get_db().rollback()
        return _page("", chosen, errors=problems(exc), status=400)
    flash(f"已保存筛选条件「{kept.name}」。", "success")
    return redirect(url_for("handovers.index", **chosen.args()))


@bp.post("/filters/<int:filter_id>/delete")
@login_required
def delete_filter(filter_id: int):
    if filter_id > 2**31:
        abort(404)
    name = SavedFilters(get_db()).delete(_me(), filter_id)
    flash(f"已删除筛选条件「{name}」。", "success")
    return redirect(url_for("handovers.index"))
