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
    import_uploads,
    money,
    notify,
    obligation_model,
    oversight,
    saved_filters,
    saved_searches,
    scheduled,
    search_outbox,
    staff,
    students,
    web_sessions,
)
