"""``SearchIndex``: the public face of the library.

Folder layout::

    <path>/CURRENT      name of the live index directory (replaced atomically on rebuild)
    <path>/ix-<hex>/    the Whoosh index (keyed tokens and non-private metadata only)
    <path>/write.lock   cross-process write lock (one writer at a time)
    <path>/jieba/       jieba's dictionary cache (unless another folder is given)

Writes are serialised across processes and threads by the write lock. A rebuild writes a new
directory and then switches ``CURRENT``, so searches keep working on the old one meanwhile.
A missing or damaged index is logged as a warning and rebuilt from the ``rebuild`` callback,
or reported as ``IndexCorrupt`` when there is none.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Literal

from ._whoosh import Damaged, Engine, Writer, segmenter
from .documents import IndexDocument
from .errors import IndexCorrupt
from .files import write_atomically
from .locking import FileLock
from .query import parse
from .results import SearchResults
from .snippets import make_snippet
from .tokens import KeyedTokens
from .visibility import Filters, Visibility

__all__ = ["SearchIndex"]

_CURRENT = "CURRENT"
_PREFIX = "ix-"

# A rebuild writes one segment per this many documents, each sorted in memory. Whoosh spills
# its posting pool to run files once the pool passes ``limitmb`` (by its own estimate, about
# 220 bytes per posting, 160 postings per handover) and then merges the runs one posting at
# a time in Python: a third more CPU for the whole rebuild. Batches that fit the pool avoid
# the runs and keep the memory bounded (about 0.5 GB); committing them without a merge
# avoids copying every posting once more. Searches read the segments side by side.
_REBUILD_BATCH = 20_000
_REBUILD_LIMITMB = 1024


class SearchIndex:
    """A full-text index of handovers and student records that reveals no private value."""

    def __init__(
        self,
        path: Path,
        token_key: bytes,
        *,
        logger: logging.Logger | None = None,
        rebuild: Callable[[], Iterable[IndexDocument]] | None = None,
        jieba_cache_dir: Path | None = None,
        lock_timeout: float = 600.0,
    ) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._keyed = KeyedTokens(token_key)
        self._log = logger or logging.getLogger("search")
        self._source = rebuild
        self._lock = FileLock(self.path / "write.lock", timeout=lock_timeout)
        self._tk = segmenter(Path(jieba_cache_dir) if jieba_cache_dir else self.path / "jieba")
        self._engine: Engine | None = None
        self._engine_name: str | None = None
        self._open_lock = threading.RLock()
        self._ensure_open(locked=False)

    # --- opening and repair ------------------------------------------------------------------

    def _read_current(self) -> str | None:
        try:
            name = (self.path / _CURRENT).read_text("ascii").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError):
            return ""
        return name

    def _write_current(self, name: str) -> None:
        write_atomically(self.path / _CURRENT, name + "\n")

    def _ensure_open(self, *, locked: bool) -> Engine:
        with self._open_lock:
            name = self._read_current()
            if self._engine is not None and name == self._engine_name:
                return self._engine
            if name is None and not any(self.path.glob(_PREFIX + "*")):
                return self._first_open(locked)
            try:
                if not name or "/" in name or not name.startswith(_PREFIX):
                    raise Damaged("CURRENT is unreadable or names no index")
                engine = Engine.open(self.path / name, self._keyed, self._tk)
            except Damaged as exc:
                return self._repair(str(exc), locked)
            self._swap(engine, name)
            return engine

    def _first_open(self, locked: bool) -> Engine:
        with self._maybe_lock(locked):
            if self._read_current() is not None:  # another process created it meanwhile
                return self._ensure_open(locked=True)
            if self._source is not None:
                self._log.warning("search index at %s is missing: rebuilding", self.path)
                return self._rebuild_locked(self._source(), None)
            name = _PREFIX + secrets.token_hex(6)
            engine = Engine.create(self.path / name, self._keyed, self._tk)
            self._write_current(name)
        self._swap(engine, name)
        return engine

    def _repair(self, detail: str, locked: bool) -> Engine:
        self._log.warning("search index at %s is damaged (%s)", self.path, detail)
        if self._source is None:
            raise IndexCorrupt(self.path, detail)
        with self._maybe_lock(locked):
            name = self._read_current()
            if name and name != self._engine_name and name.startswith(_PREFIX):
                try:  # another process may have rebuilt it while we waited for the lock
                    engine = Engine.open(self.path / name, self._keyed, self._tk)
                    self._swap(engine, name)
                    return engine
                except Damaged:
                    pass
            self._log.warning("rebuilding search index at %s", self.path)
            return self._rebuild_locked(self._source(), None)

    @contextmanager
    def _maybe_lock(self, locked: bool) -> Iterator[None]:
        if locked:
            yield
        else:
            with self._lock.held():
                yield

    def _swap(self, engine: Engine, name: str) -> None:
        old = self._engine
        self._engine, self._engine_name = engine, name
        if old is not None and old is not engine:
            old.close()

    # --- writing -----------------------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[Writer]:
        with self._lock.held():
            engine = self._ensure_open(locked=True)
            with engine.writer() as w:
                yield w

    def add_or_update(self, docs: Iterable[IndexDocument]) -> None:
        """Index ``docs``, replacing earlier versions with the same ids (one transaction)."""
        self.apply(docs, ())

    def delete(self, doc_ids: Iterable[str]) -> None:
        """Remove these documents (one transaction); unknown ids are ignored."""
        self.apply((), doc_ids)

    def apply(self, docs: Iterable[IndexDocument], deleted: Iterable[str]) -> None:
        """Index ``docs`` and remove ``deleted`` in one transaction: applying the same change
        twice leaves the index as once (documents are replaced by id)."""
        with self._writing() as w:
            for doc in docs:
                w.update(doc)
            for doc_id in deleted:
                w.delete(doc_id)

    def rebuild(
        self, docs: Iterable[IndexDocument], progress: Callable[[int], None] | None = None
    ) -> None:
        """Replace the whole index by ``docs`` (ids must be unique). ``progress(n)`` is called
        every 1,000 documents and at the end. Searches use the old index until the switch."""
        self._rebuild_guarded(docs, progress, locked=False)

    def _rebuild_guarded(self, docs, progress, locked: bool) -> Engine:
        with self._maybe_lock(locked):
            return self._rebuild_locked(docs, progress)

    def _rebuild_locked(
        self, docs: Iterable[IndexDocument], progress: Callable[[int], None] | None
    ) -> Engine:
        name = _PREFIX + secrets.token_hex(6)
        target = self.path / name
        engine = Engine.create(target, self._keyed, self._tk)
        seen: set[str] = set()
        it = iter(docs)
        try:
            while batch := list(islice(it, _REBUILD_BATCH)):
                with engine.writer(limitmb=_REBUILD_LIMITMB, merge=False) as w:
                    for doc in batch:
                        if doc.doc_id in seen:
                            raise ValueError(f"duplicate doc_id in rebuild: {doc.doc_id}")
                        seen.add(doc.doc_id)
                        w.add(doc)
                        if progress is not None and len(seen) % 1000 == 0:
                            progress(len(seen))
        except BaseException:
            engine.close()
            shutil.rmtree(target, ignore_errors=True)
            raise
        if progress is not None:
            progress(len(seen))
        self._write_current(name)
        with self._open_lock:
            self._swap(engine, name)
        for old in self.path.glob(_PREFIX + "*"):
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)
        return engine

    # --- reading -----------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        visibility: Visibility,
        filters: Filters | None = None,
        sort: Literal["relevance", "date"] = "relevance",
        page: int = 1,
        page_size: int = 20,
        facets: bool = True,
    ) -> SearchResults:
        """Search as a caller who may see ``visibility``. Raises ``QuerySyntaxError``."""
        if not isinstance(visibility, Visibility):
            raise TypeError("visibility must be a Visibility")
        if sort not in ("relevance", "date"):
            raise ValueError("sort must be 'relevance' or 'date'")
        if page < 1 or not 1 <= page_size <= 1000:
            raise ValueError("page must be >= 1 and page_size between 1 and 1000")
        node = parse(query)
        return self._read(
            lambda e: e.search(node, visibility, filters, sort, page, page_size, facets)
        )

    def suggest(self, prefix: str, *, visibility: Visibility, limit: int = 10) -> list[str]:
        """Document numbers starting with ``prefix`` that the caller may see."""
        return self._read(lambda e: e.suggest(prefix, visibility, limit))

    def doc_count(self) -> int:
        """Number of documents in the index."""
        return self._read(lambda e: e.doc_count())

    def _read(self, run):
        engine = self._ensure_open(locked=False)
        try:
            return run(engine)
        except Exception:
            name = self._engine_name
            with self._open_lock:
                if self._read_current() != name:  # switched by a rebuild elsewhere: retry
                    self._engine_name = None
                    return run(self._ensure_open(locked=False))
                try:
                    engine.verify()
                except Damaged as damage:
                    self._engine_name = None
                    self._engine = None
                    return run(self._repair(str(damage), locked=False))
            raise

    @staticmethod
    def snippet(text: str, query: str) -> str:
        """Safe HTML extract of ``text`` with the query's words in ``<mark>``. Call it only on
        the decrypted text of a hit the caller may see (``hit.content_visible``)."""
        return make_snippet(text, parse(query))

    def close(self) -> None:
        """Release open readers."""
        with self._open_lock:
            if self._engine is not None:
                self._engine.close()
            self._engine, self._engine_name = None, None

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
