"""Key rotation over 1,000 objects: data keys are resealed, object files never rewritten
(on each blob store backend)."""

from __future__ import annotations

import hashlib
import os

import pytest

from tests.object_stores import StoreSpec
from vault import (
    BlobStore,
    KeyVersionCurrent,
    KeyVersionInUse,
    KeyVersionMissing,
    KeyVersionRetired,
    Vault,
)

N = 1000
#: Objects on a database or S3 store: each put and reseal there is a round trip (about 30 ms
#: against moto on this machine), so 1,000 would take minutes; the local store keeps N.
N_REMOTE = 150


def _object_files(blobs: BlobStore, store: StoreSpec) -> dict[str, tuple[object, str]]:
    """Write stamp (inode and mtime, row version, S3 version id) and content hash of every
    object (ciphertext) file."""
    return {name: (store.stamp(name), hashlib.sha256(blobs.get(name)).hexdigest())
            for name in blobs.list() if name.endswith(".obj")}


def test_rotation_reseals_without_rewriting_objects(vault: Vault, blobs, store, keyring, ledger):
    n = N if store.backend == "local" else N_REMOTE
    contents = {}
    with ledger.batch():  # one head signature for the setup; each put is still recorded
        for i in range(n):
            data = os.urandom(16) + i.to_bytes(4, "big")
            contents[vault.put(data, actor="setup", reason="r")] = data
    before = _object_files(blobs, store)
    assert len(before) == n
    assert vault.kek_usage() == {1: n}

    seen = []
    resealed = vault.rotate(progress=lambda done, total: seen.append((done, total)))

    assert resealed == n
    assert seen[-1] == (n, n)
    assert vault.kek_usage() == {2: n}
    assert _object_files(blobs, store) == before  # same stamp and bytes: never rewritten
    with ledger.batch():
        for object_id, data in contents.items():
            assert vault.get(object_id, actor="u", reason="r") == data

    # the old version can now be retired; the current one cannot
    assert vault.retire_unused() == [1]
    assert keyring.retired("kek") == {1}
    with pytest.raises(KeyVersionCurrent) as current:
        vault.retire(2)
    assert current.value.version == 2
    with pytest.raises(KeyVersionRetired) as retired:
        keyring.get("kek", 1)
    assert (retired.value.purpose, retired.value.version) == ("kek", 1)
    assert "kek" in str(retired.value) and "1" in str(retired.value)
    with pytest.raises(KeyVersionMissing) as missing:
        keyring.get("kek", 99)
    assert missing.value.version == 99 and "99" in str(missing.value)
    # objects still read after the retirement, and the whole history verifies
    some = next(iter(contents))
    assert vault.get(some, actor="u", reason="r") == contents[some]
    assert vault.check().ok
    assert ledger.verify().ok


def test_retire_refused_while_in_use(vault: Vault, keyring):
    object_id = vault.put(b"doc", actor="u", reason="r")
    keyring.add_version("kek")  # new version without rotating: object stays on version 1
    with pytest.raises(KeyVersionInUse) as info:
        vault.retire(1)
    assert (info.value.version, info.value.count) == (1, 1)
    assert "1" in str(info.value)
    assert vault.retire_unused() == []
    assert keyring.retired("kek") == set()
    assert vault.get(object_id, actor="u", reason="r") == b"doc"


def test_object_on_retired_version_fails_naming_it(vault: Vault, keyring):
    object_id = vault.put(b"doc", actor="u", reason="r")
    keyring.add_version("kek")
    keyring.retire("kek", 1)  # bypassing the vault's check, as a careless operator might
    with pytest.raises(KeyVersionRetired) as info:
        vault.get(object_id, actor="u", reason="r")
    assert info.value.version == 1
