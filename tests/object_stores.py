"""The vault's blob stores for tests: a local folder, a table in a private PostgreSQL schema,
and a bucket in moto's S3 server, started once per session on 127.0.0.1 on a free port
(never the network).

`StoreSpec.open()` makes a new store on the same backing (a new engine or S3 client), as a
restarted or forked process would; `raw()` and `stamp()` look at what is stored without going
through the store's own code, so that a test does not trust what it checks.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

BACKENDS = ("local", "postgresql", "s3")
S3_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
S3_REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """moto's S3 server in a thread of this process; yields its endpoint URL."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def s3_client(endpoint: str):
    """A boto3 S3 client for `endpoint` with the test credentials and few retries."""
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=endpoint, region_name=S3_REGION,
                        config=Config(retries={"max_attempts": 1, "mode": "standard"},
                                      connect_timeout=2, read_timeout=10),
                        **S3_CREDENTIALS)


def new_bucket(endpoint: str, *, lock: bool = False) -> str:
    """A fresh bucket with versioning on (so that `stamp` can tell a rewrite)."""
    client = s3_client(endpoint)
    name = "vault-" + secrets.token_hex(6)
    client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=lock)
    client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


@dataclass
class StoreSpec:
    """Where one test's blobs live, for any backend."""

    backend: str
    root: Path | None = None
    url: str | None = None
    endpoint: str | None = None
    bucket: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    engines: list = field(default_factory=list)
    _client: Any = None
    _look: Any = None

    @property
    def client(self):
        """One S3 client for looking around the store (making one costs about 0.1 s)."""
        if self._client is None:
            self._client = s3_client(self.endpoint)
        return self._client

    def close(self) -> None:
        """Close the database connections of every store opened so far."""
        while self.engines:
            self.engines.pop().dispose()
        self._look = None

    def _look_engine(self):
        """One engine for looking around the store."""
        if self._look is None:
            from sqlalchemy import create_engine

            self._look = create_engine(self.url)
            self.engines.append(self._look)
        return self._look

    def open(self):
        """A new store over the same backing."""
        if self.backend == "local":
            from vault import FileBlobStore

            return FileBlobStore(self.root)
        if self.backend == "postgresql":
            from sqlalchemy import create_engine

            from vault import SqlBlobStore

            self.engines.append(create_engine(self.url))
            return SqlBlobStore(self.engines[-1])
        from vault.blobstore_s3 import S3BlobStore

        return S3BlobStore(s3_client(self.endpoint), self.bucket, **self.options)

    def raw(self) -> dict[str, bytes]:
        """Every stored blob's bytes by name, read around the store."""
        if self.backend == "local":
            return {p.name: p.read_bytes() for p in sorted(self.root.rglob("*"))
                    if p.is_file()}
        if self.backend == "postgresql":
            from sqlalchemy import text

            with self._look_engine().connect() as conn:
                rows = conn.execute(text("SELECT name, data FROM vault_blobs")).all()
            return {name: bytes(data) for name, data in rows}
        client = self.client
        out = {}
        versions = client.list_object_versions(Bucket=self.bucket).get("Versions", [])
        for v in versions:  # every version, superseded ones included
            body = client.get_object(Bucket=self.bucket, Key=v["Key"], VersionId=v["VersionId"])
            out[f"{v['Key']}@{v['VersionId']}"] = body["Body"].read()
        return out

    def stamp(self, name: str) -> Any:
        """What changes when the blob is written again, even with the same bytes."""
        if self.backend == "local":
            st = (self.root / name[:2] / name).stat()
            return st.st_ino, st.st_mtime_ns
        if self.backend == "postgresql":
            from sqlalchemy import text

            with self._look_engine().connect() as conn:
                return conn.execute(text("SELECT xmin::text FROM vault_blobs WHERE name = :n"),
                                    {"n": name}).scalar_one()
        return self.client.head_object(Bucket=self.bucket, Key=name)["VersionId"]


@contextlib.contextmanager
def store_spec(backend: str, tmp_path: Path, request) -> Iterator[StoreSpec]:
    """A fresh, empty backing of `backend` for one test."""
    if backend == "local":
        yield StoreSpec("local", root=tmp_path / "objects")
    elif backend == "postgresql":
        from tests.conftest import pg_schema_url

        with pg_schema_url() as url:
            spec = StoreSpec("postgresql", url=url)
            spec.open().create_table()
            try:
                yield spec
            finally:
                spec.close()
    else:
        endpoint = request.getfixturevalue("s3_server")
        yield StoreSpec("s3", endpoint=endpoint, bucket=new_bucket(endpoint))
