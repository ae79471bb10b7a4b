"""Fixtures for the vault tests: a real keyring and ledger under tmp_path, and a blob store of
each backend (local folder, PostgreSQL table, S3 bucket on moto's loopback server): the
vault's tests run against all three."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.object_stores import BACKENDS, StoreSpec, store_spec
from tests.vault.ledger_backends import any_ledger, backend, pg_engine, pg_url  # noqa: F401
from vault import BlobStore, Keyring, Ledger, Vault


@pytest.fixture
def keyring(tmp_path: Path) -> Keyring:
    return Keyring.open(tmp_path / "keys", create=True)


@pytest.fixture
def ledger(tmp_path: Path, keyring: Keyring) -> Ledger:
    return Ledger(tmp_path / "ledger", keyring)


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path: Path) -> StoreSpec:
    """Where this test's blobs live (one variant per backend)."""
    with store_spec(request.param, tmp_path, request) as spec:
        yield spec


@pytest.fixture
def blobs(store: StoreSpec) -> BlobStore:
    return store.open()


@pytest.fixture
def vault(blobs: BlobStore, keyring: Keyring, ledger: Ledger) -> Vault:
    return Vault(blobs, keyring, ledger)
