"""`handover user ...` for staff who come, move and go: disable and enable, departments, a bulk
add from a CSV or .xlsx list, what a person still holds, and moving a leaving person's open
work to colleagues (records.reassignment). Added to the `user` group of webapp.cli."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from records.departments import Department
from records.reassignment import REASONS, Reassignment, open_work
from records.staff_import import apply_staff_import, plan_staff_import, read_staff_table
from records.text_rules import escape_for_terminal
from webapp import services
from webapp.cli import acting, domain_errors, random_password
from webapp.db import get_db

__all__ = ["COMMANDS"]


def _departments(codes) -> list[Department]:
    try:
        return [Department.parse(d) for d in codes]
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _echo_open_work(login: str, *, after: str) -> None:
    """What `login` still holds, and how to move it; nothing when they hold nothing."""
    work = open_work(get_db(), services().accounts(get_db()).get(login))
    if work.empty:
        return
    click.echo(f"{after}，但 {login} 仍有未完成的工作：")
    for line in work.lines_zh():
        click.echo("  " + escape_for_terminal(line))
    if work.to_move:
        click.echo(f"转交：handover user offboard {login} --to 同事登录名 --as 管理员登录名"
                   "（或由部门负责人在网页「人员交接」中逐份改派）")


@click.command("disable")
@click.argument("login")
@with_appcontext
@domain_errors
def user_disable(login):
    """Disable an account; its open sessions end at their next request. Prints what the
    person still holds (handovers, classes, obligations), to be moved with `offboard`."""
    services().accounts(get_db()).disable(login, actor="cli")
    get_db().commit()
    click.echo(f"已停用用户 {login}")
    _echo_open_work(login, after="已停用")


@click.command("enable")
@click.argument("login")
@with_appcontext
@domain_errors
def user_enable(login):
    """Let a disabled account sign in again. Its signing certificate was revoked when it was
    disabled: the next password change (or an administrator's reset) issues a new one."""
    services().accounts(get_db()).enable(login, actor="cli")
    get_db().commit()
    click.echo(f"已启用用户 {login}。停用时其签名证书已吊销：本人修改一次密码"
               "（或管理员 reset-password）后签发新证书，才能签名。")


@click.command("set-department")
@click.argument("login")
@click.argument("depts", nargs=-1, required=True)
@with_appcontext
@domain_errors
def user_set_department(login, depts):
    """Make DEPTS (codes such as TEA FIN) the account's departments; head roles of kept
    departments stay. Work the person holds in a department they leave is listed."""
    accounts = services().accounts(get_db())
    left = accounts.set_departments(login, _departments(depts), actor="cli")
    get_db().commit()
    staff = accounts.get(login)
    click.echo(f"已更新 {login} 的部门：{escape_for_terminal(staff.describe_zh())}")
    if left:
        _echo_open_work(login, after="已离开" + "、".join(d.label_zh for d in left))


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@with_appcontext
@domain_errors
def user_import(file: Path, as_json: bool):
    """Add staff accounts from a .csv (UTF-8 or GBK) or .xlsx file with header row 1:
    登录名, 姓名, 部门 (codes or names, several separated by 、), optionally 负责部门. Each
    account gets a generated password, printed once; all or nothing."""
    accounts = services().accounts(get_db())
    rows, problems = plan_staff_import(read_staff_table(file), accounts)
    if problems:
        click.echo("行\t列\t问题")
        for p in problems:
            click.echo(f"{p.row}\t{p.column or '-'}\t{p.message_zh}")
        click.echo(f"文件中有 {len(problems)} 个问题，未添加任何账号。改正后重新导入。")
        click.get_current_context().exit(1)
    added = apply_staff_import(rows, accounts, make_password=random_password, actor="cli")
    get_db().commit()
    if as_json:
        click.echo(json.dumps([{"row": r.row, "login": r.login, "password": pw}
                               for r, pw in added], ensure_ascii=False, indent=2))
        return
    click.echo(f"已添加 {len(added)} 个账号。初始密码只显示这一次，请分别交给本人，"
               "并请其登录后立即修改：")
    for row, password in added:
        click.echo(f"  {row.login:<16} {password}  {escape_for_terminal(row.name)}")


@click.command("open-work")
@click.argument("login")
@with_appcontext
@domain_errors
def user_open_work(login):
    """What a person still holds: handovers to sign, correct or countersign, classes,
    obligations (numbers and names only)."""
    work = open_work(get_db(), services().accounts(get_db()).get(login))
    if work.empty:
        click.echo(f"{login} 没有未完成的工作。")
    for line in work.lines_zh():
        click.echo(escape_for_terminal(line))


@click.command("offboard")
@click.argument("login")
@click.option("--to", "colleagues", multiple=True, required=True,
              help="Colleague taking over (repeatable: one per department concerned).")
@click.option("--as", "actor_login", required=True,
              help="The administrator or department head making the move.")
@click.option("--reason", type=click.Choice(list(REASONS)), default="left", show_default=True,
              help="Why: " + ", ".join(f"{k} ({v})" for k, v in REASONS.items()))
@click.option("--withdraw-drafts", is_flag=True,
              help="Withdraw the person's drafts and returned handovers instead of handing "
                   "them over.")
@click.option("--keep-enabled", is_flag=True,
              help="Leave the account enabled (a move within the school, not a departure).")
@with_appcontext
@domain_errors
def user_offboard(login, colleagues, actor_login, reason, withdraw_drafts, keep_enabled):
    """Hand a leaving person's open work to colleagues, then disable the account: drafts and
    returned handovers go to a colleague of their sending department (or are withdrawn),
    handovers waiting for their countersignature to a colleague of the receiving department,
    who countersigns. Signed forms are not touched; every move is recorded."""
    db = get_db()
    actor = acting(actor_login)
    accounts = services().accounts(db)
    leaving = accounts.get(login)
    work = Reassignment(services().workflow(db)).offboard(
        actor, leaving, [accounts.get(c) for c in colleagues], reason,
        withdraw_drafts=withdraw_drafts)
    if not keep_enabled and leaving.active:
        accounts.disable(login, actor=actor_login)
    db.commit()
    moved = "、".join(h.number for h in work.to_move) or "无"
    click.echo(f"已转交 {login} 的交接单：{moved}")
    if work.obligations:
        click.echo(f"其本人负责的 {work.obligations} 项待交事项已转给同事（或所在部门）。")
    if not keep_enabled:
        click.echo(f"已停用用户 {login}")
    _echo_open_work(login, after="转交完成")


COMMANDS = [user_disable, user_enable, user_set_department, user_import, user_open_work,
            user_offboard]
