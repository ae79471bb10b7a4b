"""The `handover` command line: the Flask CLI group of the app (so `flask --app webapp ...`
works too). Domain errors become a Chinese message on stderr and exit status 1."""

from __future__ import annotations

import functools
import json
import secrets
import string
import sys
from importlib import metadata

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from sqlalchemy import select

from records.approvals import Approvals
from records.class_registry import seed_demo_classes
from records.clock import utcnow
from records.deadlines import SCHOOL_TZ
from records.demo import (
    DEMO_DEPUTIES,
    DEMO_STAFF,
    DEMO_STUDENTS,
    seed_demo_approval,
    seed_demo_archive,
    seed_demo_handovers,
    seed_demo_oversight,
)
from records.departments import Department
from records.errors import AccountDisabled, DomainError
from records.handovers import Handover
from records.oversight.notices import Notices
from records.staff import Role
from records.students import Student
from records.text_rules import escape_for_terminal
from vault import VaultError
from webapp import services
from webapp.cli_scale import SCALE_HELP, add_scale_demo
from webapp.db import get_db
from webapp.services import NotInitialised
from webapp.settings import SETTINGS

SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}

__all__ = ["main", "init_app"]


DEMO_SCAN_HTML = (
    '<html lang="zh-CN"><body style="font-family: Noto Sans CJK SC">'
    "<h1>示例扫描件</h1><p>演示数据：代替纸质文件的扫描件。</p></body></html>"
)


def _errors_on_purpose() -> tuple[type[Exception], ...]:
    """The errors the system raises on purpose. SigningError counts once `signing` is loaded:
    a command that never imported it cannot raise it, and this module does not import it, so
    that commands without PDFs start without WeasyPrint and pyHanko."""
    signing_errors = sys.modules.get("signing.errors")
    signing = (signing_errors.SigningError,) if signing_errors is not None else ()
    return (DomainError, NotInitialised, VaultError, *signing)


def domain_errors(fn):
    """Turn an error the system raises on purpose (domain, vault, signing) into a clean
    non-zero exit with its Chinese message, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except _errors_on_purpose() as exc:
            raise click.ClickException(getattr(exc, "message_zh", str(exc))) from None

    return wrapper


def acting(login: str):
    """The active staff member a command acts as (`--as LOGIN`); every visibility rule and
    ledger entry then applies to them."""
    staff = services().accounts(get_db()).get(login)
    if not staff.active:
        raise AccountDisabled()
    # policy C1, C3: the approvals in force and the classes taught, as on the pages
    return services().relate(get_db(), staff)


def echo_rows(rows: list[dict], *, as_json: bool, empty_zh: str, line) -> None:
    """A listing command's output: all rows as one JSON array, or one line each (`line`
    makes it) with `empty_zh` when there are none."""
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(empty_zh)
    for row in rows:
        click.echo(escape_for_terminal(line(row)))


def random_password(length: int = 14) -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(length))
        if any(c.isdigit() for c in pw) and any(c.isalpha() for c in pw):
            return pw


@click.command("init")
@click.option("--demo", is_flag=True,
              help="A demo or test instance: the school's name and address may stay unset.")
@with_appcontext
@domain_errors
def init_command(demo):
    """Create the instance (folders, keys, database schema), or bring an existing one up to
    this release (database migrations). Idempotent; never overwrites keys or the school CA.
    A new school's CA carries its name for good, so a first init needs school_name and
    base_url in config.toml (or the environment)."""
    svc = services()
    if not demo and not (svc.pki_path / "ca.pem").exists() and not svc.awaiting_restore():
        require_school_settings(svc, "演示或测试实例可用 handover init --demo。")
    made = svc.initialise()
    click.echo(f"实例目录：{svc.instance}")
    click.echo("已创建：" + "、".join(made) if made else "实例已是最新，无需改动。")


# What a school's first `handover init` (and a new root) needs: the root CA keeps it.
FIRST_INIT_NEEDS = {"SCHOOL_NAME": "学校名称，写入证书和表单",
                    "BASE_URL": "对外访问地址，印在表单二维码中"}


def require_school_settings(svc, hint: str) -> None:
    """Refuse, naming each one, while the school's name or public address is the default:
    a root certificate made now would carry it (`handover pki reissue-root` replaces one)."""
    missing = [f"{name.lower()}（{why}）" for name, why in FIRST_INIT_NEEDS.items()
               if svc.settings[name] == SETTINGS_BY_NAME[name].default]
    if missing:
        raise click.ClickException(
            f"请先在 {svc.instance / 'config.toml'} 中设置：{'、'.join(missing)}。"
            f"学校名称会写入学校根证书（写错时可用 handover pki reissue-root 重新签发）；{hint}")


@click.command("demo")
@click.option("--scale", type=click.IntRange(1), metavar="N", help=SCALE_HELP)
@with_appcontext
@domain_errors
def demo_command(scale):
    """Add the demo staff (idempotent) and print their logins."""
    svc = services()
    accounts = svc.accounts(get_db())
    logins_file = svc.instance / "demo-logins.txt"
    known = dict(
        line.split(" ", 1) for line in _read_lines(logins_file) if " " in line
    )
    existing = {s.login for s in accounts.list()}
    new_lines = []
    for login, name, depts, heads in DEMO_STAFF:
        if login in existing:
            continue
        password = random_password()
        accounts.add(login, name, password, depts, head_of=heads, is_admin=login == "admin",
                     actor="demo")
        if login in DEMO_DEPUTIES:
            accounts.set_role(login, DEMO_DEPUTIES[login], Role.DEPUTY, actor="demo")
        known[login] = password
        new_lines.append(f"{login} {password}")
    students = svc.students(get_db())
    for student in DEMO_STUDENTS:
        if students.find_duplicate(student) is None:
            students.add(student, actor_id=None, actor="demo")
    ids = [s.id for s in get_db().scalars(select(Student).order_by(Student.id))]
    today = utcnow().astimezone(SCHOOL_TZ).date()
    seed_demo_classes(svc.classes(get_db()), accounts.get("aca"), accounts.get("tea"), ids,
                      today)
    get_db().commit()
    if new_lines and get_db().scalar(select(Handover.id).limit(1)) is None:
        click.echo("正在生成每种交接的已完成示例（签名、签收），约需半分钟……")
        scan = svc.form_desk.renderer.render(DEMO_SCAN_HTML).pdf
        numbers = seed_demo_handovers(svc.workflow(get_db()), accounts, known, ids, scan)
        get_db().commit()
        click.echo(f"已生成 {len(numbers)} 份示例交接单：{numbers[0]} … {numbers[-1]}")
    loan = seed_demo_archive(svc.archive_register(get_db()), svc.archive_loans(get_db()),
                             accounts, known)
    get_db().commit()
    if loan:
        click.echo(f"学习档案已登记入档案室，并有一条已归还的借阅登记：{loan}")
    approval = seed_demo_approval(Approvals(get_db(), audit=svc.ledger), accounts)
    get_db().commit()
    notice = seed_demo_oversight(svc.workflow(get_db()).obligations,
                                 Notices(get_db(), audit=svc.ledger), accounts)
    get_db().commit()
    if notice:
        click.echo(f"监督示例：一份每周进度报告已免除、一份逾期，监督小组就逾期发出"
                   f"整改通知 {notice}，教学部已回复。")
    if approval:
        click.echo(f"查看审批示例 #{approval}：后勤部 log 申请查看一名学生的地址和电话，"
                   "学校办公室 mgt 只批准了地址。")
    if new_lines:
        with open(logins_file, "a", encoding="utf-8") as fh:
            fh.write("".join(line + "\n" for line in new_lines))
        logins_file.chmod(0o600)
    click.echo("演示账号（登录名 密码）：")
    for login, *_ in DEMO_STAFF:
        click.echo(f"  {login:<6} {known.get(login, '（密码已更改，见管理员）')}")
    click.echo(f"演示学生：{students.count()} 名；演示班级由教学部 tea 任教。")
    if scale:
        add_scale_demo(svc, scale)


def _read_lines(path):
    try:
        return path.read_text(encoding="utf-8").split("\n")
    except FileNotFoundError:
        return []


@click.command("serve")
@with_appcontext
@click.option("--port", default=5000, show_default=True, help="Port on 127.0.0.1.")
def serve_command(port: int):
    """Development server on 127.0.0.1 (use gunicorn in production: docs/operations.md)."""
    from flask import current_app
    from werkzeug.serving import run_simple

    from webapp import create_app

    services().secret_key()  # fail early with a clear message if not initialised
    # the commands' app has no pages: serve the whole application, on the same instance
    web = create_app({"INSTANCE": current_app.instance_path})
    click.echo(f"服务地址：http://127.0.0.1:{port}/  （Ctrl+C 停止）")
    # Not app.run(): Flask ignores it inside a CLI command.
    run_simple("127.0.0.1", port, web, threaded=True)


@click.group("user", cls=AppGroup)
def user_group():
    """Staff accounts."""


def _ask_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("新密码", hide_input=True, confirmation_prompt="再次输入新密码")


@user_group.command("add")
@click.argument("login")
@click.option("--name", required=True, help="Display name (Chinese full name).")
@click.option("--dept", "depts", multiple=True, help="Department code (repeatable).")
@click.option("--head", "heads", multiple=True, help="Department this person heads.")
@click.option("--admin", is_flag=True, help="Administrator role.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@domain_errors
def user_add(login, name, depts, heads, admin, password_stdin):
    """Add a staff account."""
    try:
        departments = [Department.parse(d) for d in depts]
        head_of = [Department.parse(d) for d in heads]
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    password = _ask_password(password_stdin)
    staff = services().accounts(get_db()).add(
        login, name, password, departments, head_of=head_of, is_admin=admin, actor="cli"
    )
    get_db().commit()
    click.echo(f"已添加用户 {staff.login}：{staff.describe_zh()}")


@user_group.command("list")
@domain_errors
def user_list():
    """List staff accounts."""
    for s in services().accounts(get_db()).list():
        state = "启用" if s.active else "停用"
        roles = "、".join(f"{Department(d.department).label_zh}{Role(d.role).label_zh}"
                          for d in s.departments if Role(d.role).handles)
        extra = (" 管理员" if s.is_admin else "") + (f" 负责：{roles}" if roles else "")
        click.echo(f"{s.login:<12} {state}  {s.describe_zh()}{extra}")


@user_group.command("set-role")
@click.argument("login")
@click.argument("dept")
@click.argument("role")
@domain_errors
def user_set_role(login, dept, role):
    """Set a person's role in one of their departments: member, deputy or head (policy C1:
    head and deputies read every handover the department receives)."""
    try:
        department, new_role = Department.parse(dept), Role.parse(role)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    services().accounts(get_db()).set_role(login, department, new_role, actor="cli")
    get_db().commit()
    click.echo(f"已将 {login} 在{department.label_zh}的角色设为{new_role.label_zh}")


@user_group.command("reset-password")
@click.argument("login")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@domain_errors
def user_reset_password(login, password_stdin):
    """Set a new password for an account (administrator action)."""
    services().accounts(get_db()).reset_password(login, _ask_password(password_stdin), actor="cli")
    get_db().commit()
    click.echo(f"已重置用户 {login} 的密码")


def init_app(app: Flask) -> None:
    from webapp.cli_archive import COMMANDS as ARCHIVE_COMMANDS
    from webapp.cli_classes import COMMANDS as CLASS_COMMANDS
    from webapp.cli_export import COMMANDS as EXPORT_COMMANDS
    from webapp.cli_handovers import COMMANDS as HANDOVER_COMMANDS
    from webapp.cli_money import COMMANDS as MONEY_COMMANDS
    from webapp.cli_notify import COMMANDS as NOTIFY_COMMANDS
    from webapp.cli_obligations import COMMANDS as OBLIGATION_COMMANDS
    from webapp.cli_pki import COMMANDS as PKI_COMMANDS
    from webapp.cli_search import COMMANDS as SEARCH_COMMANDS
    from webapp.cli_staff import COMMANDS as USER_COMMANDS
    from webapp.cli_students import COMMANDS as STUDENT_COMMANDS
    from webapp.cli_vault import COMMANDS as VAULT_COMMANDS

    for command in (init_command, demo_command, serve_command, user_group, *VAULT_COMMANDS,
                    *STUDENT_COMMANDS, *HANDOVER_COMMANDS, *SEARCH_COMMANDS, *CLASS_COMMANDS,
                    *ARCHIVE_COMMANDS, *OBLIGATION_COMMANDS, *MONEY_COMMANDS,
                    *NOTIFY_COMMANDS, *PKI_COMMANDS, *EXPORT_COMMANDS):
        app.cli.add_command(command)
    for command in USER_COMMANDS:  # staff who come, move and go (webapp.cli_staff)
        user_group.add_command(command)


def _create_app():
    from webapp import create_app
    from webapp.settings import SettingsError

    try:
        return create_app(pages=False)
    except SettingsError as exc:  # the operator's mistake: its message, not a traceback
        click.echo(f"配置错误：{exc}", err=True)
        raise SystemExit(2) from None


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    try:
        version = metadata.version("handover-archive")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        version = "（未安装，版本未知）"
    click.echo(f"handover-archive {version}")
    ctx.exit()


def main() -> None:
    group = FlaskGroup(name="handover", create_app=_create_app, add_default_commands=False,
                       add_version_option=False, load_dotenv=False,
                       help="学生交接档案系统命令行 (handover-archive).")
    group.params.append(click.Option(
        ["--version"], is_flag=True, expose_value=False, is_eager=True,
        callback=_print_version, help="Show the version of handover-archive."))
    group(prog_name="handover")
