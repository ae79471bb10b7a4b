"""The vault's blob store as the settings choose it (VAULT_BACKEND): the instance folder, a
table in the application's PostgreSQL database, or an S3-compatible bucket. The vault library
is handed the store; only this module reads the VAULT_* settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from vault import BlobStore, FileBlobStore, SqlBlobStore

__all__ = ["open_blob_store"]


def _s3_client(settings: dict[str, Any]):
    import boto3
    from botocore.config import Config

    credentials = {}
    if settings["VAULT_S3_ACCESS_KEY_ID"]:  # else boto3's chain: AWS_ACCESS_KEY_ID, profiles
        credentials = {"aws_access_key_id": settings["VAULT_S3_ACCESS_KEY_ID"],
                       "aws_secret_access_key": settings["VAULT_S3_SECRET_ACCESS_KEY"]}
    # few retries and short connect timeouts: a request waiting on a dead store holds a
    # worker; it gets 503 after a few seconds instead
    config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5,
                    read_timeout=60, s3={"addressing_style": settings["VAULT_S3_ADDRESSING"]})
    return boto3.client("s3", endpoint_url=settings["VAULT_S3_ENDPOINT"] or None,
                        region_name=settings["VAULT_S3_REGION"], config=config, **credentials)


def open_blob_store(backend: str, settings: dict[str, Any], *, vault_root: Path,
                    engine: Engine | None) -> BlobStore:
    """The store of `backend` (a VAULT_BACKENDS value; settings are checked at start)."""
    if backend == "local":
        return FileBlobStore(vault_root)
    if backend == "postgresql":
        return SqlBlobStore(engine)
    from vault.blobstore_s3 import S3BlobStore

    lock = settings["VAULT_S3_OBJECT_LOCK"].upper() or None
    return S3BlobStore(_s3_client(settings), settings["VAULT_S3_BUCKET"], lock_mode=lock,
                       lock_days=settings["VAULT_S3_OBJECT_LOCK_DAYS"])
