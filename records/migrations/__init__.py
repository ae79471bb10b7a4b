"""The Alembic migrations of the records database (run from code by records.db.migrate)."""
