"""Restoring a backup into an empty instance that holds the backup's keys."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sqlalchemy import Engine

from records.db import alembic_config, migrate
from records.errors import Conflict
from vault import FileBlobStore, Keyring

from .files import copy_blobs, copy_private, has_files, make_private_dir
from .layout import (
    CALENDAR,
    CONFIG,
    DATABASE,
    LEDGER,
    PKI,
    SETTINGS,
    VAULT,
    BackupInvalid,
    BackupKeysMismatch,
    BackupReport,
    InstanceParts,
)
from .manifest import Manifest, check_signature, verify_backup
from .rows import load_rows, tables_with_rows

__all__ = ["restore_backup"]


def restore_backup(engine: Engine, keyring: Keyring, parts: InstanceParts, src: Path
                   ) -> BackupReport:
    """Restore the backup `src` into this instance. Before anything is written, refused when
    the backup fails `verify_backup`, when `keyring` lacks a key the backup needs or holds
    another one under its name (BackupKeysMismatch), when the manifest's signature does not
    hold under those keys, when the backup's schema is not this program's, or when the
    instance is not empty (database rows, vault objects, ledger or PKI). Settings files are
    restored where the instance has none; one it has is kept, and named in the report when
    it differs."""
    manifest = verify_backup(src)
    _check_keys(manifest, keyring)
    if not check_signature(src, keyring):  # the manifest names no ledger key: not ours
        raise BackupInvalid(src, "清单签名无法用这些密钥核对")
    _check_schema(engine, manifest)
    _check_empty(engine, parts)
    migrate(engine)
    with engine.begin() as conn:
        load_rows(conn, src / DATABASE)
    copy_blobs(FileBlobStore(src / VAULT), parts.blobs)
    if parts.ledger_db is not None:
        if (src / LEDGER / "ledger.jsonl").is_file():
            with open(src / LEDGER / "ledger.jsonl", "rb") as lines:
                parts.ledger_db.import_lines(lines)
    else:
        _copy_folder(src / LEDGER, parts.ledger_folder)
    _copy_folder(src / PKI, parts.pki_folder)
    kept = []
    for name, target in ((CONFIG, parts.config_file), (CALENDAR, parts.calendar_file)):
        source = src / SETTINGS / name
        if not source.is_file():
            continue
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)  # CALENDAR_FILE may be elsewhere
            copy_private(source, target)
        elif target.read_bytes() != source.read_bytes():
            kept.append(name)
    return dataclasses.replace(manifest.report(src), settings_kept=tuple(kept))


def _copy_folder(src: Path, dest: Path) -> None:
    make_private_dir(dest)
    for path in sorted(src.iterdir()):
        if path.is_file():
            copy_private(path, dest / path.name)


def _key_name(name: str) -> str:
    purpose, _, version = name.partition("/")
    return f"{purpose} v{version}"


def _check_keys(manifest: Manifest, keyring: Keyring) -> None:
    present = keyring.fingerprints()
    missing = [_key_name(k) for k in manifest.keys if k not in present]
    different = [_key_name(k) for k, fp in manifest.keys.items()
                 if k in present and present[k] != fp]
    if missing or different:
        raise BackupKeysMismatch(missing, different)


def _check_schema(engine: Engine, manifest: Manifest) -> None:
    from alembic.script import ScriptDirectory  # Alembic only when restoring

    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    if manifest.schema_revision != head:
        raise Conflict(f"备份的数据库结构版本 {manifest.schema_revision} 与本程序的 {head} "
                       "不同：请用写出该备份的程序版本恢复，再升级并运行 handover init。")


def _check_empty(engine: Engine, parts: InstanceParts) -> None:
    with engine.connect() as conn:
        if tables_with_rows(conn):
            raise Conflict("目标实例的数据库不是空的：只能恢复到新的空实例。")
    if parts.ledger_db is not None and not parts.ledger_db.is_empty():
        raise Conflict("目标实例数据库中的访问日志不是空的：只能恢复到新的空实例。")
    if next(iter(parts.blobs.list()), None) is not None:
        raise Conflict("目标实例的加密文件库不是空的：只能恢复到新的空实例。")
    for folder in (parts.ledger_folder, parts.pki_folder):
        if has_files(folder):
            raise Conflict(f"目标实例的目录不是空的：{folder}。只能恢复到新的空实例；"
                           "恢复前不要运行 handover init。")
