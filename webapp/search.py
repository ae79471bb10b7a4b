"""The search page: one box, filters beside the results, highlighted snippets.

The form is POSTed, kept server-side under an opaque token (records.saved_searches) and
answered by a redirect to `/search/r/<token>`: a result page has an address of its own, so Back
and reload work, while the terms, which often name a student, never end up in a URL, a browser
history or an access log (policy C2)."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from records.catalogue import KINDS
from records.departments import Department
from records.finding import behind_zh
from records.handovers import Status
from records.saved_searches import SavedSearches
from search import Filters, QuerySyntaxError
from webapp import services
from webapp.db import get_db

__all__ = ["bp"]

bp = Blueprint("search", __name__, url_prefix="/search")
bp.add_app_template_filter(behind_zh, "behind_zh")

MAX_QUERY = 200
FIELDS = ("q", "kind", "status", "dept", "from", "to", "overdue", "sort", "page")
KEEP = timedelta(hours=8)  # a working day: Back still works after lunch


def _filters(form) -> Filters:
    def day(name):
        try:
            return date.fromisoformat(form.get(name, ""))
        except ValueError:
            return None

    overdue = form.get("overdue") == "1" or None
    return Filters(kinds=frozenset(k for k in form.getlist("kind") if k in KINDS),
                   statuses=frozenset(s for s in form.getlist("status") if s in set(Status)),
                   departments=frozenset(d for d in form.getlist("dept")
                                         if d in set(Department)),
                   date_from=day("from"), date_to=day("to"), overdue=overdue)


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    form = request.form
    query = form.get("q", "").strip()
    if request.method == "POST" and query:
        if len(query) > MAX_QUERY:
            return _page(form, error=f"搜索内容不能超过 {MAX_QUERY} 个字。", status=400)
        token = _saved().save(current_user.staff, {k: form.getlist(k) for k in FIELDS})
        return redirect(url_for("search.results", token=token), 303)
    return _page(form)


@bp.route("/r/<token>")
@login_required
def results(token: str):
    terms = _saved().load(current_user.staff, token) if len(token) <= 64 else None
    if terms is None:  # unknown, someone else's or expired: no hint which
        flash("该搜索结果已过期，请重新搜索。", "warning")
        return redirect(url_for("search.index"))
    form = MultiDict([(k, v) for k, values in terms.items() for v in values])
    try:
        page = max(1, min(int(form.get("page", "1")), 10_000))
    except ValueError:
        page = 1
    sort = "date" if form.get("sort") == "date" else "relevance"
    try:
        found = services().finder(get_db()).search(
            current_user.staff, form.get("q", "").strip(), filters=_filters(form), sort=sort,
            page=page)
    except QuerySyntaxError as exc:
        return _page(form, error=str(exc), status=400)
    return _page(form, found=found)


def _saved() -> SavedSearches:
    return SavedSearches(get_db(), keep=KEEP)


def _page(form, *, found=None, error=None, status=200):
    return render_template(
        "search.html", query=form.get("q", "").strip(), found=found, error=error, form=form,
        kinds=KINDS, kind_options=[(code, f"{code} {k.name_zh}") for code, k in KINDS.items()],
        status_options=[(s.value, s.label_zh) for s in Status if s != Status.SUPERSEDED],
        dept_options=[(d.value, d.label_zh) for d in Department]), status
