"""Register of commendations and sanctions pages (奖惩登记, policy S3): management's form and
the whole register (management and the supervision group); everyone's own entries."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import login_required

from records.errors import ValidationFailed
from records.oversight import EntryKind, Register, may_decide
from records.oversight.register import sees_register
from webapp import services
from webapp.db import get_db
from webapp.oversight import bp
from webapp.oversight.common import form_of, me, problems_of, refuse

__all__ = ["register"]

FIELDS = ("person", "kind", "reason", "handovers", "notices", "complaints", "corrects")


def register() -> Register:
    return Register(get_db(), audit=services().ledger)


def _index(form=None, problems=None, status=200):
    staff, r = me(), register()
    if not sees_register(staff):
        refuse("register.view",
               "奖惩登记只有管理层和监督小组可以查看；本人的记录见“我的奖惩记录”。")
    entries = r.all(staff)
    return render_template(
        "register/index.html", entries=entries, corrected=r.corrected_ids(entries),
        may_decide=may_decide(staff), kinds=list(EntryKind), form=form or {},
        problems=problems or {}), status


@bp.route("/register/")
@login_required
def register_index():
    return _index()


@bp.post("/register/new")
@login_required
def register_new():
    form = form_of(*FIELDS)
    try:
        entry = register().decide(me(), **form)
    except ValidationFailed as exc:
        return _index(form, problems_of(exc), 400)
    flash(f"已登记 {entry.number}（{entry.kind_zh}）。", "success")
    return redirect(url_for("oversight.register_index"))


@bp.route("/register/mine")
@login_required
def register_mine():
    r = register()
    entries = r.of(me())
    return render_template("register/mine.html", entries=entries,
                           corrected=r.corrected_ids(entries))
