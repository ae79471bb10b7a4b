"""`handover list|pdf|remind|report|calendar`: what scripts and administrators need
without a browser.
Every command acts as a named user (--as) and is subject to the same visibility rule as the
pages (records.visibility); every PDF read is a recorded vault read."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from records.clock import utcnow
from records.departments import Department
from records.handovers import Status
from records.listing import due_and_overdue, visible
from records.paperwork import SCHOOL_TZ
from records.scheduled import claim_run, release_run
from records.text_rules import escape_for_terminal
from records.visibility import Access
from webapp import services
from webapp.cli import acting, domain_errors
from webapp.db import get_db

__all__ = ["COMMANDS"]

pdf_group = AppGroup("pdf", help="Signed PDF forms: export, verify and keep provable.")


@click.command("list")
@click.option("--as", "login", required=True, help="Act as this user (login name).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--page", type=click.IntRange(min=1),
              help="Only this page (from 1; past the end: the last page).")
@click.option("--per-page", type=click.IntRange(1, 1000), default=50, show_default=True,
              help="Rows per page, with --page.")
@click.option("--all", "everything", is_flag=True,
              help="Every row, read from the database in batches (the default without --page).")
@with_appcontext
@domain_errors
def list_command(login, as_json, page, per_page, everything):
    """List the handovers USER may see, most urgent first: number, kind, status, parties, due
    time. The total (on stderr) is counted in the database, never the rows printed."""
    if page is not None and everything:
        raise click.UsageError("--page 与 --all 不能同时使用。")
    found = visible(get_db(), acting(login), utcnow(), calendar=services().calendar)
    if page is None:
        total, rows = found.count(), found.stream()
    else:
        shown = found.page(page, per_page)
        total, rows = shown.total, shown.rows
    for r in rows:
        click.echo(json.dumps(r.as_dict(), ensure_ascii=False) if as_json
                   else escape_for_terminal(_list_line(r)))
    if as_json:
        return
    if page is None:
        click.echo(f"共 {total} 条。", err=True)
    else:
        click.echo(f"共 {total} 条，第 {shown.number}/{shown.pages} 页（每页 {per_page} 条）。",
                   err=True)


def _list_line(r) -> str:
    h = r.handover
    running = h.running_due or h.due_at
    due = running.astimezone(SCHOOL_TZ).strftime("%Y-%m-%d %H:%M") if running else "-"
    receiver = h.receiver.display_name if h.receiver else Department(h.receiver_dept).label_zh
    return (f"{h.number}  {h.kind:<4} {Status(h.status).label_zh:<6} "
            f"{h.sender.display_name}（{Department(h.sender_dept).label_zh}） → "
            f"{receiver}  截止 {due} {r.due_text}")


@pdf_group.command("export")
@click.argument("number")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as", "login", required=True, help="Act as this user (login name).")
@click.option("--reason", required=True, help="Why the file is exported (recorded).")
@click.option("--version", type=int, help="Version number (default: the current one).")
@click.option("--watermark", is_flag=True,
              help="A copy for reading: viewer, time and purpose printed on every page "
                   "(signatures removed); without it, the signed original.")
@domain_errors
def pdf_export(number, out, login, reason, version, watermark):
    """Write the signed PDF of handover NUMBER to OUT (a recorded read)."""
    staff = acting(login)
    workflow = services().workflow(get_db())
    handover = workflow.get(staff, number, need=Access.CONTENT)
    data = workflow.pdf(staff, handover, reason=reason, version=version)
    if watermark:
        stamp = datetime.now(SCHOOL_TZ).strftime("%Y-%m-%d %H:%M")
        lines = [f"查阅人：{staff.display_name}（{staff.login}）", f"时间：{stamp}",
                 f"用途：{reason}", "仅供查阅，非签章原件"]
        from signing import watermark as add_watermark

        data = add_watermark(data, lines, services().form_desk.renderer)
    out.write_bytes(data)
    kind = "带水印的查阅副本" if watermark else "签章原件"
    click.echo(f"已导出 {number} 的{kind} → {out}（{len(data)} 字节）")


@pdf_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
@with_appcontext
@domain_errors
def pdf_verify(file, as_json):
    """Check every signature of FILE against the school root and CRL; exit 1 if any fails."""
    report = services().form_desk.verify(file.read_bytes())
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=1, default=str))
    else:
        if not report.signatures:
            click.echo("此文件没有数字签名。")
        for s in report.signatures:
            click.echo(f"[{s.field}] {s.signer}（{s.department}） 签名时间 {s.signing_time} "
                       f"时间戳 {s.timestamp_time}")
            click.echo(f"    完整 {_yes(s.intact)}  可信 {_yes(s.trusted)}  "
                       f"修改检查 {s.modification_level}  → {s.verdict}")
        for t in report.timestamps:
            click.echo(f"[{t.field}] 存档时间戳 {t.time}（{t.tsa}） → {t.verdict}")
        click.echo("结论：全部签名有效。" if report.ok else "结论：签名验证未通过。")
    if not report.ok:
        raise SystemExit(1)


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


@pdf_group.command("refresh")
@click.option("--before", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Refresh forms whose newest archive timestamp's certificate expires before "
                   "this date (default: two years from today).")
@click.option("--dry-run", is_flag=True, help="Only list what would be refreshed.")
@click.option("--scheduled", is_flag=True,
              help="Started by a timer on several servers: only the first run this year "
                   "works, the others say so and exit 0.")
@with_appcontext
@domain_errors
def pdf_refresh(before, dry_run, scheduled):
    """Add a new archive timestamp (PAdES B-LTA) to every stored countersigned form whose
    newest one expires before --before, or that has none; run yearly from cron. Each form
    becomes a new vault object (the old one is a byte prefix of it), recorded in the ledger."""

    svc = services()
    until = (before.replace(tzinfo=SCHOOL_TZ) if before
             else utcnow().astimezone(SCHOOL_TZ) + REFRESH_AHEAD)
    year = str(utcnow().astimezone(SCHOOL_TZ).year)
    if scheduled and not dry_run and not _first_run("pdf-refresh", year):
        click.echo(f"{year} 年的存档时间戳更新已由另一台服务器（或更早的一次运行）完成。", err=True)
        return
    try:
        count = _refresh(svc, until, dry_run)
    except BaseException:
        if scheduled and not dry_run:  # the next timer tries again; done forms are skipped
            get_db().rollback()
            release_run(get_db(), "pdf-refresh", year)
            get_db().commit()
        raise
    verb = "需要追加" if dry_run else "已追加"
    click.echo(f"{verb}存档时间戳：{count} 份（截止 {until:%Y-%m-%d}）。", err=True)


def _first_run(job: str, period: str) -> bool:
    """Whether this is the school's first run of `job` in `period` (records.scheduled)."""
    claimed = claim_run(get_db(), job, period, utcnow())
    get_db().commit()
    return claimed


def _refresh(svc, until, dry_run: bool) -> int:
    from records.ltv import ArchiveTimestamps

    stamps = ArchiveTimestamps(get_db(), vault=svc.vault, audit=svc.ledger, pki=svc.pki,
                               tsa=svc.form_desk.timestamper)
    count = 0
    for item in stamps.refresh_due(until, actor="cli", dry_run=dry_run):
        if not dry_run:
            get_db().commit()  # one form at a time: a later failure keeps the earlier ones
        count += 1
        last = (f"上次存档时间戳 {item.last_timestamp:%Y-%m-%d}，证书 {item.last_expires:%Y-%m-%d} "
                "到期" if item.last_timestamp else "尚无存档时间戳")
        doc = "沟通记录" if item.document == "meeting" else "交接单"
        click.echo(f"{item.number} 第{item.version}版 {doc}：{last}"
                   + ("" if dry_run else f" → 已追加（{item.object_id}）"))
    return count


#: How far ahead `pdf refresh` looks by default: a timestamp whose certificate expires within
#: two years is renewed (run yearly, that leaves a missed year to spare).
REFRESH_AHEAD = timedelta(days=2 * 365)


@click.command("remind")
@click.option("--days", default=1, show_default=True, help="Also list what is due within N days.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--scheduled", is_flag=True,
              help="Started by a timer on several servers: only the first run today lists, "
                   "the others say so and exit 0.")
@with_appcontext
def remind_command(days, as_json, scheduled):
    """List what is overdue or due soon (run daily from cron): handovers waiting for their
    receiver or still with their sender, and obligations nobody has met yet (policy T)."""
    from records.owed_list import owed_rows
    from webapp.cli_obligations import obligations_of

    now = utcnow()
    today = now.astimezone(SCHOOL_TZ).date().isoformat()
    if scheduled and not _first_run("remind", today):
        click.echo(f"{today} 的到期提醒已由另一台服务器（或更早的一次运行）列出。", err=True)
        return
    until = now + timedelta(days=days)
    items = due_and_overdue(get_db(), now, until)
    owed = owed_rows(get_db(), obligations_of().due_before(until), now,
                     calendar=services().calendar)
    for h in items:
        due = h.running_due
        overdue = due < now
        waiting = h.status == Status.SUBMITTED
        who = (h.receiver.display_name if h.receiver else h.receiver_dept) if waiting \
            else h.sender.display_name
        record = {"type": "handover", "number": h.number, "kind": h.kind, "status": h.status,
                  "holder": who, "sender": h.sender.login, "due_at": due.isoformat(),
                  "overdue": overdue}
        if as_json:
            click.echo(json.dumps(record, ensure_ascii=False))
            continue
        state = "已逾期" if overdue else "即将到期"
        shown = who if not waiting or h.receiver else Department(h.receiver_dept).label_zh
        role = "接收方" if waiting else "移交方"
        click.echo(escape_for_terminal(f"{state}  {h.number} {h.kind}  {role} {shown}  截止 "
                                       f"{due.astimezone(SCHOOL_TZ):%Y-%m-%d %H:%M}"))
    for r in owed:
        if as_json:
            click.echo(json.dumps({"type": "obligation", **r.as_dict()}, ensure_ascii=False))
            continue
        state = "已逾期" if r.overdue else "即将到期"
        click.echo(f"{state}  应交 #{r.obligation.id} {r.obligation.kind} {r.kind_name}  "
                   f"{r.subject}  应交方 {r.owed_by}  截止 "
                   f"{r.obligation.due_at.astimezone(SCHOOL_TZ):%Y-%m-%d %H:%M}")
    if not as_json:
        click.echo(f"共 {len(items) + len(owed)} 条待办到期提醒（交接 {len(items)} 条，"
                   f"应交未交 {len(owed)} 条）。", err=True)
    get_db().commit()
    warning = calendar_warning()
    if warning:  # cron mails stderr to the operator: the daily nudge to add next year's days
        click.echo(warning, err=True)


def calendar_warning() -> str:
    """What the operator must do when a year within 60 days has only provisional deadlines
    (no official holiday arrangement yet), else ""."""
    svc = services()
    missing = svc.calendar.check_coverage(utcnow().astimezone(SCHOOL_TZ).date())
    if not missing:
        return ""
    years = "、".join(str(y) for y in missing)
    return (f"注意：尚无 {years} 年的国务院节假日安排，期限落在该年的交接为临时期限"
            f"（按周末和法定节假日计算，不含调休）。"
            f"请按国务院节假日安排通知填写 {svc.calendar_path}（格式见 docs/operations.md），"
            f"或升级 chinese-calendar / holidays 软件包。")


calendar_group = AppGroup("calendar", help="The working-day calendar of deadlines (policy T).")


@calendar_group.command("check")
@with_appcontext
@domain_errors
def calendar_check():
    """Check the holiday supplement file and that the years of the next 60 days have the
    official holiday arrangement; exit 1 while one is provisional (for monitoring)."""
    svc = services()
    known = sorted(svc.calendar.supplement.years)
    if known:
        click.echo(f"节假日补充文件 {svc.calendar_path}：{'、'.join(map(str, known))} 年。")
    warning = calendar_warning()
    if warning:
        click.echo(warning, err=True)
        raise SystemExit(1)
    click.echo("未来 60 天涉及的年份工作日数据齐全，期限按国务院节假日安排计算。")


@click.command("report")
@click.option("--since", help="First day counted (YYYY-MM-DD, school time; default: this "
                              "month's first).")
@click.option("--until", help="Last day counted, included (YYYY-MM-DD; default: the end of "
                              "the --since month, or of this month).")
@click.option("--month", help="A whole month (YYYY-MM) instead of --since/--until.")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object per line: departments, then people (\"line\" says which).")
@click.option("--xlsx", "xlsx_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the figures as an Excel workbook (sheets 部门 and 个人).")
@click.option("--pdf", "pdf_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the monthly report with its chart as PDF (needs --month, or "
                   "takes this month).")
@with_appcontext
def report_command(since, until, month, as_json, xlsx_out, pdf_out):
    """Assessment figures per department and per person for a period (policy S1, S2): what was
    owed and met, each party charged only for its own deadline."""
    from records.assessment import assess
    from records.assessment_export import monthly_report, xlsx_bytes
    from records.oversight.complaints import complaints_against

    if pdf_out and (since or until):
        raise click.UsageError("--pdf 是月报：请用 --month 指定月份。")
    period = _report_period(since, until, month)
    now, db = utcnow(), get_db()
    faults = [(dept, staff) for dept, staff, _ in
              complaints_against(db, period.start, period.end)]  # policy S2
    figures = assess(db, period, now, faults)
    for line in (*figures.departments, *figures.people):
        if as_json:
            record = {"line": "person" if line.is_person else "department", **line.as_dict()}
            click.echo(json.dumps(record, ensure_ascii=False))
            continue
        click.echo(_report_line(line))
    if not as_json:
        click.echo(f"统计期间 {period.label}：{len(figures.departments)} 个部门，"
                   f"{len(figures.people)} 人。", err=True)
    if xlsx_out:
        xlsx_out.write_bytes(xlsx_bytes(figures))
        click.echo(f"已写入 {xlsx_out}", err=True)
    if pdf_out:
        first = period.first_day
        desk = services().form_desk
        pdf_out.write_bytes(monthly_report(db, desk.renderer, first.year, first.month, now,
                                           school_name=desk.school_name, complaints=faults))
        click.echo(f"已写入月报 {pdf_out}", err=True)


def _report_period(since, until, month):
    from records.assessment import Period

    def day(raw, name):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise click.BadParameter(f"日期格式应为 YYYY-MM-DD：{raw}",
                                     param_hint=name) from None

    if month:
        if since or until:
            raise click.UsageError("--month 不能与 --since/--until 同时使用。")
        try:
            first = date.fromisoformat(f"{month}-01")
        except ValueError:
            raise click.BadParameter(f"月份格式应为 YYYY-MM：{month}",
                                     param_hint="--month") from None
        return Period.month(first.year, first.month)
    start = day(since, "--since") if since else Period.month_of(utcnow()).first_day
    last = day(until, "--until") if until else Period.month(start.year, start.month).last_day
    if last < start:
        raise click.BadParameter("结束日期不能早于开始日期。", param_hint="--until")
    return Period.days(start, last)


def _report_line(f) -> str:
    def rate(value):
        return f"{value:.0%}" if value is not None else "-"

    who = f"{f.name}（{f.department.label_zh}）" if f.is_person else f.name
    return (f"{who:<10} 应交 {f.due:>3} 按时 {f.met_on_time:>3} 逾期 {f.met_late:>3} "
            f"逾期未交 {f.open_overdue:>3}  移交 {f.submitted:>4} 移交逾期 {f.sent_late:>3} "
            f"被退回 {f.returned:>3} 一次通过率 {rate(f.completeness_rate)} "
            f"合规率 {rate(f.compliance_rate)}  接收 {f.received:>4} "
            f"逾期签收 {f.countersigned_late:>3} 逾期未签收 {f.waiting_overdue:>3}  "
            f"投诉 {f.complaints:>2}  综合按时率 {rate(f.on_time_rate)}")


COMMANDS = [list_command, pdf_group, remind_command, report_command, calendar_group]
