"""Backups of a whole instance and their restore into an empty one (policy C1: not lost):
database, vault objects, ledger, the school PKI and the settings files, with a manifest that
checks every file and names the keys the backup needs. Keys are never in a backup: a stolen
backup without them reveals no student's private information (DESIGN "What is at rest").

Layout of a backup folder:
    MANIFEST.json      format, time, schema revision, counts, key fingerprints, SHA-256 of
                       every other file; signed with the ledger key
    database.jsonl     one line per row: {"table": ..., "row": {...}} (private fields stay
                       ciphertext)
    vault/..           the vault's objects and key records, as stored
    ledger/            ledger.jsonl, ledger.head
    pki/               root and TSA certificates, their keys (sealed under the "pki" key),
                       issued.json, revoked.json, crl.der
    settings/          config.toml and calendar.toml, when the instance has them
"""

from .layout import BackupInvalid, BackupKeysMismatch, BackupReport, InstanceParts
from .manifest import check_signature, verify_backup
from .restore import restore_backup
from .write import write_backup

__all__ = ["BackupInvalid", "BackupKeysMismatch", "BackupReport", "InstanceParts",
           "check_signature", "restore_backup", "verify_backup", "write_backup"]
