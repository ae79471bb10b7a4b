"""Errors of the vault package.

Every error carries its data as attributes; the message (which a school user may see) is
Simplified Chinese and names that data. No message ever contains a stored value or a key:
only purposes, version numbers, object ids, entry numbers and paths.
"""

from __future__ import annotations

__all__ = [
    "VaultError",
    "KeyringMissing",
    "KeyringInsecure",
    "KeyConflict",
    "KeyBackupInvalid",
    "WrongPassphrase",
    "KeyVersionMissing",
    "KeyVersionRetired",
    "KeyVersionInUse",
    "KeyVersionCurrent",
    "ObjectNotFound",
    "IntegrityError",
    "FieldDecryptError",
    "FieldCipherMissing",
    "LedgerUnavailable",
    "LedgerCorrupt",
    "LedgerReadOnly",
    "ObjectStoreUnavailable",
    "ObjectCopyMismatch",
]


class VaultError(Exception):
    """Base class of every error raised by the vault package."""


class KeyringMissing(VaultError):
    """The keyring directory does not exist and was not to be created."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"密钥库不存在：{path}")


class KeyringInsecure(VaultError):
    """A keyring directory or key file is readable by others than its owner."""

    def __init__(self, path: str, mode: int) -> None:
        self.path = path
        self.mode = mode
        super().__init__(f"密钥文件权限过宽（{mode:o}），拒绝使用：{path}")


class KeyConflict(VaultError):
    """Importing a key backup would overwrite a different existing key."""

    def __init__(self, purpose: str, version: int) -> None:
        self.purpose = purpose
        self.version = version
        super().__init__(f"密钥冲突：用途 {purpose} 版本 {version} 已存在且内容不同，拒绝覆盖")


class KeyBackupInvalid(VaultError):
    """A file given as a key backup is not one (or not of a format this version reads)."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"密钥备份文件无效（{path}）：{problem}")


class WrongPassphrase(VaultError):
    """A key backup did not open: the passphrase is wrong, or the file was altered."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"口令错误：无法打开密钥备份 {path}（口令不对，或文件已被改动）")


class KeyVersionMissing(VaultError):
    """No key exists for this purpose and version (version None: no usable version at all)."""

    def __init__(self, purpose: str, version: int | None) -> None:
        self.purpose = purpose
        self.version = version
        if version is None:
            super().__init__(f"密钥缺失：用途 {purpose} 没有可用的密钥版本")
        else:
            super().__init__(f"密钥缺失：用途 {purpose} 版本 {version}")


class KeyVersionRetired(VaultError):
    """The key version exists but has been retired and may no longer be used."""

    def __init__(self, purpose: str, version: int) -> None:
        self.purpose = purpose
        self.version = version
        super().__init__(f"密钥已停用：用途 {purpose} 版本 {version}")


class KeyVersionInUse(VaultError):
    """Retiring a key version was refused because data still depends on it."""

    def __init__(self, purpose: str, version: int, count: int) -> None:
        self.purpose = purpose
        self.version = version
        self.count = count
        super().__init__(f"无法停用密钥：用途 {purpose} 版本 {version} 仍被 {count} 个对象使用")


class KeyVersionCurrent(VaultError):
    """Retiring the current key version was refused (new data is written under it)."""

    def __init__(self, purpose: str, version: int) -> None:
        self.purpose = purpose
        self.version = version
        super().__init__(f"无法停用密钥：用途 {purpose} 版本 {version} 是当前版本")


class ObjectNotFound(VaultError):
    """No committed object has this id."""

    def __init__(self, object_id: str) -> None:
        self.object_id = object_id
        super().__init__(f"对象不存在：{object_id}")


class IntegrityError(VaultError):
    """An object failed verification: wrong key, wrong id, altered bytes or mismatched parts.

    The vault never returns data for such an object.
    """

    def __init__(self, object_id: str, detail: str) -> None:
        self.object_id = object_id
        self.detail = detail
        super().__init__(f"对象完整性校验失败：{object_id}（{detail}）")


class FieldDecryptError(VaultError):
    """A field token failed to decrypt: wrong context, wrong key, or altered token."""

    def __init__(self, context: str, version: int | None, detail: str) -> None:
        self.context = context
        self.version = version
        self.detail = detail
        super().__init__(f"字段解密失败：{context}，密钥版本 {version}（{detail}）")


class FieldCipherMissing(VaultError):
    """An EncryptedText column was used on an engine without an attached FieldCipher."""

    def __init__(self, context: str) -> None:
        self.context = context
        super().__init__(f"数据库引擎未配置字段加密器，无法处理加密字段：{context}")


class LedgerUnavailable(VaultError):
    """The access ledger could not be appended to; the operation was refused (fail closed)."""

    def __init__(self, path: str, cause: str) -> None:
        self.path = path
        self.cause = cause
        super().__init__(f"访问日志不可用，操作已拒绝：{path}（{cause}）")


class LedgerCorrupt(VaultError):
    """The ledger failed verification; seq is the first bad entry (sequence number = line)."""

    def __init__(self, seq: int | None, reason: str) -> None:
        self.seq = seq
        self.reason = reason
        where = "签名头" if seq is None else f"第 {seq} 条记录"
        super().__init__(f"访问日志校验失败：{where}（{reason}）")


class LedgerReadOnly(VaultError):
    """The ledger was opened with a public key only (for auditors) and cannot append."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"访问日志以只读方式打开（仅有公钥），不能追加：{path}")


class ObjectStoreUnavailable(VaultError):
    """The object store (database table or S3-compatible service) could not be reached or
    refused the request for a reason of its own; nothing was made visible by the failed call.
    `backend` names the store ("postgresql", "s3"), `cause` the error type or code."""

    def __init__(self, backend: str, cause: str) -> None:
        self.backend = backend
        self.cause = cause
        super().__init__(f"存储服务暂不可用，请稍后再试（{backend}：{cause}）")


class ObjectCopyMismatch(VaultError):
    """Copying an object to another store failed its check: the target holds other bytes
    under the name (an object file is never replaced), or read back other bytes."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"迁移校验失败：目标存储中的 {name} 与源存储不一致，未覆盖")
