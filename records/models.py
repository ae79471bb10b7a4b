"""Imports every model module so that Base.metadata knows every table (for Alembic)."""

from records import (  # noqa: F401
    address_limit,
    api_tokens,
    approvals,
    archive,
    classes,
    counters,
    credentials,
    handovers,
    money,
    notify,
    obligation_model,
    oversight,
    saved_filters,
    saved_searches,
    staff,
    students,
    web_sessions,
)
