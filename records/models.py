"""Imports every model module so that Base.metadata knows every table (for Alembic)."""

from records import credentials, handovers, staff, students, web_sessions  # noqa: F401
