"""`handover archive list|show|lend|return|renew`: the archive register and its consult/borrow
register from the command line (policy R-ARC). Every command acts `--as` a staff member, so the
same rules and ledger entries apply as on the pages; the borrower's password is read hidden (or
from stdin), never from an option that shell history would keep."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from records.archive import PURPOSES, RETURN_CONDITIONS, ArchiveFile, LoanKind, Retention, Security
from records.errors import AuthenticationFailed
from webapp import services
from webapp.cli import acting, domain_errors, echo_rows
from webapp.db import get_db

__all__ = ["COMMANDS", "archive_group"]

archive_group = AppGroup("archive", help="The archive register (档案) and its loans.")


def _row(f: ArchiveFile, out: set[int]) -> dict:
    return {"number": f.number, "title": f.title, "security": f.security,
            "retention": f.retention, "review_on": f.review_on and f.review_on.isoformat(),
            "location": f.location, "handover": bool(f.handover_id), "out": f.id in out}


@archive_group.command("list")
@click.option("--as", "login", required=True, help="Login of an archive-office member.")
@click.option("--security", type=click.Choice([s.value for s in Security]))
@click.option("--retention", type=click.Choice([r.value for r in Retention]))
@click.option("--json", "as_json", is_flag=True, help="Print the files as JSON.")
@domain_errors
def archive_list(login, security, retention, as_json):
    """List the register, newest first."""
    actor = acting(login)
    files = services().archive_register(get_db()).listing(
        actor, security=security or "", retention=retention or "")
    out = services().archive_loans(get_db()).files_out()
    echo_rows([_row(f, out) for f in files], as_json=as_json, empty_zh="还没有登记的档案。",
              # spaces, not tabs: the line is escaped for the terminal, a tab included
              line=lambda r: "  ".join((r["number"], r["title"],
                                        Security(r["security"]).label_zh,
                                        Retention(r["retention"]).label_zh, r["location"],
                                        "借出/查阅中" if r["out"] else "在库")))


@archive_group.command("show")
@click.argument("number")
@click.option("--as", "login", required=True, help="Login of an archive-office member.")
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def archive_show(number, login, as_json):
    """One file: its facts and its register entries (no student names: see the page)."""
    actor = acting(login)
    file = services().archive_register(get_db()).get(actor, number)
    loans = services().archive_loans(get_db())
    data = _row(file, loans.files_out()) | {
        "students": len(file.student_ids), "filed_on": file.filed_on.isoformat(),
        "loans": [{"number": loan.number, "kind": loan.kind, "borrower": loan.borrower.login,
                   "due_on": loan.due_on.isoformat(),
                   "returned": loan.returned_at is not None} for loan in loans.of_file(file)]}
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"{file.number}  {file.title}\n密级：{Security(file.security).label_zh}  "
               f"保管期限：{Retention(file.retention).label_zh}  存放位置：{file.location}  "
               f"学生：{data['students']} 名")
    for loan in data["loans"]:
        state = "已归还" if loan["returned"] else "未归还"
        click.echo(f"  {loan['number']}  {LoanKind(loan['kind']).label_zh}  "
                   f"{loan['borrower']}  应还 {loan['due_on']}  {state}")


@archive_group.command("lend")
@click.argument("number")
@click.option("--as", "login", required=True, help="Login of the archive-office member.")
@click.option("--borrower", required=True, help="Login of the borrower.")
@click.option("--approver", required=True, help="Login of the approver.")
@click.option("--purpose", required=True, type=click.Choice(PURPOSES))
@click.option("--kind", default=LoanKind.BORROW.value,
              type=click.Choice([k.value for k in LoanKind]), show_default=True)
@click.option("--note", default="", help="Purpose details (kept encrypted).")
@click.option("--copy", "copy_note", default="",
              help="Approved copying or excerpting, and its scope.")
@click.option("--password-stdin", is_flag=True, help="Read the borrower's password from stdin.")
@domain_errors
def archive_lend(number, login, borrower, approver, purpose, kind, note, copy_note,
                 password_stdin):
    """Register a loan or consult of file NUMBER; the borrower confirms with their password."""
    actor = acting(login)
    accounts = services().accounts(get_db())
    file = services().archive_register(get_db()).get(actor, number)
    password = (sys.stdin.readline().rstrip("\n") if password_stdin
                else click.prompt("借阅人密码", hide_input=True))
    try:
        loan = services().archive_loans(get_db()).lend(
            actor, file, borrower=accounts.get(borrower), password=password, kind=kind,
            purpose=purpose, purpose_note=note, approver=accounts.get(approver),
            copy_allowed=bool(copy_note), copy_note=copy_note)
    except AuthenticationFailed:
        get_db().commit()  # keep the failure count, as the page does: no way to guess it
        raise
    get_db().commit()
    click.echo(f"已登记 {loan.number}（{LoanKind(loan.kind).label_zh}），"
               f"应还日期 {loan.due_on.isoformat()}。")


@archive_group.command("return")
@click.argument("loan_number")
@click.option("--as", "login", required=True, help="Login of the archive-office member.")
@click.option("--condition", required=True, type=click.Choice(RETURN_CONDITIONS))
@click.option("--remarks", default="")
@domain_errors
def archive_return(loan_number, login, condition, remarks):
    """Register the return of LOAN_NUMBER with the file's condition."""
    actor = acting(login)
    loans = services().archive_loans(get_db())
    loan = loans.return_(actor, loans.get(actor, loan_number), condition=condition,
                         remarks=remarks)
    get_db().commit()
    click.echo(f"已登记归还 {loan.number}。")


@archive_group.command("renew")
@click.argument("loan_number")
@click.option("--as", "login", required=True, help="Login of the archive-office member.")
@click.option("--days", type=int, help="Days to add (default: the most allowed).")
@domain_errors
def archive_renew(loan_number, login, days):
    """Renew LOAN_NUMBER once."""
    actor = acting(login)
    loans = services().archive_loans(get_db())
    loan = loans.renew(actor, loans.get(actor, loan_number), days)
    get_db().commit()
    click.echo(f"已续借 {loan.number}，新的应还日期 {loan.due_on.isoformat()}。")


COMMANDS = [archive_group]
