"""Consistent backups of database, vault objects and ledger, and their restore into an empty
instance. Keys are NOT part of a backup, on purpose: a stolen backup without the keys reveals no
student's private information (DESIGN "What is at rest"); keys are exported separately.

Layout of a backup folder:
    MANIFEST.json      format, time, schema revision, counts and SHA-256 of every file
    database.jsonl     one line per row: {"table": ..., "row": {...}}, raw column values
                       (private fields stay ciphertext)
    vault/...          the vault's object and key-record files, as stored
    ledger/ledger.jsonl, ledger/ledger.head
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, column, select, table, text

import records.models  # noqa: F401  (every table on Base.metadata)
from records.clock import utcnow
from records.db import Base, migrate
from records.errors import Conflict, DomainError

__all__ = ["BackupReport", "BackupInvalid", "write_backup", "restore_backup"]

FORMAT = "handover-backup/1"
Progress = Callable[[str], None]


class BackupInvalid(DomainError):
    def __init__(self, path: Path, problem: str):
        self.path, self.problem = path, problem
        super().__init__(f"备份无效（{path}）：{problem}")


@dataclass(frozen=True)
class BackupReport:
    folder: Path
    """Where the backup is."""
    rows: int
    """Database rows in it."""
    objects: int
    """Vault files (objects and their key records)."""
    ledger_entries: int
    """Ledger entries in it."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return {"$dt": value.isoformat()}
    if isinstance(value, bytes | memoryview):
        return {"$b64": base64.b64encode(bytes(value)).decode()}
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict) and "$dt" in value:
        return datetime.fromisoformat(value["$dt"])
    if isinstance(value, dict) and "$b64" in value:
        return base64.b64decode(value["$b64"])
    return value


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_backup(engine: Engine, vault_root: Path, ledger, dest: Path) -> BackupReport:
    """Write a backup to `dest` (must not exist or be empty).

    Order gives consistency without stopping the service: the ledger is copied under its own
    lock first, then the database in one read transaction, then the vault. Vault objects are
    immutable and written before the rows that name them, so every row's object is present."""
    if dest.exists() and any(dest.iterdir()):
        raise Conflict(f"备份目标目录不为空：{dest}")
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "ledger").mkdir()
    with ledger.batch():  # holds the ledger lock: no append between the two copies
        for name in ("ledger.jsonl", "ledger.head"):
            if (ledger.folder / name).exists():
                shutil.copy2(ledger.folder / name, dest / "ledger" / name)
    rows = 0
    with engine.connect() as conn, open(dest / "database.jsonl", "w", encoding="utf-8") as out:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        for tbl in Base.metadata.sorted_tables:
            cols = [column(c.name) for c in tbl.columns]
            raw = table(tbl.name, *cols)  # untyped: private fields stay ciphertext
            for row in conn.execute(select(*cols).select_from(raw)).mappings():
                line = {"table": tbl.name, "row": {k: _jsonable(v) for k, v in row.items()}}
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
                rows += 1
    objects = 0
    if vault_root.exists():
        shutil.copytree(vault_root, dest / "vault")
        objects = sum(1 for p in (dest / "vault").rglob("*") if p.is_file())
    files = {
        str(p.relative_to(dest)): _sha256(p) for p in sorted(dest.rglob("*")) if p.is_file()
    }
    entries = _count_lines(dest / "ledger" / "ledger.jsonl")
    manifest = {
        "format": FORMAT,
        "created_at": utcnow().isoformat(),
        "schema_revision": revision,
        "rows": rows,
        "objects": objects,
        "ledger_entries": entries,
        "files": files,
    }
    (dest / "MANIFEST.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return BackupReport(dest, rows, objects, entries)


def _count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with open(path, "rb") as fh:
        return sum(1 for _ in fh)


def _read_manifest(src: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((src / "MANIFEST.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackupInvalid(src, "缺少或无法读取 MANIFEST.json") from None
    if manifest.get("format") != FORMAT:
        raise BackupInvalid(src, f"不支持的备份格式 {manifest.get('format')!r}")
    for name, digest in manifest["files"].items():
        path = src / name
        if not path.is_file() or _sha256(path) != digest:
            raise BackupInvalid(src, f"文件缺失或已被改动：{name}")
    return manifest


def restore_backup(
    engine: Engine, vault_root: Path, ledger_folder: Path, src: Path
) -> BackupReport:
    """Restore `src` into an empty instance: every file is checked against the manifest first,
    so a damaged backup restores nothing."""
    manifest = _read_manifest(src)
    migrate(engine)
    with engine.connect() as conn:
        if any(conn.execute(select(1).select_from(t).limit(1)).first()
               for t in Base.metadata.sorted_tables):
            raise Conflict("目标实例的数据库不是空的：只能恢复到新的空实例。")
    for folder in (vault_root, ledger_folder):
        if folder.exists() and any(folder.iterdir()):
            raise Conflict(f"目标实例的目录不是空的：{folder}")
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    with engine.begin() as conn, open(src / "database.jsonl", encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            tbl = tables[item["table"]]
            raw = table(tbl.name, *[column(c.name) for c in tbl.columns])
            conn.execute(raw.insert().values({k: _from_json(v) for k, v in item["row"].items()}))
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn)
    if (src / "vault").exists():
        shutil.copytree(src / "vault", vault_root, dirs_exist_ok=True)
    ledger_folder.mkdir(parents=True, exist_ok=True)
    for name in ("ledger.jsonl", "ledger.head"):
        if (src / "ledger" / name).exists():
            shutil.copy2(src / "ledger" / name, ledger_folder / name)
    return BackupReport(src, manifest["rows"], manifest["objects"], manifest["ledger_entries"])


def _reset_sequences(conn) -> None:
    """Rows were inserted with their ids: move each serial sequence past the largest one."""
    for tbl in Base.metadata.sorted_tables:
        pk = list(tbl.primary_key.columns)
        if len(pk) != 1 or pk[0].type.python_type is not int:
            continue
        # Table and column names come from our own metadata, never from input.
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{tbl.name}', '{pk[0].name}'), "  # noqa: S608
            f"COALESCE((SELECT MAX({pk[0].name}) FROM {tbl.name}), 0) + 1, false)"
        ))
