"""MANIFEST.json: the format, the schema revision, the counts, a fingerprint of every key the
backup needs and the SHA-256 of every file, signed with the ledger key; and the checks of a
backup against it."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography.exceptions import InvalidSignature

from records.clock import utcnow
from vault import FileBlobStore, Keyring, committed_object_ids

from .layout import (
    DATABASE,
    FORMAT,
    LEDGER,
    MANIFEST,
    PKI,
    PKI_REQUIRED,
    SETTINGS,
    VAULT,
    BackupInvalid,
    BackupReport,
)

__all__ = ["Manifest", "check_signature", "verify_backup", "write_manifest"]


@dataclass(frozen=True)
class Manifest:
    schema_revision: str
    """The Alembic revision of the database the rows come from."""
    rows: int
    """Lines of database.jsonl."""
    objects: int
    """Committed vault objects (key records)."""
    ledger_entries: int
    """Lines of ledger/ledger.jsonl."""
    keys: dict[str, str]
    """Fingerprint of every key version the backup needs ("kek/1" -> HMAC, see
    `Keyring.fingerprints`): a restore refuses keys that do not match."""
    files: dict[str, str]
    """Every file of the backup but the manifest (POSIX path) -> SHA-256."""

    def report(self, folder: Path) -> BackupReport:
        settings = tuple(sorted(PurePosixPath(name).name for name in self.files
                                if name.startswith(SETTINGS + "/")))
        return BackupReport(folder, self.rows, self.objects, self.ledger_entries, settings)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with open(path, "rb") as fh:
        return sum(1 for _ in fh)


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and p.relative_to(folder).as_posix() != MANIFEST)


def _signed_part(doc: dict[str, Any]) -> bytes:
    unsigned = {k: v for k, v in doc.items() if k != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def write_manifest(dest: Path, *, schema_revision: str, rows: int, keyring: Keyring
                   ) -> Manifest:
    """Count and hash what is in `dest` and write its MANIFEST.json, with the fingerprints of
    `keyring` and signed with its ledger key (so that a backup changed and re-hashed after it
    was written is refused by whoever holds the keys)."""
    manifest = Manifest(
        schema_revision=schema_revision, rows=rows,
        objects=len(committed_object_ids(FileBlobStore(dest / VAULT))),
        ledger_entries=_count_lines(dest / LEDGER / "ledger.jsonl"),
        keys=keyring.fingerprints(),
        files={name: sha256(dest / name) for name in _files(dest)})
    doc = {"format": FORMAT, "created_at": utcnow().isoformat(), **asdict(manifest)}
    version, key = keyring.ledger_signing_key()
    doc["signature"] = {"ledger_key": version,
                        "value": base64.b64encode(key.sign(_signed_part(doc))).decode()}
    (dest / MANIFEST).write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return manifest


def check_signature(src: Path, keyring: Keyring) -> bool:
    """Whether the manifest's signature holds under `keyring`'s ledger key: True when it
    does; False when `keyring` has not the key it was made with (another school's keys, or
    none: the signature cannot be checked here); BackupInvalid when it does not hold."""
    doc = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    try:
        version = int(doc["signature"]["ledger_key"])
        signature = base64.b64decode(doc["signature"]["value"])
        expected = doc["keys"][f"ledger/{version}"]
    except (KeyError, TypeError, ValueError):
        raise BackupInvalid(src, "清单没有有效的签名") from None
    if keyring.fingerprints().get(f"ledger/{version}") != expected:
        return False
    try:
        keyring.ledger_public_key(version).verify(signature, _signed_part(doc))
    except InvalidSignature:
        raise BackupInvalid(src, "清单签名无效：备份在写出之后被改动过") from None
    return True


def _read(src: Path) -> Manifest:
    try:
        doc: dict[str, Any] = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackupInvalid(src, f"缺少或无法读取 {MANIFEST}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else None
        old = "（旧格式不含学校 CA 与设置文件：请用写出它的程序版本恢复）" \
            if found == "handover-backup/1" else ""
        raise BackupInvalid(src, f"不支持的备份格式 {found!r}{old}")
    try:
        manifest = Manifest(str(doc["schema_revision"]), int(doc["rows"]), int(doc["objects"]),
                            int(doc["ledger_entries"]), dict(doc["keys"]), dict(doc["files"]))
    except (KeyError, TypeError, ValueError):
        raise BackupInvalid(src, f"{MANIFEST} 内容不完整") from None
    return manifest


def verify_backup(src: Path) -> Manifest:
    """Check a backup without restoring it: the manifest, the SHA-256 of every file, no file
    beyond the manifest, the counts and the PKI; BackupInvalid naming the first problem."""
    manifest = _read(src)
    for name, digest in manifest.files.items():
        path = src / name
        if PurePosixPath(name).is_absolute() or ".." in PurePosixPath(name).parts:
            raise BackupInvalid(src, f"清单中的路径无效：{name}")
        if not path.is_file() or sha256(path) != digest:
            raise BackupInvalid(src, f"文件缺失或已被改动：{name}")
    extra = sorted(set(_files(src)) - set(manifest.files))
    if extra:
        raise BackupInvalid(src, f"清单之外的文件：{extra[0]}")
    counted = {"数据行": (_count_lines(src / DATABASE), manifest.rows),
               "加密文件": (len(_object_ids(src)), manifest.objects),
               "访问日志条目": (_count_lines(src / LEDGER / "ledger.jsonl"),
                                manifest.ledger_entries)}
    for what, (found, expected) in counted.items():
        if found != expected:
            raise BackupInvalid(src, f"{what}数量不符：清单 {expected}，实有 {found}")
    missing = [name for name in PKI_REQUIRED if f"{PKI}/{name}" not in manifest.files]
    if missing:
        raise BackupInvalid(src, f"缺少学校 CA 文件 {PKI}/{missing[0]}")
    if not manifest.keys:
        raise BackupInvalid(src, "清单中没有密钥指纹")
    return manifest


def _object_ids(src: Path) -> list[str]:
    """Committed objects of the backup's vault; BackupInvalid for one without its file."""
    blobs = FileBlobStore(src / VAULT)
    ids = committed_object_ids(blobs)
    for object_id in ids:
        if not blobs.exists(f"{object_id}.obj"):
            raise BackupInvalid(src, f"加密文件缺少密文：{object_id}")
    return ids
