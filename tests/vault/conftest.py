"""Fixtures for the vault tests: a real keyring, ledger and file blob store under tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.vault.ledger_backends import any_ledger, backend, pg_engine, pg_url  # noqa: F401
from vault import FileBlobStore, Keyring, Ledger, Vault


@pytest.fixture
def keyring(tmp_path: Path) -> Keyring:
    return Keyring.open(tmp_path / "keys", create=True)


@pytest.fixture
def ledger(tmp_path: Path, keyring: Keyring) -> Ledger:
    return Ledger(tmp_path / "ledger", keyring)


@pytest.fixture
def blobs(tmp_path: Path) -> FileBlobStore:
    return FileBlobStore(tmp_path / "objects")


@pytest.fixture
def vault(blobs: FileBlobStore, keyring: Keyring, ledger: Ledger) -> Vault:
    return Vault(blobs, keyring, ledger)
