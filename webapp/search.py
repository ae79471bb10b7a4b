"""The search page: one box, filters beside the results, highlighted snippets.

The form is POSTed and answered directly, never redirected: a query often names a student,
and a name must not end up in a URL, a browser history or an access log (policy C2)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from records.catalogue import KINDS
from records.departments import Department
from records.handovers import Status
from search import Filters, QuerySyntaxError
from webapp import services
from webapp.db import get_db

__all__ = ["bp"]

bp = Blueprint("search", __name__, url_prefix="/search")

MAX_QUERY = 200


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
    found, error, status = None, None, 200
    if request.method == "POST" and query:
        if len(query) > MAX_QUERY:
            error, status = f"搜索内容不能超过 {MAX_QUERY} 个字。", 400
        else:
            try:
                page = max(1, int(form.get("page", "1")))
            except ValueError:
                page = 1
            sort = "date" if form.get("sort") == "date" else "relevance"
            try:
                found = services().finder(get_db()).search(
                    current_user.staff, query, filters=_filters(form), sort=sort, page=page)
            except QuerySyntaxError as exc:
                error, status = str(exc), 400
    return render_template(
        "search.html", query=query, found=found, error=error, form=form, kinds=KINDS,
        kind_options=[(code, f"{code} {k.name_zh}") for code, k in KINDS.items()],
        status_options=[(s.value, s.label_zh) for s in Status if s != Status.SUPERSEDED],
        dept_options=[(d.value, d.label_zh) for d in Department]), status
