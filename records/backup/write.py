"""Writing a backup of a running instance."""

from __future__ import annotations

import fcntl
from pathlib import Path

from sqlalchemy import Engine

from records.errors import Conflict
from vault import DbLedger, FileBlobStore, Keyring, Ledger

from .files import copy_blobs, copy_private, make_private_dir
from .layout import (
    CALENDAR,
    CONFIG,
    DATABASE,
    LEDGER,
    LEDGER_FILES,
    PKI,
    SETTINGS,
    VAULT,
    BackupReport,
    InstanceParts,
)
from .manifest import write_manifest
from .rows import dump_rows, snapshot

__all__ = ["write_backup"]


def write_backup(engine: Engine, ledger: Ledger | DbLedger, keyring: Keyring, parts: InstanceParts,
                 dest: Path) -> BackupReport:
    """Write a backup of the instance to `dest` (must not exist or be empty). Consistent
    while the service runs, by its order:

    1. the database's read moment is fixed, and at once the ledger is copied under its lock:
       ledger entries follow their commits, so the two agree but for a request committing in
       those milliseconds;
    2. the rows, as of that moment;
    3. the vault: objects are written before the rows that name them, so every row's object
       is there (one written since is an extra, unreferenced object);
    4. the PKI under its lock: certificates are issued and revoked before the rows saying so
       commit, so every one the rows know of is in it;
    5. the settings files, then the fingerprints of the keys (after the vault: a key version
       a rotation added meanwhile is among them).
    """
    if dest.exists() and any(dest.iterdir()):
        raise Conflict(f"备份目标目录不为空：{dest}")
    make_private_dir(dest)
    make_private_dir(dest / LEDGER)
    with snapshot(engine) as (conn, revision):
        if isinstance(ledger, DbLedger):  # its tables, as the file ledger's two files
            ledger.export(dest / LEDGER)
        else:
            with ledger.batch():  # holds the ledger lock: no append while the files are copied
                for name in LEDGER_FILES:
                    if (ledger.folder / name).exists():
                        copy_private(ledger.folder / name, dest / LEDGER / name)
        rows = dump_rows(conn, dest / DATABASE)
    copy_blobs(parts.blobs, FileBlobStore(dest / VAULT))
    _copy_pki(parts.pki_folder, dest / PKI)
    for name, path in ((CONFIG, parts.config_file), (CALENDAR, parts.calendar_file)):
        if path.is_file():
            make_private_dir(dest / SETTINGS)
            copy_private(path, dest / SETTINGS / name)
    manifest = write_manifest(dest, schema_revision=revision, rows=rows, keyring=keyring)
    return manifest.report(dest)


def _copy_pki(folder: Path, dest: Path) -> None:
    if not (folder / "ca.pem").is_file():
        raise Conflict(f"实例没有学校 CA（{folder}），无法备份。")
    make_private_dir(dest)
    # the lock SchoolPKI takes around every write (signing/pki.py `_locked`): issued.json,
    # revoked.json and crl.der are copied as one state
    with open(folder / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for path in sorted(folder.iterdir()):
            if path.is_file() and not path.name.startswith(".") and path.suffix != ".tmp":
                copy_private(path, dest / path.name)
