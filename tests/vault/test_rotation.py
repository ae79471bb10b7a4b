"""Key rotation over 1,000 objects: data keys are resealed, object files never rewritten."""

from __future__ import annotations

import hashlib
import os

import pytest

from vault import (
    FileBlobStore,
    KeyVersionCurrent,
    KeyVersionInUse,
    KeyVersionMissing,
    KeyVersionRetired,
    Vault,
)

N = 1000


def _object_files(blobs: FileBlobStore) -> dict[str, tuple[int, int, str]]:
    """inode, mtime (ns) and content hash of every object (ciphertext) file."""
    state = {}
    for name in blobs.list():
        if name.endswith(".obj"):
            path = blobs.root / name[:2] / name
            st = path.stat()
            state[name] = (st.st_ino, st.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
    return state


def test_rotation_reseals_without_rewriting_objects(vault: Vault, blobs, keyring, ledger):
    contents = {}
    with ledger.batch():  # one head signature for the setup; each put is still recorded
        for i in range(N):
            data = os.urandom(16) + i.to_bytes(4, "big")
            contents[vault.put(data, actor="setup", reason="r")] = data
    before = _object_files(blobs)
    assert len(before) == N
    assert vault.kek_usage() == {1: N}

    seen = []
    resealed = vault.rotate(progress=lambda done, total: seen.append((done, total)))

    assert resealed == N
    assert seen[-1] == (N, N)
    assert vault.kek_usage() == {2: N}
    assert _object_files(blobs) == before  # same inode, mtime and bytes: never rewritten
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
