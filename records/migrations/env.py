"""Alembic environment: the engine is handed in by records.db.migrate (never read from env)."""

from alembic import context

import records.models  # noqa: F401  (registers every table on Base.metadata)
from records.db import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
