"""Encrypted object store, key management, field encryption and the access ledger.

Knows nothing of students or handovers; configuration enters through constructors. The S3
blob store is in vault.blobstore_s3 (imported only where used: it brings in botocore).
"""

from .blobstore import BlobStore, FileBlobStore
from .blobstore_sql import SqlBlobStore
from .categories import PrivateCategory
from .entry import Entry, VerifyResult
from .errors import (
    FieldCipherMissing,
    FieldDecryptError,
    IntegrityError,
    KeyBackupInvalid,
    KeyConflict,
    KeyringInsecure,
    KeyringMissing,
    KeyVersionCurrent,
    KeyVersionInUse,
    KeyVersionMissing,
    KeyVersionRetired,
    LedgerCorrupt,
    LedgerReadOnly,
    LedgerUnavailable,
    ObjectCopyMismatch,
    ObjectNotFound,
    ObjectStoreUnavailable,
    VaultError,
    WrongPassphrase,
)
from .fields import (
    EncryptedText,
    FieldCipher,
    attach_field_cipher,
    normalize_id_number,
    normalize_phone,
)
from .keyfile import MIN_PASSPHRASE, KeyEntry
from .keyring import PURPOSES, Keyring
from .ledger import Ledger, LedgerKeys
from .ledger_db import DbLedger
from .migrate import MigrateReport, migrate_objects
from .store import BadObject, CheckReport, Vault, committed_object_ids

__all__ = [
    "MIN_PASSPHRASE",
    "PURPOSES",
    "BadObject",
    "BlobStore",
    "CheckReport",
    "DbLedger",
    "EncryptedText",
    "Entry",
    "FieldCipher",
    "FieldCipherMissing",
    "FieldDecryptError",
    "FileBlobStore",
    "IntegrityError",
    "KeyBackupInvalid",
    "KeyConflict",
    "KeyEntry",
    "KeyVersionCurrent",
    "KeyVersionInUse",
    "KeyVersionMissing",
    "KeyVersionRetired",
    "Keyring",
    "KeyringInsecure",
    "KeyringMissing",
    "Ledger",
    "LedgerCorrupt",
    "LedgerKeys",
    "LedgerReadOnly",
    "LedgerUnavailable",
    "MigrateReport",
    "ObjectCopyMismatch",
    "ObjectNotFound",
    "ObjectStoreUnavailable",
    "PrivateCategory",
    "SqlBlobStore",
    "Vault",
    "VaultError",
    "VerifyResult",
    "WrongPassphrase",
    "attach_field_cipher",
    "committed_object_ids",
    "migrate_objects",
    "normalize_id_number",
    "normalize_phone",
]
