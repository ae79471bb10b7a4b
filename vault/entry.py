"""The ledger's data: one entry, its canonical hash, the signed head, a verification result."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .errors import LedgerCorrupt

__all__ = ["Entry", "VerifyResult", "GENESIS_HASH", "canonical", "entry_hash", "new_entry",
           "utc_now"]

#: `prev` of the first entry.
GENESIS_HASH = "0" * 64


def canonical(obj: Any) -> bytes:
    """Deterministic JSON (sorted keys, no spaces, UTF-8) used for hashing and signing."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(fields: dict[str, Any]) -> str:
    """SHA-256 over the canonical form of every field except `hash` itself."""
    body = {k: v for k, v in fields.items() if k != "hash"}
    return hashlib.sha256(b"hav-ledger-entry\x00" + canonical(body)).hexdigest()


def utc_now() -> str:
    """The current UTC time as ISO 8601 with microseconds and a Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_entry(seq: int, prev: str, origin: Mapping[str, str] | None, *, actor: str,
              action: str, subject: str | None = None, reason: str = "", outcome: str = "ok",
              context: dict[str, Any] | None = None, anonymous: bool = False) -> dict[str, Any]:
    """The stored fields of entry `seq` after the entry hashed `prev`, hash included: the same
    for every ledger backend. `anonymous` keeps only the channel of `origin`."""
    fields: dict[str, Any] = {
        "seq": seq,
        "time": utc_now(),
        "actor": actor,
        "action": action,
        "subject": subject,
        "reason": reason,
        "outcome": outcome,
        "context": dict(context or {}),
        "prev": prev,
    }
    if origin:
        fields["origin"] = {"channel": origin["channel"]} if anonymous else dict(origin)
    fields["hash"] = entry_hash(fields)
    return fields


@dataclass(frozen=True)
class Entry:
    """One ledger line. Holds ids and reasons only, never a private value (policy C2)."""

    seq: int
    """Sequence number, 1 for the first entry; equals the line number in the file."""
    time: str
    """UTC time of the append, ISO 8601 with a Z."""
    actor: str
    """Who acted: a user id or a system component name."""
    action: str
    """What was done, e.g. "vault.get"."""
    subject: str | None
    """The id of what was acted on (object id, record id), or None."""
    reason: str
    """Why, as given by the caller (free text without private values)."""
    outcome: str
    """"ok" or a short failure code such as "not_found" or "integrity_error"."""
    context: dict[str, Any] = field(default_factory=dict)
    """Further ids and non-private metadata (JSON values)."""
    prev: str = GENESIS_HASH
    """Hash of the previous entry (GENESIS_HASH for seq 1)."""
    hash: str = ""
    """SHA-256 of this entry's canonical form without this field."""
    origin: dict[str, str] | None = None
    """Where the act came from: {"channel": "web", "address": ...} or {"channel": "cli",
    "os_user": ...}; None for entries without one (older ones, or system steps). Stored, and
    hashed, only when present, so entries written before origins existed verify unchanged."""

    def as_dict(self) -> dict[str, Any]:
        """The entry as the JSON object stored on its line."""
        stored = {
            "seq": self.seq,
            "time": self.time,
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "reason": self.reason,
            "outcome": self.outcome,
            "context": self.context,
            "prev": self.prev,
            "hash": self.hash,
        }
        if self.origin is not None:
            stored["origin"] = self.origin
        return stored

    @property
    def at(self) -> datetime:
        """`time` as an aware datetime."""
        return datetime.fromisoformat(self.time)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entry:
        """Build an entry from a parsed line (KeyError / TypeError if fields are missing)."""
        return cls(**{name: data[name] for name in _FIELDS}, origin=data.get("origin"))


_FIELDS = (
    "seq",
    "time",
    "actor",
    "action",
    "subject",
    "reason",
    "outcome",
    "context",
    "prev",
    "hash",
)


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of `Ledger.verify()`."""

    ok: bool
    """True when the chain is intact and nothing the signed head covers is missing."""
    count: int
    """Number of entries read from the file (when bad: entries checked before the bad one)."""
    first_bad: int | None = None
    """Sequence number (= line number) of the first bad entry; None if ok or the head is bad."""
    reason: str = ""
    """Why verification failed (Chinese, for the operator), empty if ok."""
    head_seq: int = 0
    """The newest sequence number covered by the signed head."""
    unsigned: int = 0
    """Entries after the signed head: appends still waiting for their group's sync, or left
    by an append interrupted (or a sync failed) before it was signed.

    They chain correctly but are not yet covered by a signature; the next sync signs them.
    """
    torn_tail: bool = False
    """The file ends in an unterminated line: an append interrupted inside its write, never
    acknowledged nor signed. The next append removes it."""

    def raise_if_bad(self) -> None:
        """Raise LedgerCorrupt naming the first bad entry, if verification failed."""
        if not self.ok:
            raise LedgerCorrupt(self.first_bad, self.reason)
