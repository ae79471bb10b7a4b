"""`handover vault|audit|keys|backup|restore`: the administrator's and auditor's commands for
the vault, the access ledger, keys and whole-instance backups (policy C1-C3, R-ARC); key
export/import, backup and restore live in webapp.cli_backup."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import click
from flask.cli import AppGroup

from records.clock import utcnow
from records.text_rules import escape_for_terminal
from webapp import services
from webapp.cli import domain_errors
from webapp.cli_backup import backup_command, keys_export, keys_import, restore_command
from webapp.db import get_db
from webapp.settings import VAULT_BACKENDS, SettingsError, check_vault_settings

__all__ = ["COMMANDS"]


vault_group = AppGroup("vault", help="Encrypted document vault.")
audit_group = AppGroup("audit", help="The tamper-evident access ledger.")
keys_group = AppGroup("keys", help="Key backups (kept apart from data backups).")


@contextmanager
def _progress(label: str, total: int):
    """A progress bar on stderr; yields the callback the vault reports (done, total) to."""
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield lambda done, _total=None: bar.update(done - bar.pos)


@vault_group.command("check")
@click.option("--repair", is_flag=True,
              help="Discard objects no record refers to (written by a request that never "
                   "committed), once older than --older-than minutes.")
@click.option("--older-than", default=60, show_default=True, type=click.IntRange(1),
              help="Minutes an unreferenced object must have existed before --repair "
                   "discards it (so that no request in flight loses its file).")
@domain_errors
def vault_check(repair, older_than):
    """Decrypt and verify every object; exit 1 naming each bad one. Also count the objects
    no record refers to, and with --repair discard them."""
    from records.vault_references import referenced_object_ids

    vault = services().vault
    with _progress("校验加密文件", len(vault.object_ids())) as update:
        report = vault.check(progress=update, actor="cli")
    # A form's earlier bytes, kept when `pdf refresh` added an archive timestamp, are part of
    # the record although no row points at them any more: never discarded.
    refreshed = {(e.context or {}).get("previous") for e in
                 services().ledger.entries(action="handover.archive_timestamp")}
    unreferenced = set(vault.object_ids()) - referenced_object_ids(get_db()) - refreshed
    click.echo(f"已校验 {report.checked} 个加密文件，损坏 {len(report.bad)} 个，"
               f"未完成写入的残留 {len(report.orphans)} 个，未被任何记录引用 "
               f"{len(unreferenced)} 个。")
    if repair and unreferenced:
        cutoff = utcnow() - timedelta(minutes=older_than)
        written = {e.subject: e.at for e in services().ledger.entries(action="vault.put")
                   if e.subject in unreferenced}
        old = sorted(oid for oid in unreferenced if written.get(oid, cutoff) <= cutoff)
        for object_id in old:
            vault.discard(object_id, actor="cli", reason="清理未被记录引用的加密文件")
        click.echo(f"已删除 {len(old)} 个未被引用的加密文件"
                   f"（{len(unreferenced) - len(old)} 个不足 {older_than} 分钟，暂留）。")
    for bad in report.bad:
        click.echo(f"  损坏：{bad.object_id}  {bad.reason}", err=True)
    if not report.ok:
        raise SystemExit(1)


@vault_group.command("migrate")
@click.option("--to", "target", required=True, type=click.Choice(VAULT_BACKENDS),
              help="The object store to copy the vault into.")
@domain_errors
def vault_migrate(target):
    """Copy every encrypted object into the TARGET store and verify each by its digest; safe
    to run again. Then set VAULT_BACKEND to TARGET and restart (docs/operations.md)."""
    from vault import SqlBlobStore, migrate_objects

    svc = services()
    if target == svc.settings["VAULT_BACKEND"]:
        raise click.UsageError(f"目标 {target} 就是当前的 VAULT_BACKEND，无需迁移。")
    try:
        check_vault_settings(svc.settings, backend=target)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None
    dest = svc.blob_store(target)
    if isinstance(dest, SqlBlobStore):
        dest.create_table()
    if hasattr(dest, "check"):
        dest.check()  # unreachable, or no object lock asked for: say so before copying
    source = svc.settings["VAULT_BACKEND"]
    with _progress("复制并校验加密文件", len(svc.vault.object_ids())) as update:
        report = migrate_objects(svc.blobs, dest, progress=update)
    svc.ledger.append(actor="cli", action="vault.migrate", reason="迁移加密文件存储",
                      context={"from": source, "to": target, "objects": report.objects,
                               "copied": report.copied, "present": report.present})
    click.echo(f"共 {report.objects} 个加密文件：本次复制 {report.copied} 个，目标中已有且一致 "
               f"{report.present} 个，均已按摘要校验。")
    click.echo(f"停止写入（或再运行一次本命令补齐新文件）后，把 VAULT_BACKEND 改为 {target} "
               "并重启服务。")


@vault_group.command("rotate")
@domain_errors
def vault_rotate():
    """Add a key-encryption key version and rewrap every data key (no object is rewritten)."""
    vault = services().vault
    with _progress("重新封装数据密钥", len(vault.object_ids())) as update:
        count = vault.rotate(progress=update, actor="cli")
    version, _ = vault.keyring.current("kek")
    click.echo(f"已启用新的密钥版本 kek v{version}，重新封装了 {count} 个数据密钥；"
               "旧版本不再使用后可用 handover vault retire 停用。")


@vault_group.command("retire")
@domain_errors
def vault_retire():
    """Retire every key-encryption key version that no object uses any more."""
    retired = services().vault.retire_unused(actor="cli")
    click.echo("已停用：" + "、".join(f"kek v{v}" for v in retired) if retired
               else "没有可停用的密钥版本。")


@audit_group.command("verify")
@domain_errors
def audit_verify():
    """Check the whole hash chain and the signed head, and that the ledger and the database
    agree on every handover's state changes; exit 1 naming what is wrong."""
    from records.ledger_check import ledger_mismatches

    ledger = services().ledger
    result = ledger.verify()
    where = "数据库" if services().ledger_backend == "db" else "文件"
    if not result.ok:
        click.echo(f"访问日志（{where}）校验失败：第 {result.first_bad} 条，{result.reason}",
                   err=True)
        raise SystemExit(1)
    click.echo(f"访问日志（{where}）完整：共 {result.count} 条，哈希链与签名均有效。")
    mismatches = ledger_mismatches(get_db(), ledger.entries())
    if mismatches:
        click.echo(f"访问日志与数据库不一致：{len(mismatches)} 处。", err=True)
        for m in mismatches[:50]:
            click.echo(f"  {m.describe_zh()}", err=True)
        raise SystemExit(1)
    click.echo("访问日志与数据库中的交接状态变更一致。")


@audit_group.command("migrate")
@domain_errors
def audit_migrate():
    """Move this instance's file ledger into the database (PostgreSQL) and verify it there.
    Refused when the database's ledger already holds other entries; run again, it says the
    move is done. The file stays as it was (keep it with the backups)."""
    svc = services()
    if not svc.database_url.startswith("postgresql"):
        click.echo("访问日志只能迁移到 PostgreSQL 数据库（DATABASE_URL）；"
                   "SQLite 上请继续使用文件。", err=True)
        raise SystemExit(1)
    source, target = svc.file_ledger, svc.db_ledger
    checked = source.verify()
    if not checked.ok:
        click.echo(f"文件访问日志校验失败：第 {checked.first_bad} 条，{checked.reason}；未迁移。",
                   err=True)
        raise SystemExit(1)
    if not target.is_empty():
        last = source.head()["hash"] if checked.count else None
        if checked.count and target.hash_at(checked.head_seq) == last:
            click.echo(f"已迁移过：数据库中的访问日志已包含文件中的全部 {checked.count} 条记录。")
            return
        click.echo("数据库中的访问日志不是空的，且不是由本实例的文件迁移而来：拒绝迁移。", err=True)
        raise SystemExit(1)
    if not checked.count:
        click.echo("文件访问日志是空的，无需迁移。")
        return
    with open(source.path, "rb") as lines:  # a torn last line was never acknowledged: left out
        count = target.import_lines(line for line in lines if line.endswith(b"\n"))
    result = target.verify()
    if not result.ok or result.count != checked.count:
        why = result.reason or f"{result.count} 条，应为 {checked.count} 条"
        click.echo(f"迁移后校验失败：{why}", err=True)
        raise SystemExit(1)
    target.append(actor="cli", action="audit.migrate", reason="文件访问日志迁移到数据库",
                  context={"entries": count, "file_head": checked.head_seq})
    click.echo(f"已将 {count} 条访问日志迁移到数据库，哈希链与签名校验通过。"
               "此后的记录写入数据库（LEDGER_BACKEND = db）；原文件保持不变，请随备份保存。")


def _date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise click.BadParameter(f"日期格式应为 YYYY-MM-DD：{value}") from None


def _origin_text(origin: dict | None) -> str:
    """"web 203.0.113.7", "cli wang", or "-" for an entry without an origin."""
    if not origin:
        return "-"
    return f"{origin.get('channel', '?')} {origin.get('address') or origin.get('os_user', '?')}"


@audit_group.command("show")
@click.option("--actor", help="Only entries by this login.")
@click.option("--object", "subject", help="Only entries about this subject id.")
@click.option("--action", help="Only this action, e.g. vault.get or auth.login.")
@click.option("--since", help="From this date (YYYY-MM-DD, UTC).")
@click.option("--until", help="Before this date (YYYY-MM-DD, UTC).")
@click.option("--channel", type=click.Choice(["web", "cli"]), help="Only entries from it.")
@click.option("--address", help="Only web entries from this client address.")
@click.option("--os-user", help="Only command-line entries run by this operating-system user.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@domain_errors
def audit_show(actor, subject, action, since, until, channel, address, os_user, as_json):
    """List ledger entries, filtered (for administrators and auditors). Entries written
    before origins were recorded have none and drop out of any origin filter."""
    origin = {key: value for key, value in
              (("channel", channel), ("address", address), ("os_user", os_user)) if value}
    entries = services().ledger.entries(actor=actor, subject=subject, action=action,
                                        since=_date(since), until=_date(until), origin=origin)
    count = 0
    for e in entries:
        count += 1
        if as_json:
            click.echo(json.dumps(e.as_dict(), ensure_ascii=False))
        else:
            click.echo(escape_for_terminal(
                f"{e.seq:>7}  {e.time}  {e.actor:<12} {e.action:<22} {e.subject or '-':<36} "
                f"{e.outcome}  {_origin_text(e.origin)}  {e.reason}"))
    if not as_json:
        click.echo(f"共 {count} 条。", err=True)


@audit_group.command("student")
@click.argument("student_no")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@domain_errors
def audit_student(student_no, as_json):
    """Who viewed the information of student STUDENT_NO (学号): for a guardian's request."""
    from sqlalchemy import select

    from records.access_report import accesses_to_student
    from records.errors import NotFound
    from records.students import Student

    db = get_db()
    student = db.scalar(select(Student).where(Student.student_no == student_no))
    if student is None:
        raise NotFound("学生", student_no)
    rows = accesses_to_student(db, services().ledger, student.id)
    for a in rows:
        if as_json:
            click.echo(json.dumps(a.__dict__, ensure_ascii=False))
        else:
            cited = f"（依据审批 #{a.approval}）" if a.approval else ""
            click.echo(f"{a.time}  {a.actor:<12} {a.action:<16} {a.subject:<34} {a.reason}"
                       f"{cited}")
    if not as_json:
        click.echo(f"学生 {student_no} 的信息共被查看 {len(rows)} 次（来自访问日志）。", err=True)


@keys_group.command("rotate-fields")
@domain_errors
def keys_rotate_fields():
    """New keys for private database fields and blind indexes; everything is re-encrypted and
    re-indexed in one transaction, then the old versions are retired."""
    from records.rekey import retire_old, rotate_field_keys

    svc = services()
    db = get_db()
    report = rotate_field_keys(db, svc.keyring, svc.field_cipher)
    db.commit()
    retire_old(svc.keyring, report)
    svc.ledger.append(actor="cli", action="keys.rotate_fields",
                      context={"field_version": report.field_version,
                               "blind_version": report.blind_version, "values": report.values})
    click.echo(f"已启用 field v{report.field_version} 与 blind v{report.blind_version}，"
               f"重新加密了 {report.values} 个字段值；已停用：{'、'.join(report.retired)}。")
    click.echo("请重新导出密钥备份（handover keys export）。")


keys_group.add_command(keys_export)
keys_group.add_command(keys_import)

COMMANDS = [vault_group, audit_group, keys_group, backup_command, restore_command]
