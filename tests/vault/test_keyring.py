"""The keyring: versioned keys per purpose, never overwritten, private permissions, backup."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from vault import (
    PURPOSES,
    FileBlobStore,
    KeyBackupInvalid,
    KeyConflict,
    Keyring,
    KeyringInsecure,
    KeyringMissing,
    KeyVersionMissing,
    WrongPassphrase,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_open_missing_without_create(tmp_path: Path):
    with pytest.raises(KeyringMissing) as info:
        Keyring.open(tmp_path / "nowhere")
    assert info.value.path == str(tmp_path / "nowhere")


def test_create_makes_every_purpose_privately(tmp_path: Path):
    ring = Keyring.open(tmp_path / "keys", create=True)
    assert _mode(ring.root) == 0o700
    for purpose in PURPOSES:
        assert ring.versions(purpose) == [1]
        assert _mode(ring.root / purpose) == 0o700
        assert _mode(ring.root / purpose / "1.key") == 0o600
        assert len(ring.current(purpose)[1]) == 32
    assert len({ring.current(p)[1] for p in PURPOSES}) == len(PURPOSES)


def test_ensure_is_idempotent_and_never_overwrites(tmp_path: Path):
    ring = Keyring.open(tmp_path / "keys", create=True)
    before = {p: ring.current(p) for p in PURPOSES}
    (ring.root / "search" / "1.key").unlink()
    assert ring.ensure() == ["search"]
    again = Keyring.open(tmp_path / "keys", create=True)
    assert again.ensure() == []
    for purpose in PURPOSES:
        if purpose != "search":
            assert again.current(purpose) == before[purpose]


def test_versions_and_errors(tmp_path: Path):
    ring = Keyring.open(tmp_path / "keys", create=True)
    assert ring.add_version("kek") == 2
    assert ring.add_version("kek") == 3
    assert ring.current("kek")[0] == 3
    ring.retire("kek", 3)
    assert ring.current("kek")[0] == 2
    with pytest.raises(KeyVersionMissing) as info:
        ring.retire("kek", 7)
    assert (info.value.purpose, info.value.version) == ("kek", 7)
    ring.retire("kek", 1)
    ring.retire("kek", 2)
    with pytest.raises(KeyVersionMissing) as none_left:
        ring.current("kek")
    assert none_left.value.version is None
    with pytest.raises(ValueError):
        ring.current("no-such-purpose")


def test_ledger_keys(tmp_path: Path):
    ring = Keyring.open(tmp_path / "keys", create=True)
    version, key = ring.ledger_signing_key()
    assert version == 1
    signature = key.sign(b"head")
    ring.ledger_public_key(1).verify(signature, b"head")
    assert ring.ledger_public_keys()[1] == key.public_key().public_bytes_raw()


def test_insecure_permissions_refused(tmp_path: Path):
    Keyring.open(tmp_path / "keys", create=True)
    os.chmod(tmp_path / "keys" / "field" / "1.key", 0o644)
    with pytest.raises(KeyringInsecure) as info:
        Keyring.open(tmp_path / "keys")
    assert info.value.mode == 0o644 and info.value.path.endswith("1.key")


PASSPHRASE = "correct horse battery staple"


def test_export_is_one_file_sealed_under_a_passphrase(tmp_path: Path):
    ring = Keyring.open(tmp_path / "keys", create=True)
    ring.add_version("kek")
    ring.retire("kek", 1)
    exported = ring.export(tmp_path / "keys.backup", PASSPHRASE)
    assert exported == len(PURPOSES) + 1  # one key per purpose and kek v2
    data = (tmp_path / "keys.backup").read_bytes()
    assert _mode(tmp_path / "keys.backup") == 0o600
    for entry in ring.entries():  # no key material in clear, in any encoding
        assert entry.key not in data and entry.key.hex().encode() not in data
        assert base64.b64encode(entry.key) not in data
    assert json.loads(data)["kdf"]["name"] == "argon2id"
    with pytest.raises(FileExistsError):
        ring.export(tmp_path / "keys.backup", PASSPHRASE)
    with pytest.raises(ValueError):
        ring.export(tmp_path / "short.backup", "too short")

    restored = Keyring(tmp_path / "restored")
    assert restored.import_file(tmp_path / "keys.backup", PASSPHRASE) == exported
    for purpose in PURPOSES:
        assert restored.current(purpose) == ring.current(purpose)
    assert restored.retired("kek") == {1}
    assert restored.fingerprints() == ring.fingerprints()
    assert restored.import_file(tmp_path / "keys.backup", PASSPHRASE) == 0  # idempotent


def test_wrong_passphrase_or_altered_file_imports_nothing(tmp_path: Path):
    ring = Keyring.open(tmp_path / "keys", create=True)
    ring.export(tmp_path / "keys.backup", PASSPHRASE)
    target = Keyring(tmp_path / "restored")
    with pytest.raises(WrongPassphrase) as info:
        target.import_file(tmp_path / "keys.backup", PASSPHRASE + "!")
    assert "口令错误" in str(info.value)
    doc = json.loads((tmp_path / "keys.backup").read_text())
    doc["kdf"]["time_cost"] += 1  # the header is authenticated too
    (tmp_path / "altered.backup").write_text(json.dumps(doc))
    with pytest.raises(WrongPassphrase):
        target.import_file(tmp_path / "altered.backup", PASSPHRASE)
    (tmp_path / "junk.backup").write_text("not a key backup")
    with pytest.raises(KeyBackupInvalid):
        target.import_file(tmp_path / "junk.backup", PASSPHRASE)
    assert not (tmp_path / "restored").exists()


def test_import_over_different_keys_is_refused_before_writing(tmp_path: Path):
    ring = Keyring.open(tmp_path / "keys", create=True)
    ring.add_version("field")
    ring.export(tmp_path / "keys.backup", PASSPHRASE)
    other = Keyring.open(tmp_path / "other", create=True)
    with pytest.raises(KeyConflict) as info:
        other.import_file(tmp_path / "keys.backup", PASSPHRASE)
    assert info.value.version == 1
    assert other.versions("field") == [1]  # field v2 was not added either


def test_import_of_an_old_unencrypted_key_folder(tmp_path: Path):
    ring = Keyring.open(tmp_path / "keys", create=True)
    ring.add_version("kek")
    ring.retire("kek", 1)
    restored = Keyring(tmp_path / "restored")
    assert restored.import_folder(tmp_path / "keys") == len(PURPOSES) + 1
    assert restored.fingerprints() == ring.fingerprints() and restored.retired("kek") == {1}
    with pytest.raises(KeyringMissing):
        restored.import_folder(tmp_path / "absent")


def test_fingerprints_name_each_key_without_revealing_it(tmp_path: Path):
    ring = Keyring.open(tmp_path / "keys", create=True)
    prints = ring.fingerprints()
    assert set(prints) == {f"{p}/1" for p in PURPOSES}
    assert len(set(prints.values())) == len(PURPOSES)
    assert all(e.key.hex() not in prints.values() for e in ring.entries())
    assert Keyring.open(tmp_path / "other", create=True).fingerprints() != prints


def test_blob_store_never_overwrites_and_hides_temporaries(tmp_path: Path):
    store = FileBlobStore(tmp_path / "b")
    store.put_atomic("abcdef.obj", b"one")
    with pytest.raises(FileExistsError):
        store.put_atomic("abcdef.obj", b"two")
    assert store.get("abcdef.obj") == b"one"
    store.replace_atomic("abcdef.key", b"k1")
    store.replace_atomic("abcdef.key", b"k2")
    assert store.get("abcdef.key") == b"k2"
    (tmp_path / "b" / "ab" / ".tmp-left-by-crash").write_bytes(b"partial")
    assert list(store.list()) == ["abcdef.key", "abcdef.obj"]
    assert (tmp_path / "b" / "ab").is_dir()
    with pytest.raises(ValueError):
        store.get("../x")
    store.delete("abcdef.obj")
    assert not store.exists("abcdef.obj")
