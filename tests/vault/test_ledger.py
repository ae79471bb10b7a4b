"""The access ledger, on both backends (a folder, or PostgreSQL tables): tampering is detected
and named; an unwritable ledger fails closed."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from tests.vault.ledger_backends import Backend
from vault import (
    Ledger,
    LedgerCorrupt,
    LedgerReadOnly,
    LedgerUnavailable,
    Vault,
)


def _fill(ledger: Ledger, n: int = 10) -> None:
    for i in range(n):
        ledger.append(actor=f"u-{i % 3}", action="vault.get", subject=f"obj-{i}", reason="查阅")


@pytest.fixture
def ledger(any_ledger):  # every test here runs on both backends
    return any_ledger


def test_fresh_ledger_verifies_with_public_key_only(ledger: Ledger, keyring, backend: Backend):
    _fill(ledger)
    result = ledger.verify()
    assert (result.ok, result.count, result.head_seq, result.unsigned) == (True, 10, 10, 0)
    auditor = backend.open(keyring.ledger_public_keys())
    assert auditor.verify().ok
    with pytest.raises(LedgerReadOnly):
        auditor.append(actor="a", action="x")


def test_edited_entry_is_named(ledger: Ledger, backend: Backend):
    _fill(ledger)
    lines = backend.lines()
    lines[4] = lines[4].replace(b'"u-1"', b'"u-2"')
    backend.rewrite(lines)
    result = ledger.verify()
    assert not result.ok and result.first_bad == 5
    with pytest.raises(LedgerCorrupt) as info:
        result.raise_if_bad()
    assert info.value.seq == 5 and "5" in str(info.value)


def test_edited_and_rehashed_entry_is_named(ledger: Ledger, backend: Backend):
    """An editor who recomputes the entry's own hash still breaks the link to the next one."""
    from vault.entry import canonical, entry_hash

    _fill(ledger)
    lines = backend.lines()
    fields = json.loads(lines[3])
    fields["reason"] = "改写"
    fields["hash"] = entry_hash(fields)
    lines[3] = canonical(fields) + b"\n"
    backend.rewrite(lines)
    assert ledger.verify().first_bad == 4


def test_deleted_entry_is_named(ledger: Ledger, backend: Backend):
    _fill(ledger)
    lines = backend.lines()
    del lines[6]
    backend.rewrite(lines)
    result = ledger.verify()
    assert not result.ok and result.first_bad == 7


def test_swapped_entries_are_named(ledger: Ledger, backend: Backend):
    _fill(ledger)
    lines = backend.lines()
    lines[2], lines[3] = lines[3], lines[2]
    backend.rewrite(lines)
    result = ledger.verify()
    assert not result.ok and result.first_bad == 3


def test_dropping_newest_entries_is_named(ledger: Ledger, backend: Backend):
    _fill(ledger)
    backend.rewrite(backend.lines()[:-3])
    result = ledger.verify()
    assert not result.ok and result.first_bad == 8
    assert "10" in result.reason
    with pytest.raises(LedgerCorrupt) as info:  # nothing is appended on top of the gap
        ledger.append(actor="u", action="x")
    assert info.value.seq == 8


def test_forged_head_is_refused(ledger: Ledger, backend: Backend):
    from vault.ledger_head import sign_head

    _fill(ledger)
    backend.rewrite(backend.lines()[:-3])
    lines = backend.lines()
    last = json.loads(lines[-1])
    # an attacker signs a matching head with a key of their own
    backend.set_head(sign_head(Ed25519PrivateKey.generate(), 1, 7, last["hash"]))
    result = ledger.verify()
    assert not result.ok and result.first_bad is None and "签名" in result.reason


def test_head_signed_with_unknown_key_version(ledger: Ledger, keyring, backend: Backend):
    _fill(ledger, 2)
    keyring.add_version("ledger")
    ledger.append(actor="u", action="x")  # signed with version 2
    assert ledger.head()["key_version"] == 2 and ledger.verify().ok
    (keyring.root / "ledger" / "2.key").unlink()
    fresh = backend.open(type(keyring).open(keyring.root))
    result = fresh.verify()
    assert not result.ok and "2" in result.reason


def test_missing_head_is_detected(ledger: Ledger, backend: Backend):
    _fill(ledger, 2)
    backend.set_head(None)
    assert not ledger.verify().ok


def test_head_rolled_back_in_the_database_is_named(ledger: Ledger, backend: Backend):
    """The database ledger signs each entry in the transaction that adds it: an entry after
    the head was not written by the ledger (or the head was put back), and nothing is
    appended on top of it."""
    if backend.name == "file":
        pytest.skip("the file ledger has a legitimately unsigned tail (next test)")
    _fill(ledger, 3)
    head = backend.head_raw()
    ledger.append(actor="u", action="x")
    backend.set_head(head)
    result = ledger.verify()
    assert not result.ok and result.first_bad == 4 and "未经签名" in result.reason
    with pytest.raises(LedgerCorrupt):
        ledger.append(actor="u", action="y")


def test_unsigned_tail_from_interrupted_append(ledger: Ledger, backend: Backend):
    """An append killed between its line and its head leaves a chained, unsigned entry."""
    if backend.name == "db":
        pytest.skip("a database append commits its row and head together")
    _fill(ledger, 3)
    head = ledger.head_path.read_bytes()
    ledger.append(actor="u", action="x")
    ledger.head_path.write_bytes(head)  # as if the head write never happened
    result = ledger.verify()
    assert (result.ok, result.head_seq, result.unsigned) == (True, 3, 1)
    ledger.append(actor="u", action="y")  # the next append signs it
    result = ledger.verify()
    assert (result.ok, result.head_seq, result.unsigned) == (True, 5, 0)


def test_bare_keys_and_batch(backend: Backend):
    key = Ed25519PrivateKey.generate()
    ledger = backend.open(key)
    ledger.append(actor="u", action="first")
    with ledger.batch():
        for i in range(5):
            ledger.append(actor="u", action="a", subject=str(i))
        assert ledger.head()["seq"] == 1  # signed (committed) once, at the end
    assert ledger.head()["seq"] == 6
    public = Ed25519PublicKey.from_public_bytes(key.public_key().public_bytes_raw())
    assert backend.open(public).verify().ok
    assert not backend.open(Ed25519PrivateKey.generate().public_key()).verify().ok


def test_entries_filters(ledger: Ledger):
    _fill(ledger, 9)
    assert [e.seq for e in ledger.entries(actor="u-1")] == [2, 5, 8]
    assert [e.seq for e in ledger.entries(subject="obj-4")] == [5]
    assert len(list(ledger.entries(action="vault.get"))) == 9
    now = datetime.now(UTC)
    assert len(list(ledger.entries(since=now - timedelta(minutes=1)))) == 9
    assert list(ledger.entries(until=now - timedelta(minutes=1))) == []
    first = next(ledger.entries())
    assert first.prev == "0" * 64 and first.at <= now


@pytest.fixture
def vault(blobs, keyring, ledger: Ledger) -> Vault:  # on this module's ledger
    return Vault(blobs, keyring, ledger)


def test_unwritable_ledger_get_fails_closed(vault: Vault, ledger: Ledger, backend: Backend):
    object_id = vault.put(b"signed form", actor="u", reason="r")
    backend.break_appends()
    returned = None
    with pytest.raises(LedgerUnavailable) as info:
        returned = vault.get(object_id, actor="u", reason="r")
    assert returned is None
    assert info.value.path == str(ledger.path)


def test_unwritable_ledger_put_leaves_nothing(vault: Vault, ledger: Ledger, blobs,
                                              backend: Backend):
    vault.put(b"before", actor="u", reason="r")
    names_before = set(blobs.list())
    backend.break_appends()
    with pytest.raises(LedgerUnavailable):
        vault.put(b"after", actor="u", reason="r")
    assert set(blobs.list()) == names_before
    assert len(vault.object_ids()) == 1


def test_full_disk_during_append(vault: Vault, ledger: Ledger, monkeypatch, backend: Backend):
    """A disk that is full at the ledger's fsync (simulated: no real full disk here)."""
    if backend.name == "db":
        pytest.skip("the database syncs its own files")
    object_id = vault.put(b"signed form", actor="u", reason="r")
    real_sync = os.fdatasync

    def full(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").endswith("ledger.jsonl"):
            raise OSError(28, "No space left on device")
        real_sync(fd)

    monkeypatch.setattr(os, "fdatasync", full)
    with pytest.raises(LedgerUnavailable) as info:
        vault.get(object_id, actor="u", reason="r")
    assert "No space" in info.value.cause


def test_torn_last_line_is_dropped_by_next_append(ledger: Ledger, backend: Backend):
    """A write cut short inside a line (killed mid-write, power loss) is never signed."""
    if backend.name == "db":
        pytest.skip("a database row is written whole or not at all")
    _fill(ledger, 3)
    with open(ledger.path, "ab") as f:
        f.write(b'{"action":"vault.get","actor":"u-')
    result = ledger.verify()
    assert (result.ok, result.count, result.torn_tail) == (True, 3, True)
    entry = ledger.append(actor="u", action="after")
    assert entry.seq == 4
    result = ledger.verify()
    assert (result.ok, result.count, result.torn_tail) == (True, 4, False)
