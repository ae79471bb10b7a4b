"""Fixtures for the search tests: real Whoosh indexes under tmp_path, real jieba, real HMAC."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from search import SearchIndex
from tests.search.search_helpers import sample_docs


@pytest.fixture(scope="session")
def jieba_cache(tmp_path_factory) -> Path:
    """One jieba dictionary cache for the session (building it takes about a second)."""
    return tmp_path_factory.mktemp("jieba")


@pytest.fixture
def token_key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def make_index(tmp_path: Path, token_key: bytes, jieba_cache: Path):
    """Factory: a SearchIndex in a folder under tmp_path (default ``ix``)."""
    opened: list[SearchIndex] = []

    def make(name: str = "ix", **kwargs) -> SearchIndex:
        kwargs.setdefault("jieba_cache_dir", jieba_cache)
        ix = SearchIndex(tmp_path / name, token_key, **kwargs)
        opened.append(ix)
        return ix

    yield make
    for ix in opened:
        ix.close()


@pytest.fixture
def index(make_index) -> SearchIndex:
    ix = make_index()
    ix.add_or_update(sample_docs())
    return ix
