"""`handover ledger show|override`: the payment ledger (policy R-FIN) for finance and
management without a browser. Every read is recorded like the pages' (records.money.payments)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from records.errors import NotFound
from records.money.amounts import yuan_zh
from records.students import Student
from records.text_rules import escape_for_terminal
from webapp import services
from webapp.cli import acting, domain_errors
from webapp.db import get_db

__all__ = ["COMMANDS"]

ledger_group = AppGroup("ledger", help="The payment ledger (缴费台账): accounts and entries.")


def _student_id(student_no: str) -> int:
    found = get_db().scalar(select(Student.id).where(Student.student_no == student_no))
    if found is None:
        raise NotFound("学生", student_no if len(student_no) <= 20 else "")
    return found


@ledger_group.command("show")
@click.argument("student_no")
@click.option("--as", "login", required=True, help="Act as this user (login name).")
@domain_errors
def ledger_show(student_no, login):
    """A student's accounts per enrolment, then every entry (a recorded read)."""
    staff = acting(login)
    accounts, entries = services().payments(get_db()).student_view(
        staff, _student_id(student_no), reason="命令行查看缴费台账")
    if not entries:
        click.echo("该学生没有缴费记录。")
    for a in accounts:
        click.echo(escape_for_terminal(
            f"【{a.enrolment}】状态 {a.status.value}  收费 {yuan_zh(a.charged)}  "
            f"已缴 {yuan_zh(a.paid)}  已退 {yuan_zh(a.refunded)}  结存 {yuan_zh(a.held)}  "
            f"欠缴 {yuan_zh(a.owed)}  课时 {a.hours_delivered}/{a.hours_bought}"))
    for e in entries:
        reason = f"  原因：{e.reason}" if e.reason else ""
        click.echo(escape_for_terminal(
            f"  #{e.id} {e.occurred_on} {e.kind_zh:<6} {yuan_zh(e.fen)} 课时 {e.hours} "
            f"{e.method or ''} {e.enrolment}{reason}"))


@ledger_group.command("override")
@click.argument("student_no")
@click.option("--as", "login", required=True, help="Act as this user (management).")
@click.option("--enrolment", required=True, help="The course or class of the charge.")
@click.option("--amount", required=True, help="Most yuan the charge may be.")
@click.option("--hours", type=click.IntRange(0, 10_000), default=0, help="Most class hours.")
@click.option("--reason", required=True, help="Why the cap may be exceeded (recorded).")
@domain_errors
def ledger_override(student_no, login, enrolment, amount, hours, reason):
    """Management lets one registration (F2) over a prepayment cap through, with a reason."""
    entry = services().payments(get_db()).grant_override(
        acting(login), student_id=_student_id(student_no), enrolment=enrolment,
        amount=amount, hours=hours, reason=reason)
    get_db().commit()
    click.echo(f"已批准（台账记录 {entry.id}）：下一份超出上限的报名交接单可使用此批准。")


COMMANDS = (ledger_group,)
