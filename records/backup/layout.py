"""What a backup holds and where, what an instance must hand in, and the errors and report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from records.errors import Conflict, DomainError
from vault import BlobStore, DbLedger

__all__ = ["BackupInvalid", "BackupKeysMismatch", "BackupReport", "InstanceParts"]

FORMAT = "handover-backup/2"
MANIFEST = "MANIFEST.json"
DATABASE = "database.jsonl"
VAULT = "vault"
LEDGER = "ledger"
LEDGER_FILES = ("ledger.jsonl", "ledger.head")
PKI = "pki"
#: Without these a restored instance can neither sign nor show old signatures as trusted.
PKI_REQUIRED = ("ca.pem", "ca.key.sealed", "tsa.pem", "tsa.key.sealed")
SETTINGS = "settings"
CONFIG, CALENDAR = "config.toml", "calendar.toml"


@dataclass(frozen=True)
class InstanceParts:
    """Where one instance keeps what a backup holds; webapp knows the paths and hands them in.
    Keys are not among them: they are backed up apart (`Keyring.export`)."""

    blobs: BlobStore
    """The vault's blob store (objects and their key records)."""
    ledger_folder: Path
    """The access ledger's folder."""
    pki_folder: Path
    """The school PKI: root and TSA certificates, their keys sealed under the "pki" key,
    the list of issued certificates, revocations and the CRL."""
    config_file: Path
    """The instance's config.toml (may be absent)."""
    calendar_file: Path
    """The holiday supplement (may be absent)."""
    ledger_db: DbLedger | None = None
    """The ledger in the database, when LEDGER_BACKEND is db: a restore loads the backup's
    ledger files into it instead of into `ledger_folder`."""


@dataclass(frozen=True)
class BackupReport:
    folder: Path
    """Where the backup is."""
    rows: int
    """Database rows in it."""
    objects: int
    """Vault objects in it, one per key record: what `handover vault check` counts."""
    ledger_entries: int
    """Ledger entries in it."""
    settings: tuple[str, ...] = ()
    """The settings files it holds (config.toml, calendar.toml)."""
    settings_kept: tuple[str, ...] = ()
    """After a restore: settings files the instance already had with other content, kept
    as they were (the backup's copy stays in the backup's settings/ folder)."""


class BackupInvalid(DomainError):
    def __init__(self, path: Path, problem: str):
        self.path, self.problem = path, problem
        super().__init__(f"备份无效（{path}）：{problem}")


class BackupKeysMismatch(Conflict):
    """The instance's keys are not the ones the backup was written with."""

    def __init__(self, missing: list[str], different: list[str]):
        self.missing, self.different = missing, different
        parts = ([f"缺少 {'、'.join(missing)}"] if missing else []) + \
                ([f"不同：{'、'.join(different)}"] if different else [])
        super().__init__("备份与密钥不匹配（" + "；".join(parts) + "），未写入任何内容。请导入与"
                         "此备份同时或之后导出的密钥备份（handover keys import）。")
