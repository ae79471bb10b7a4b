"""`handover keys export|import`, `handover backup [--verify]` and `handover restore`: what an
administrator needs to get the whole school back on a new machine (docs/operations.md,
"Backups and restore"). Registered through webapp.cli_vault's COMMANDS."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from records.backup import (
    BackupReport,
    check_signature,
    restore_backup,
    verify_backup,
    write_backup,
)
from vault import MIN_PASSPHRASE, Keyring
from webapp import services
from webapp.cli import domain_errors

__all__ = ["backup_command", "keys_export", "keys_import", "restore_command"]

_PASSPHRASE_FILE = click.option(
    "--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the passphrase from the first line of this file instead of asking for it.")


def _passphrase(path: Path | None, *, confirm: bool) -> str:
    if path is not None:
        lines = path.read_text(encoding="utf-8").splitlines()
        passphrase = lines[0] if lines else ""
    else:
        passphrase = click.prompt("密钥备份口令", hide_input=True,
                                  confirmation_prompt="再次输入口令" if confirm else False)
    if confirm and len(passphrase) < MIN_PASSPHRASE:
        raise click.ClickException(f"口令至少需要 {MIN_PASSPHRASE} 个字符。")
    if not passphrase:
        raise click.ClickException("口令为空。")
    return passphrase


@click.command("export")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@_PASSPHRASE_FILE
@with_appcontext
@domain_errors
def keys_export(dest: Path, passphrase_file: Path | None):
    """Write every key (all purposes and versions) to the new file DEST, encrypted under a
    passphrase (asked twice). Keep it offline, apart from data backups; the passphrase apart
    from both."""
    passphrase = _passphrase(passphrase_file, confirm=True)
    svc = services()
    try:
        count = svc.keyring.export(dest, passphrase)
    except FileExistsError:
        raise click.ClickException(f"目标文件已存在：{dest}") from None
    svc.ledger.append(actor="cli", action="keys.export", reason=str(dest),
                      context={"keys": count})
    click.echo(f"已导出 {count} 个密钥（全部用途与版本）到 {dest}，已用口令加密。")
    click.echo("请离线保存，与数据备份分开存放；口令另行保管，丢失口令即无法恢复。")


@click.command("import")
@click.argument("src", type=click.Path(exists=True, path_type=Path))
@_PASSPHRASE_FILE
@with_appcontext
@domain_errors
def keys_import(src: Path, passphrase_file: Path | None):
    """Add the keys of the key backup SRC to this instance's keyring (into an empty keyring,
    before `handover restore`). A key that exists here with other content refuses the whole
    import; a wrong passphrase too. Nothing is written then."""
    path = services().keyring_path
    keyring = Keyring.open(path) if path.exists() else Keyring(path)
    if src.is_dir():  # the unencrypted folder that `keys export` wrote before
        count = keyring.import_folder(src)
        click.echo(f"已导入 {count} 个密钥。{src} 是未加密的旧格式：请用 handover keys export "
                   "重新导出（加密），再销毁这个目录。")
        return
    count = keyring.import_file(src, _passphrase(passphrase_file, confirm=False))
    click.echo(f"已导入 {count} 个密钥。")


def _summary(report: BackupReport) -> str:
    settings = f"、设置文件 {'、'.join(report.settings)}" if report.settings else ""
    return (f"{report.rows} 行数据、{report.objects} 个加密文件、{report.ledger_entries} 条访问"
            f"日志、学校 CA（pki）{settings}")


@click.command("backup")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--verify", is_flag=True,
              help="Check the backup in FOLDER instead of writing one: its manifest, the "
                   "SHA-256 of every file, the counts; exit 1 naming the first problem.")
@with_appcontext
@domain_errors
def backup_command(folder: Path, verify: bool):
    """Write a consistent backup of database, vault, ledger, school CA and settings files to
    FOLDER (new or empty). Keys are not in it: back them up with `handover keys export`."""
    if verify:
        if not folder.is_dir():
            raise click.ClickException(f"备份目录不存在：{folder}")
        report = verify_backup(folder).report(folder)
        svc = services()
        signed = svc.keyring_path.is_dir() and check_signature(folder, svc.keyring)
        click.echo(f"备份完好：{_summary(report)}；每个文件都与清单一致，" + (
            "清单签名有效。" if signed else "清单签名未核对（本实例没有写出此备份的密钥）。"))
        return
    svc = services()
    report = write_backup(svc.engine, svc.ledger, svc.keyring, svc.backup_parts, folder)
    svc.ledger.append(actor="cli", action="backup.write", reason=str(folder),
                      context={"rows": report.rows, "objects": report.objects})
    click.echo(f"备份完成：{_summary(report)} → {folder}")
    click.echo("备份中不含密钥：恢复时需要与之匹配的密钥备份（handover keys export）。")


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
@domain_errors
def restore_command(src: Path):
    """Restore the backup SRC into this empty instance, after `handover keys import`: refused,
    with nothing written, if the backup is damaged, the keys are not the backup's or the
    instance is not empty. Then: handover reindex, vault check, audit verify."""
    svc = services()
    if not svc.keyring_path.is_dir():
        raise click.ClickException("实例中没有密钥：先用 handover keys import 导入与此备份匹配的"
                                   "密钥备份，再恢复。")
    report = restore_backup(svc.engine, svc.keyring, svc.backup_parts, src)
    svc.initialise()  # makes what a backup does not hold: the session secret
    svc.ledger.append(actor="cli", action="backup.restore", reason=str(src),
                      context={"rows": report.rows, "objects": report.objects})
    click.echo(f"已恢复：{_summary(report)}。")
    for name in report.settings_kept:
        click.echo(f"注意：实例中已有 {name}，与备份中的不同，保留了现有的；备份中的版本在 "
                   f"{src / 'settings' / name}。", err=True)
    click.echo("请接着运行 handover reindex（重建搜索索引），再运行 handover vault check 和 "
               "handover audit verify。")
