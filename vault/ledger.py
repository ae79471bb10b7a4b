"""The access ledger: append-only JSON lines, hash-chained, with a signed head (policy R-ARC).

Files in the ledger folder:

- ``ledger.jsonl``: one entry per line (see `Entry`), each holding the hash of the previous
  one, so an edited, deleted or reordered entry breaks the chain at that place.
- ``ledger.head``: a fixed-size record of a recent sequence number and hash, signed with
  Ed25519 and rewritten in place once per group of appends, so dropping the newest entries is
  detected too. Keeping a copy of `head()` elsewhere (a report, a second disk) also detects
  the head itself being rolled back.
- ``ledger.lock``: writing lines (and rewriting the head) is serialised across processes with
  `fcntl.flock` on it; ``ledger.sync``: held by the one appender that syncs for the others
  (see `ledger_commit`).

Entries hold ids, actors, actions, reasons and outcomes. Callers must never pass a private
value (policy C2: names, contacts, addresses, grades, ...) as actor, subject, reason or
context: pass the record id instead.

Every line is on disk (fdatasync), and so is a signed head covering it, before its append
returns: concurrent appends, from threads and from processes, share those two syncs (group
commit, `ledger_commit`). Any I/O failure raises `LedgerUnavailable`, so callers can refuse
the operation being recorded (fail closed).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from . import _fsutil
from .entry import GENESIS_HASH, Entry, VerifyResult, canonical, new_entry
from .errors import LedgerCorrupt, LedgerReadOnly, LedgerUnavailable
from .ledger_commit import GroupCommit, Waiter
from .ledger_file import flocked, read_tail, write_all
from .ledger_head import parse_head, sign_head
from .ledger_verify import verify_ledger

__all__ = ["Ledger", "LedgerKeys"]

_T = TypeVar("_T")


class LedgerKeys(Protocol):
    """Where a ledger gets its keys; `Keyring` implements this."""

    def ledger_signing_key(self) -> tuple[int, Ed25519PrivateKey]:
        """The current signing key and its version."""

    def ledger_public_key(self, version: int) -> Ed25519PublicKey:
        """The public key of a version."""


class _FixedKeys:
    """Adapts bare keys: one private key (version 1), or public keys for verification only."""

    def __init__(self, private: Ed25519PrivateKey | None, public: dict[int, Ed25519PublicKey]):
        self._private = private
        self._public = public

    def ledger_signing_key(self) -> tuple[int, Ed25519PrivateKey]:
        assert self._private is not None  # guarded by Ledger._can_sign
        return 1, self._private

    def ledger_public_key(self, version: int) -> Ed25519PublicKey:
        return self._public[version]


def _as_keys(provider: Any) -> tuple[LedgerKeys, bool]:
    """The provider as LedgerKeys, and whether it can sign."""
    if isinstance(provider, Ed25519PrivateKey):
        return _FixedKeys(provider, {1: provider.public_key()}), True
    if isinstance(provider, Ed25519PublicKey):
        return _FixedKeys(None, {1: provider}), False
    if isinstance(provider, Mapping):
        public = {
            int(v): k if isinstance(k, Ed25519PublicKey) else Ed25519PublicKey.from_public_bytes(k)
            for v, k in provider.items()
        }
        return _FixedKeys(None, public), False
    if hasattr(provider, "ledger_signing_key") and hasattr(provider, "ledger_public_key"):
        return provider, True
    raise TypeError("signing_key_provider must be a Keyring, an Ed25519 key or public keys")


class _Position:
    """Open descriptors and the chain position while the append lock is held."""

    __slots__ = ("fd", "seq", "hash", "ino", "size", "waiter")

    def __init__(self, fd: int, seq: int, last_hash: str, ino: int, size: int) -> None:
        self.fd = fd
        self.seq = seq
        self.hash = last_hash
        self.ino = ino
        self.size = size
        self.waiter: Waiter | None = None  # set by the first append: what the batch waits on


_LEDGERS: weakref.WeakSet[Ledger] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # The child has one thread: locks held and leaders elected by the parent's other threads
    # would never be released in it.
    for ledger in list(_LEDGERS):
        ledger._reset_process_state()


os.register_at_fork(after_in_child=_after_fork_in_child)


class Ledger:
    """An append-only, hash-chained, signed access ledger in `folder`."""

    def __init__(self, folder: str | os.PathLike[str], signing_key_provider: Any, *,
                 origin: Callable[[], Mapping[str, str] | None] | None = None) -> None:
        """`signing_key_provider`: a Keyring (or any LedgerKeys), an Ed25519PrivateKey, or,
        for auditors who may only verify, an Ed25519PublicKey or {version: public key}.
        `origin`, called at each append, names where the act came from (see `Entry.origin`):
        the application knows its channel, the ledger only records it."""
        self._origin = origin
        self.folder = Path(folder)
        self.path = self.folder / "ledger.jsonl"
        self.head_path = self.folder / "ledger.head"
        self.lock_path = self.folder / "ledger.lock"
        self._keys, self._can_sign = _as_keys(signing_key_provider)
        self._commit = GroupCommit(self.folder, self._head_record)
        self._reset_process_state()
        _LEDGERS.add(self)

    def _reset_process_state(self) -> None:
        self._thread_lock = threading.RLock()
        self._open: _Position | None = None
        self._commit.reset()

    # -- appending -------------------------------------------------------------------------

    def append(
        self,
        *,
        actor: str,
        action: str,
        subject: str | None = None,
        reason: str = "",
        outcome: str = "ok",
        context: dict[str, Any] | None = None,
        anonymous: bool = False,
    ) -> Entry:
        """Append one entry; it is on disk and covered by a signed head on disk when this
        returns (inside a `batch()`: when the batch exits). LedgerUnavailable on any failure.

        Pass ids only: no private value may appear in any argument (policy C2). `anonymous`
        keeps only the channel of the origin (a public lookup counted without its viewer).
        """
        with self.batch() as pos:
            origin = self._origin() if self._origin is not None else None
            fields = new_entry(pos.seq + 1, pos.hash, origin, actor=actor, action=action,
                               subject=subject, reason=reason, outcome=outcome,
                               context=context, anonymous=anonymous)
            line = canonical(fields) + b"\n"
            self._guard(lambda: write_all(pos.fd, line))
            pos.seq, pos.hash, pos.size = fields["seq"], fields["hash"], pos.size + len(line)
            pos.waiter = self._commit.written(pos.seq, pos.hash, pos.ino, pos.size, pos.waiter)
            return Entry.from_dict(fields)

    @contextlib.contextmanager
    def batch(self) -> Iterator[_Position]:
        """Hold the append lock for several appends; they become durable together when the
        batch exits (after it has released the lock).

        Appends inside a batch return before they are durable. A batch that raises does not
        wait: its lines are synced and signed with the next append's.
        """
        with self._thread_lock:
            if self._open is not None:  # nested: the outermost batch waits
                yield self._open
                return
            if not self._can_sign:
                raise LedgerReadOnly(str(self.path))
            with contextlib.ExitStack() as stack:
                pos = self._guard(lambda: self._lock_and_open(stack))
                self._open = pos
                try:
                    yield pos
                except BaseException:
                    if pos.waiter is not None:
                        self._commit.forget(pos.waiter)
                    raise
                finally:
                    self._open = None
        if pos.waiter is not None:  # the lock is released: others write while we sync
            waiter = pos.waiter
            self._guard(lambda: self._commit.wait(waiter))

    def _lock_and_open(self, stack: contextlib.ExitStack) -> _Position:
        _fsutil.make_private_dir(self.folder)
        stack.enter_context(flocked(self.lock_path))
        if not self.head_path.exists():
            self._write_new_head()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        stack.callback(os.close, fd)
        st = os.fstat(fd)
        known = self._commit.known_tail(st.st_ino, st.st_size)
        if known is not None:  # as this process left it: no fragment, and no head beyond it
            return _Position(fd, *known, st.st_ino, st.st_size)
        seq, last_hash, complete, size = read_tail(self.path)
        if complete < size:  # drop the fragment of an interrupted, never-signed append
            os.ftruncate(fd, complete)
            os.fsync(fd)
        head_seq = parse_head(self.head_path.read_bytes())["seq"]
        if head_seq > seq:
            raise LedgerCorrupt(seq + 1, f"签名头记录到第 {head_seq} 条，文件只到第 {seq} 条")
        return _Position(fd, seq, last_hash, st.st_ino, complete)

    def _head_record(self, seq: int, last_hash: str) -> bytes:
        version, key = self._keys.ledger_signing_key()
        return sign_head(key, version, seq, last_hash)

    def _write_new_head(self) -> None:
        fd = os.open(self.head_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.pwrite(fd, self._head_record(0, GENESIS_HASH), 0)
            os.fsync(fd)
        finally:
            os.close(fd)
        _fsutil.fsync_dir(self.folder)

    def _guard(self, fn: Callable[[], _T]) -> _T:
        try:
            return fn()
        except OSError as exc:
            cause = f"{type(exc).__name__}: {exc.strerror}"
            raise LedgerUnavailable(str(self.path), cause) from exc

    # -- reading ---------------------------------------------------------------------------

    def head(self) -> dict[str, Any]:
        """The signed head as stored (seq, hash, key_version, sig), e.g. for an external copy."""
        return parse_head(self.head_path.read_bytes())

    def entries(
        self,
        actor: str | None = None,
        subject: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        origin: Mapping[str, str] | None = None,
    ) -> Iterator[Entry]:
        """Entries in order, filtered by exact actor/subject/action, since <= time < until, and
        an origin holding every item of `origin` (e.g. {"channel": "cli"})."""
        if not self.path.exists():
            return
        with open(self.path, "rb") as f:
            for raw in f:
                if not raw.endswith(b"\n"):  # a line still being written, or a torn one
                    break
                entry = Entry.from_dict(json.loads(raw))
                if (
                    (actor is not None and entry.actor != actor)
                    or (subject is not None and entry.subject != subject)
                    or (action is not None and entry.action != action)
                    or (since is not None and entry.at < since)
                    or (until is not None and entry.at >= until)
                    or (origin and not origin.items() <= (entry.origin or {}).items())
                ):
                    continue
                yield entry

    def verify(self) -> VerifyResult:
        """Check the chain line by line and the signed head; names the first bad entry."""
        with contextlib.ExitStack() as stack:
            with contextlib.suppress(OSError):  # no lock file yet: nothing is appending
                lock_fd = os.open(self.lock_path, os.O_RDONLY)
                stack.callback(os.close, lock_fd)
                fcntl.flock(lock_fd, fcntl.LOCK_SH)
            return verify_ledger(self.path, self.head_path, self._keys.ledger_public_key)
