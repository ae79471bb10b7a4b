"""`handover export roster|register|loans|audit`: the exports of the export page from the
command line (issue 16). Every command acts `--as` a staff member, whose permissions apply
as on the page, and needs `--purpose`, which is written to the ledger with the export
(policy C3). The file is written with owner-only permissions: it may hold private data."""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from pathlib import Path

import click
from flask.cli import AppGroup

from records.clock import utcnow
from records.deadlines import SCHOOL_TZ
from records.exports import FORMATS, check_purpose
from webapp import services
from webapp.cli import acting, domain_errors
from webapp.db import get_db

__all__ = ["COMMANDS", "export_group"]

export_group = AppGroup("export", help="Exports, each recorded in the ledger with its purpose.")


def _options(formats: tuple[str, ...] = FORMATS):
    """--as, --purpose, --format and --output, which every export takes."""
    def decorate(fn):
        fn = click.option("--output", "-o", "output", required=True,
                          type=click.Path(dir_okay=False, path_type=Path),
                          help="File to write (owner-only permissions).")(fn)
        fn = click.option("--format", "fmt", type=click.Choice(formats), default=formats[0],
                          show_default=True)(fn)
        fn = click.option("--purpose", required=True,
                          help="Why the export is made (written to the ledger; no names).")(fn)
        return click.option("--as", "login", required=True,
                            help="Login of the staff member.")(fn)
    return decorate


def _write(path: Path, data: bytes) -> None:
    """Owner-only from the start: the file never exists readable by others."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    click.echo(f"已导出到 {path}（{len(data)} 字节），已记入访问日志。")


@export_group.command("roster")
@_options()
@click.option("--class", "class_name", default=None, help="Only the students of this class.")
@domain_errors
def export_roster_command(login, purpose, fmt, output, class_name):
    """The student roster (all, or one class) in the columns of the import template."""
    from records.roster_export import export_roster

    staff = acting(login)
    data = export_roster(get_db(), services().ledger, staff, purpose=check_purpose(purpose),
                         fmt=fmt, class_name=class_name)
    get_db().commit()
    _write(output, data)


def _register(which: str, login, purpose, fmt, output):
    from records.register_export import export_register

    staff = acting(login)
    desk = services().form_desk if fmt == "pdf" else None
    data = export_register(get_db(), services().ledger, staff, which=which,
                           purpose=check_purpose(purpose), fmt=fmt,
                           renderer=desk.renderer if desk else None,
                           school_name=desk.school_name if desk else "", now=utcnow())
    get_db().commit()
    _write(output, data)


@export_group.command("register")
@_options(("pdf", *FORMATS))
@domain_errors
def export_register_command(login, purpose, fmt, output):
    """The archive register (档案登记簿): PDF for printing, or a table."""
    _register("register", login, purpose, fmt, output)


@export_group.command("loans")
@_options(("pdf", *FORMATS))
@domain_errors
def export_loans_command(login, purpose, fmt, output):
    """The archive's consult and loan register (借阅登记簿)."""
    _register("loans", login, purpose, fmt, output)


def _day(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("日期格式应为 YYYY-MM-DD。", param_hint=option) from None


@export_group.command("audit")
@_options()
@click.option("--since", help="First day (YYYY-MM-DD, school time) of the period.")
@click.option("--until", help="Last day (YYYY-MM-DD) of the period, included.")
@click.option("--student", "student_no", help="A student's 学号: every read of their data.")
@domain_errors
def export_audit_command(login, purpose, fmt, output, since, until, student_no):
    """Ledger entries of a period, or every read of one student's information."""
    from records.audit_export import export_audit

    first, last = _day(since, "--since"), _day(until, "--until")
    if not student_no and not (first and last):
        raise click.UsageError("请给出 --since 和 --until，或 --student 学号。")
    if first and last and last < first:
        raise click.BadParameter("结束日期不能早于开始日期。", param_hint="--until")
    staff = acting(login)
    window = {} if student_no else {
        "since": datetime.combine(first, time(), SCHOOL_TZ),
        "until": datetime.combine(last + timedelta(days=1), time(), SCHOOL_TZ)}
    data = export_audit(get_db(), services().ledger, staff, purpose=check_purpose(purpose),
                        fmt=fmt, student_no=student_no, **window)
    get_db().commit()
    _write(output, data)


COMMANDS = [export_group]
