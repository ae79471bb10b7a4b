"""Vault blobs in an S3-compatible object store (MinIO, Alibaba OSS, Tencent COS, AWS S3).

The vault stores only ciphertext and sealed key records, so server-side encryption is not
asked for (it would add a second key to manage and protect nothing more). One PUT is atomic
in S3: a reader sees the whole object or none, so no temporary names are needed; a new blob
is written with ``If-None-Match: *`` so that it never replaces one of the same name.

Optional object lock (the bucket must have been created with object lock enabled): every
blob a put writes is kept for `lock_days` in `lock_mode` (GOVERNANCE or COMPLIANCE), so that
not even a stolen store credential can destroy the archive within that time. A delete then
only hides the blob (a delete marker); rotation writes new versions of key records.

The boto3 client is made and configured by the caller (endpoint, region, credentials);
this module reads no configuration.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .blobstore import Buffer, check_name
from .errors import ObjectStoreUnavailable

__all__ = ["S3BlobStore", "LOCK_MODES"]

LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")
_MISSING = {"404", "NoSuchKey", "NotFound"}
_EXISTS = {"412", "PreconditionFailed", "ConditionalRequestConflict"}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "ClientError"))


@contextlib.contextmanager
def _translated(name: str) -> Iterator[None]:
    """S3's answers in the blob store's terms: FileNotFoundError, FileExistsError, or
    ObjectStoreUnavailable for everything that says the store cannot serve the request."""
    try:
        yield
    except ClientError as exc:
        code = _code(exc)
        if code in _MISSING:
            raise FileNotFoundError(name) from None
        if code in _EXISTS:
            raise FileExistsError(name) from None
        raise ObjectStoreUnavailable("s3", code) from None
    except BotoCoreError as exc:  # connection refused, timeout, no credentials
        raise ObjectStoreUnavailable("s3", type(exc).__name__) from None


class S3BlobStore:
    """Blobs as objects ``<prefix><name>`` in one bucket."""

    backend = "s3"

    def __init__(self, client: Any, bucket: str, *, prefix: str = "",
                 lock_mode: str | None = None, lock_days: int = 0) -> None:
        """`client` is a boto3 S3 client; `lock_mode` None leaves object lock off."""
        if lock_mode is not None and (lock_mode not in LOCK_MODES or lock_days < 1):
            raise ValueError(f"object lock needs a mode of {LOCK_MODES} and days >= 1")
        self.client, self.bucket, self.prefix = client, bucket, prefix
        self.lock_mode, self.lock_days = lock_mode, lock_days

    def _key(self, name: str) -> str:
        check_name(name)
        return self.prefix + name

    def _lock(self) -> dict[str, Any]:
        # policy R-ARC (no loss, no damage): retention the store itself enforces
        if self.lock_mode is None:
            return {}
        until = datetime.now(UTC) + timedelta(days=self.lock_days)
        return {"ObjectLockMode": self.lock_mode, "ObjectLockRetainUntilDate": until}

    def check(self) -> None:
        """Raise ObjectStoreUnavailable unless the bucket answers (and, with object lock on,
        has object lock enabled): for the start-up and health checks."""
        with _translated(self.bucket):
            self.client.head_bucket(Bucket=self.bucket)
            if self.lock_mode is None:
                return
            try:
                config = self.client.get_object_lock_configuration(Bucket=self.bucket)
            except ClientError as exc:
                if _code(exc) != "ObjectLockConfigurationNotFoundError":
                    raise
                config = {}
        if config.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") != "Enabled":
            raise ObjectStoreUnavailable("s3", "ObjectLockNotEnabled")

    def put_atomic(self, name: str, data: bytes) -> None:
        """One conditional PUT: FileExistsError if the name exists."""
        key = self._key(name)
        with _translated(name):
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data, IfNoneMatch="*",
                                   **self._lock())

    def replace_atomic(self, name: str, data: bytes) -> None:
        """One PUT over the old object; readers see the old or the new one, whole."""
        key = self._key(name)
        with _translated(name):
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data)

    def replace_many(self, items: Iterable[tuple[str, bytes]]) -> None:
        """One PUT per record: each is durable when its PUT returns."""
        for name, data in items:
            self.replace_atomic(name, data)

    def get(self, name: str) -> bytes:
        """The object's bytes; FileNotFoundError if absent."""
        key = self._key(name)
        with _translated(name):
            response = self.client.get_object(Bucket=self.bucket, Key=key)
            with contextlib.closing(response["Body"]) as body:
                return body.read()

    @contextlib.contextmanager
    def read_view(self, name: str) -> Iterator[Buffer]:
        """The object's bytes (a network store has nothing to map)."""
        yield self.get(name)

    def exists(self, name: str) -> bool:
        """Whether the object exists (a HEAD request)."""
        key = self._key(name)
        try:
            with _translated(name):
                self.client.head_object(Bucket=self.bucket, Key=key)
        except FileNotFoundError:
            return False
        return True

    def list(self) -> Iterator[str]:
        """Every blob name under the prefix, in key order."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix)
        with _translated(self.bucket):
            for page in pages:
                for item in page.get("Contents", ()):
                    yield item["Key"][len(self.prefix):]

    def delete(self, name: str) -> None:
        """Delete the object if present (under object lock: hide it behind a delete marker)."""
        key = self._key(name)
        with _translated(name):
            self.client.delete_object(Bucket=self.bucket, Key=key)
