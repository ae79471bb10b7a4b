"""`handover worker`: sends notifications (e-mail, group robot) and makes the daily digest.
Run it as a service (a loop), or with `--once` from cron or a systemd timer; several may run
at once, each notification is sent by one of them (records.notify.worker).

With SEARCH_UPDATES = outbox it also keeps this server's search replica (records.indexer): a
thread of the loop (one per host and index folder), or one pass with `--once`; and it prunes
the search outbox."""

from __future__ import annotations

import logging
import time

import click
from flask.cli import with_appcontext

from records.clock import utcnow
from webapp import services
from webapp.cli import domain_errors

__all__ = ["COMMANDS"]

log = logging.getLogger("handover.notify")


def one_pass():
    """What time has made owed is derived first (policy T3a, T3b, T4b), so that the digest
    lists it; then the worker's pass."""
    svc = services()
    with svc.session_factory() as db:
        svc.workflow(db).obligations.refresh(utcnow())
        db.commit()
    svc.prune_search_outbox()
    return svc.notify_worker().run_once()


@click.command("worker")
@click.option("--once", is_flag=True, help="One pass, then exit (for cron or a systemd timer).")
@click.option("--interval", type=click.IntRange(1), default=None,
              help="Seconds between passes (default: WORKER_INTERVAL_SECONDS).")
@with_appcontext
@domain_errors
def worker_command(once, interval):
    """Send pending notifications (e-mail, WeCom/DingTalk robot) and the daily digest."""
    outbox = services().search_updates == "outbox"
    if once:
        if outbox:
            services().indexer().run_once()
        done = one_pass()
        click.echo(f"每日提醒 {done.digests} 人；已发送 {done.sent}，稍后重试 {done.retried}，"
                   f"发送失败 {done.failed}")
        return
    pause = interval or services().settings["WORKER_INTERVAL_SECONDS"]
    click.echo(f"通知发送进程已启动，每 {pause} 秒检查一次（Ctrl+C 停止）。")
    if outbox:
        services().start_indexer()
        click.echo("搜索索引更新线程已启动（每台服务器每个索引目录一个）。")
    while True:
        try:
            one_pass()
        except Exception:  # a database restart must not end the service; the next pass retries
            log.exception("notification pass failed")
        time.sleep(pause)


COMMANDS = [worker_command]
