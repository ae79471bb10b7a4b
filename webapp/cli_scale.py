"""`handover demo --scale N`: the wiring of records.scale_demo (which holds the generator)."""

from __future__ import annotations

import time

import click

from records.catalogue import KINDS
from records.clock import utcnow
from records.credentials import Credentials
from records.scale_demo import ScaleDemo
from records.timeliness import Timeliness
from webapp.db import get_db

__all__ = ["SCALE_HELP", "add_scale_demo"]

SCALE_HELP = (
    "Then add N synthetic handovers of the past year, every kind and status, with about "
    "N/2 students, N/40 classes, N/500 staff (one shared password, printed), obligations, "
    "archive files, loans and approvals. Signing is not repeated per row: every synthetic "
    "version of a kind shares the signed PDF of the demo's real handover of that kind. "
    "Run 'handover reindex' afterwards to make them searchable.")


def add_scale_demo(svc, n: int) -> None:
    """Generate, print what was made, and list the new logins in demo-logins.txt."""
    db = get_db()
    timeliness = Timeliness(db, calendar=svc.calendar, settings=svc.deadline_settings,
                            clock=utcnow)
    shown: dict[str, int] = {}

    def progress(stage: str, done: int, total: int) -> None:
        step = max(1, total // 10, 50)
        if done == total or done // step != shown.get(stage, 0):
            shown[stage] = done // step
            click.echo(f"  {STAGES_ZH.get(stage, stage)} {done}/{total}", err=True)

    click.echo(f"正在生成 {n} 份规模演示交接单（共用每种交接的一份真实签名 PDF）……")
    started = time.perf_counter()
    report = ScaleDemo(db, cipher=svc.field_cipher, timeliness=timeliness, audit=svc.ledger,
                       hasher=svc.password_hasher, credentials=Credentials(db, svc.pki),
                       terms=svc.archive_terms, progress=progress).run(n)
    seconds = time.perf_counter() - started
    with open(svc.instance / "demo-logins.txt", "a", encoding="utf-8") as fh:
        fh.write("".join(f"{login} {report.password}\n" for login in report.logins))
    (svc.instance / "demo-logins.txt").chmod(0o600)
    states = "、".join(f"{STATUS_ZH.get(k, k)} {v}" for k, v in sorted(report.by_status.items()))
    owed = "、".join(f"{OWED_ZH[k]} {v}" for k, v in sorted(report.obligations.items()))
    click.echo(f"已生成 {report.handovers} 份交接单（{states}），{report.students} 名学生，"
               f"{report.classes} 个班级，{report.staff} 名工作人员，应交事项（{owed}），"
               f"{report.archive_files} 份档案、{report.loans} 条借阅登记、"
               f"{report.approvals} 份查看审批；用时 {seconds:.0f} 秒。")
    click.echo("按类型：" + "、".join(f"{k} {report.by_kind[k]}" for k in KINDS
                                     if k in report.by_kind))
    click.echo("各阶段用时（秒）：" + "、".join(
        f"{STAGES_ZH.get(k, k)} {v:.1f}" for k, v in report.seconds.items()))
    click.echo(f"新工作人员共用密码：{report.password}（登录名见 demo-logins.txt）")
    click.echo("搜索索引尚未包含这些数据：请运行 handover reindex。")


STAGES_ZH = {"staff": "工作人员", "students": "学生", "plan": "排期与班级",
             "handovers": "交接单", "obligations": "应交事项", "archive": "档案与审批"}
STATUS_ZH = {"draft": "草稿", "submitted": "待接收", "completed": "已完成", "returned": "已退回",
             "withdrawn": "已撤回"}
OWED_ZH = {"open": "待交", "answered": "已交", "waived": "已免除"}
