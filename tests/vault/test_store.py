"""Vault objects: round trip, and every kind of damage is refused, never wrong data; on each
blob store backend (tests/vault/conftest.py). Damage is done through the store's own replace
and delete, which every backend has."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vault import BlobStore, IntegrityError, ObjectNotFound, Vault


def _overwrite(blobs: BlobStore, name: str, data: bytes) -> None:
    blobs.replace_atomic(name, data)


def test_round_trip_and_ledger_records(vault: Vault, ledger):
    data = os.urandom(100_000)
    object_id = vault.put(data, actor="u-7", reason="F2 归档", context={"handover": "h-1"})
    assert len(object_id) == 32 and int(object_id, 16) >= 0
    assert vault.get(object_id, actor="u-8", reason="接收方查看") == data
    assert vault.object_ids() == [object_id]
    actions = [(e.action, e.actor, e.subject, e.outcome) for e in ledger.entries()]
    assert actions == [
        ("vault.put", "u-7", object_id, "ok"),
        ("vault.get", "u-8", object_id, "ok"),
    ]
    assert next(ledger.entries(action="vault.put")).context["handover"] == "h-1"
    assert ledger.verify().ok


def test_empty_and_distinct_objects(vault: Vault):
    a = vault.put(b"", actor="u", reason="r")
    b = vault.put(b"", actor="u", reason="r")
    assert a != b
    assert vault.get(a, actor="u", reason="r") == b""


def test_ciphertext_does_not_contain_plaintext(vault: Vault, store):
    data = "学生交接单 张三 13800138000".encode() * 50
    vault.put(data, actor="u", reason="r")
    stored = store.raw()  # read around the store: files, table rows, bucket objects
    assert len(stored) == 2
    assert all(data[:30] not in raw for raw in stored.values())


def test_wrong_key_is_refused(vault: Vault, keyring, tmp_path: Path):
    object_id = vault.put(b"secret form", actor="u", reason="r")
    # simulate a wrong key in place of version 1 (e.g. a backup of another school restored)
    key_file = tmp_path / "keys" / "kek" / "1.key"
    key_file.write_bytes(os.urandom(32))
    fresh = Vault(vault.blobs, type(keyring).open(tmp_path / "keys"), vault.ledger)
    with pytest.raises(IntegrityError) as info:
        fresh.get(object_id, actor="u", reason="r")
    assert info.value.object_id == object_id
    assert object_id in str(info.value)


def test_swapped_object_files_are_refused(vault: Vault, blobs: BlobStore, ledger):
    a = vault.put(b"first document", actor="u", reason="r")
    b = vault.put(b"other document", actor="u", reason="r")
    da, db = blobs.get(a + ".obj"), blobs.get(b + ".obj")
    _overwrite(blobs, a + ".obj", db)
    _overwrite(blobs, b + ".obj", da)
    for object_id in (a, b):
        with pytest.raises(IntegrityError) as info:
            vault.get(object_id, actor="u", reason="r")
        assert info.value.object_id == object_id
    assert [e.outcome for e in ledger.entries(action="vault.get")] == ["integrity_error"] * 2


def test_object_under_another_id_is_refused(vault: Vault, blobs: BlobStore):
    """Moving both files of an object to another id: the id is bound into both."""
    a = vault.put(b"the document", actor="u", reason="r")
    forged = "f" * 32
    for suffix in (".obj", ".key"):
        blobs.put_atomic(forged + suffix, blobs.get(a + suffix))
    with pytest.raises(IntegrityError):
        vault.get(forged, actor="u", reason="r")


@pytest.mark.parametrize("where", ["header", "middle", "tag", "key-record"])
def test_flipped_byte_is_refused(vault: Vault, blobs: BlobStore, where: str):
    object_id = vault.put(os.urandom(5000), actor="u", reason="r")
    name = object_id + (".key" if where == "key-record" else ".obj")
    raw = bytearray(blobs.get(name))
    index = {"header": 5, "middle": len(raw) // 2, "tag": len(raw) - 3, "key-record": 40}[where]
    raw[index] ^= 0x01
    _overwrite(blobs, name, bytes(raw))
    with pytest.raises(IntegrityError):
        vault.get(object_id, actor="u", reason="r")


def test_truncated_or_missing_object_file(vault: Vault, blobs: BlobStore):
    a = vault.put(b"x" * 1000, actor="u", reason="r")
    b = vault.put(b"y" * 1000, actor="u", reason="r")
    _overwrite(blobs, a + ".obj", blobs.get(a + ".obj")[:-100])
    blobs.delete(b + ".obj")
    for object_id in (a, b):
        with pytest.raises(IntegrityError):
            vault.get(object_id, actor="u", reason="r")
    report = vault.check()
    assert sorted(bad.object_id for bad in report.bad) == sorted([a, b])
    assert not report.ok


def test_unknown_and_malformed_ids(vault: Vault, ledger):
    with pytest.raises(ObjectNotFound):
        vault.get("0" * 32, actor="u", reason="r")
    with pytest.raises(ObjectNotFound):
        vault.get("../../etc/passwd", actor="u", reason="r")
    outcomes = [(e.subject, e.outcome) for e in ledger.entries()]
    assert outcomes == [("0" * 32, "not_found"), ("invalid-id", "not_found")]


def test_check_reports_orphans_but_lists_only_committed(vault: Vault, blobs: BlobStore):
    good = vault.put(b"kept", actor="u", reason="r")
    blobs.put_atomic("a" * 32 + ".obj", b"left by a crash before the commit")
    assert vault.object_ids() == [good]
    report = vault.check()
    assert report.ok and report.checked == 1
    assert report.orphans == ("a" * 32,)
