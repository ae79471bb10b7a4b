"""Vault blobs as rows of one table, for a school chain that runs only PostgreSQL.

Each write is its own short transaction, apart from any request's transaction (as a file
write is): a row is visible whole once committed, or not at all. The table belongs to the
vault, not to the application's schema (it is on its own MetaData, so database backups of
rows do not carry the vault twice); `create_table` makes it. The engine is handed in.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

from sqlalchemy import Column, Engine, LargeBinary, MetaData, String, Table, delete, select
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from .blobstore import Buffer, check_name
from .errors import ObjectStoreUnavailable

__all__ = ["SqlBlobStore", "TABLE"]

TABLE = "vault_blobs"
_metadata = MetaData()
_blobs = Table(
    TABLE, _metadata,
    Column("name", String(64), primary_key=True),
    Column("data", LargeBinary, nullable=False),
)


@contextlib.contextmanager
def _translated(name: str) -> Iterator[None]:
    """A duplicate name is FileExistsError; a lost or refused connection is
    ObjectStoreUnavailable (the transaction was rolled back: nothing written)."""
    try:
        yield
    except IntegrityError:
        raise FileExistsError(name) from None
    except (OperationalError, InterfaceError) as exc:
        raise ObjectStoreUnavailable("postgresql", type(exc.orig or exc).__name__) from None
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise ObjectStoreUnavailable("postgresql", "connection lost") from None
        raise


class SqlBlobStore:
    """Blobs in the table `vault_blobs` of the database behind `engine`."""

    backend = "postgresql"

    def __init__(self, engine: Engine) -> None:
        """No I/O; `create_table` makes the table where it is missing."""
        self.engine = engine

    def create_table(self) -> None:
        """Create the table if missing (by `handover init` and `vault migrate`)."""
        with _translated(TABLE):
            _metadata.create_all(self.engine, checkfirst=True)

    def check(self) -> None:
        """Raise ObjectStoreUnavailable unless the table answers."""
        with _translated(TABLE), self.engine.connect() as conn:
            conn.execute(select(_blobs.c.name).limit(1))

    def put_atomic(self, name: str, data: bytes) -> None:
        """INSERT in its own transaction; FileExistsError if the name exists."""
        check_name(name)
        with _translated(name), self.engine.begin() as conn:
            conn.execute(_blobs.insert().values(name=name, data=data))

    def replace_atomic(self, name: str, data: bytes) -> None:
        """Insert or update in one transaction."""
        self.replace_many([(name, data)])

    def replace_many(self, items: Iterable[tuple[str, bytes]]) -> None:
        """Every record in one transaction: all old or all new after a failure."""
        items = list(items)
        for name, _ in items:
            check_name(name)
        if not items:
            return
        with _translated(TABLE), self.engine.begin() as conn:
            stmt = self._upsert()
            conn.execute(stmt, [{"name": n, "data": d} for n, d in items])

    def _upsert(self):
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        stmt = insert(_blobs)
        return stmt.on_conflict_do_update(index_elements=[_blobs.c.name],
                                          set_={"data": stmt.excluded.data})

    def get(self, name: str) -> bytes:
        """The blob's bytes; FileNotFoundError if absent."""
        check_name(name)
        with _translated(name), self.engine.connect() as conn:
            data = conn.scalar(select(_blobs.c.data).where(_blobs.c.name == name))
        if data is None:
            raise FileNotFoundError(name)
        return bytes(data)

    @contextlib.contextmanager
    def read_view(self, name: str) -> Iterator[Buffer]:
        """The blob's bytes."""
        yield self.get(name)

    def exists(self, name: str) -> bool:
        """Whether a row of this name exists."""
        check_name(name)
        with _translated(name), self.engine.connect() as conn:
            return conn.scalar(select(_blobs.c.name).where(_blobs.c.name == name)) is not None

    def list(self) -> Iterator[str]:
        """Every blob name, in order (read in one query: names only)."""
        with _translated(TABLE), self.engine.connect() as conn:
            names = conn.scalars(select(_blobs.c.name).order_by(_blobs.c.name)).all()
        yield from names

    def delete(self, name: str) -> None:
        """Delete the row if present."""
        check_name(name)
        with _translated(name), self.engine.begin() as conn:
            conn.execute(delete(_blobs).where(_blobs.c.name == name))
