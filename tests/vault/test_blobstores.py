"""The blob store contract on every backend, and an unreachable store: the vault refuses
with ObjectStoreUnavailable, makes nothing visible, and records the failed attempt."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine

from tests.object_stores import _free_port, new_bucket, s3_client
from vault import ObjectStoreUnavailable, SqlBlobStore, Vault
from vault.blobstore_s3 import S3BlobStore


def test_contract(blobs):
    blobs.put_atomic("aa.obj", b"first")
    with pytest.raises(FileExistsError):
        blobs.put_atomic("aa.obj", b"second")  # a new blob never replaces one
    assert blobs.get("aa.obj") == b"first"
    with blobs.read_view("aa.obj") as view:
        assert bytes(view) == b"first"
    blobs.replace_atomic("aa.key", b"old")
    blobs.replace_many([("aa.key", b"new"), ("bb.key", b"")])
    assert (blobs.get("aa.key"), blobs.get("bb.key")) == (b"new", b"")
    assert sorted(blobs.list()) == ["aa.key", "aa.obj", "bb.key"]
    assert blobs.exists("aa.obj") and not blobs.exists("cc.obj")
    with pytest.raises(FileNotFoundError):
        blobs.get("cc.obj")
    blobs.delete("aa.obj")
    blobs.delete("aa.obj")  # deleting what is gone is no error
    assert not blobs.exists("aa.obj")
    with pytest.raises(ValueError):
        blobs.get("../x.obj")


def _unreachable(backend: str):
    """A real store of `backend` pointed at a loopback port nobody listens on."""
    port = _free_port()
    if backend == "postgresql":
        return SqlBlobStore(create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{port}/x"))
    return S3BlobStore(s3_client(f"http://127.0.0.1:{port}"), "vault-none")


@pytest.mark.parametrize("backend", ["postgresql", "s3"])
def test_unreachable_store_is_a_typed_error(backend):
    store = _unreachable(backend)
    for call in (lambda: store.put_atomic("aa.obj", b"x"), lambda: store.get("aa.obj"),
                 lambda: store.exists("aa.obj"), lambda: list(store.list()),
                 lambda: store.replace_many([("aa.key", b"")]), store.check):
        with pytest.raises(ObjectStoreUnavailable) as info:
            call()
        assert info.value.backend == backend
        assert "存储服务暂不可用" in str(info.value)


@pytest.mark.parametrize("backend", ["postgresql", "s3"])
def test_vault_refuses_and_records_when_the_store_is_down(backend, keyring, ledger):
    vault = Vault(_unreachable(backend), keyring, ledger)
    with pytest.raises(ObjectStoreUnavailable):
        vault.put(b"form", actor="u-1", reason="F2", context={"handover": "h-1"})
    with pytest.raises(ObjectStoreUnavailable):
        vault.get("a" * 32, actor="u-2", reason="查看")
    assert [(e.action, e.actor, e.outcome) for e in ledger.entries()] == [
        ("vault.put", "u-1", "store_unavailable"), ("vault.get", "u-2", "store_unavailable")]
    assert ledger.verify().ok


class _FailsAtCommit:
    """The real store until the key record (the commit point): the store goes down then."""

    def __init__(self, real, down):
        self.real, self.down = real, down

    def put_atomic(self, name, data):
        (self.down if name.endswith(".key") else self.real).put_atomic(name, data)

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_store_lost_at_the_commit_point_leaves_nothing_visible(store, keyring, ledger):
    if store.backend == "local":
        pytest.skip("a local folder is not a service that goes away")
    blobs = store.open()
    vault = Vault(_FailsAtCommit(blobs, _unreachable(store.backend)), keyring, ledger)
    with pytest.raises(ObjectStoreUnavailable):
        vault.put(b"form", actor="u", reason="r")
    assert vault.object_ids() == []
    assert not any(name.endswith(".key") for name in blobs.list())
    assert [e.outcome for e in ledger.entries(action="vault.put")] == ["ok", "store_unavailable"]


def test_s3_object_lock_keeps_objects(s3_server, keyring, ledger):
    bucket = new_bucket(s3_server, lock=True)
    client = s3_client(s3_server)
    store = S3BlobStore(client, bucket, lock_mode="GOVERNANCE", lock_days=30)
    store.check()
    vault = Vault(store, keyring, ledger)
    object_id = vault.put(b"signed form", actor="u", reason="r")
    head = client.head_object(Bucket=bucket, Key=f"{object_id}.obj")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert (head["ObjectLockRetainUntilDate"] - datetime.now(UTC)).days >= 29
    assert "ServerSideEncryption" not in head  # the vault encrypts; the store is not asked to
    version = head["VersionId"]
    with pytest.raises(client.exceptions.ClientError):  # not even the store's own user can
        client.delete_object(Bucket=bucket, Key=f"{object_id}.obj", VersionId=version)
    assert vault.get(object_id, actor="u", reason="r") == b"signed form"


def test_s3_object_lock_needs_a_bucket_with_lock(s3_server):
    store = S3BlobStore(s3_client(s3_server), new_bucket(s3_server), lock_mode="COMPLIANCE",
                        lock_days=1)
    with pytest.raises(ObjectStoreUnavailable) as info:
        store.check()
    assert info.value.cause == "ObjectLockNotEnabled"
    with pytest.raises(ValueError):
        S3BlobStore(None, "b", lock_mode="GOVERNANCE", lock_days=0)
