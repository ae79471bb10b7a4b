"""One source of the current time, so that tests can move it."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["utcnow", "as_utc"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes for timezone-aware columns: they were stored as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
