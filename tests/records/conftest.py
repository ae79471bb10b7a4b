"""Fixtures of the record tests."""

from __future__ import annotations

import pytest

from tests.records.oversight_env import make_env


@pytest.fixture
def oversight(db_url, tmp_path):
    """Staff of SUP, MGT, ACA (two), TEA and ENR and one submitted handover, on both
    databases, for the oversight records (notices, register, complaints)."""
    engine, made = make_env(db_url, tmp_path)
    yield made
    made.session.close()
    engine.dispose()
