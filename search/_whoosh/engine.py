"""One Whoosh index directory: open, create, write, search."""

from __future__ import annotations

import gc
import heapq
import math
import threading
import time
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import jieba
from whoosh import index
from whoosh.index import LockError

from .. import query as ast
from ..documents import IndexDocument
from ..results import Hit, SearchResults
from ..tokens import KeyedTokens, normalise_number
from ..visibility import Filters, Visibility
from .compile import (
    FALSE,
    TRUE,
    Compiler,
    Filter,
    conj,
    disj,
    filters_query,
    negate,
    top,
    visibility_queries,
)
from .docsets import DocSets
from .ranking import best
from .schema import SCHEMA, STORED_META, to_fields
from .segments import SegmentCache, numbers
from .writing import segment_writer

__all__ = ["Engine", "Damaged", "Writer"]

_FACET_FIELDS = {"kind": "kind", "status": "status", "department": "all_depts"}

#: Relevance order is computed for at most this many visible matches; above it the hits are
#: the newest first (``SearchResults.ranked_by_date``). Whoosh's BM25 costs 20-50 us per match
#: in Python, and a one-word query with thousands of matches would take seconds to rank;
#: its top documents would also score almost alike (short texts, one occurrence each).
RANK_LIMIT = 1000

_UNDATED = -(1 << 62)  # sort_date of an undated document (see schema.to_fields)


@contextmanager
def _quiet_release() -> Iterator[None]:
    """Whoosh leaves files open when a read fails; they are closed when the exception is
    released. Do that here, without the ResourceWarning it would emit later, anywhere."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        yield
        gc.collect()


class Damaged(Exception):
    """The Whoosh directory is missing or unreadable (internal: ``SearchIndex`` decides)."""


class Writer:
    """Adds, replaces and deletes documents inside one Whoosh transaction."""

    def __init__(self, w, keyed: KeyedTokens, tk: jieba.Tokenizer) -> None:
        self._w = w
        self._keyed = keyed
        self._tk = tk

    def update(self, doc: IndexDocument) -> None:
        """Add ``doc``, replacing a document with the same id."""
        self._w.update_document(**to_fields(doc, self._keyed, self._tk))

    def add(self, doc: IndexDocument) -> None:
        """Add ``doc`` (the caller knows the id is new: a fresh index)."""
        self._w.add_document(**to_fields(doc, self._keyed, self._tk))

    def delete(self, doc_id: str) -> None:
        """Delete the document with this id, if present."""
        self._w.delete_by_term("doc_id", doc_id)


class Engine:
    """An opened Whoosh index directory."""

    def __init__(self, ix, keyed: KeyedTokens, tk: jieba.Tokenizer) -> None:
        self._ix = ix
        self._keyed = keyed
        self._tk = tk
        self._searcher = None
        self._lock = threading.Lock()
        self._cache_owner = None
        self._cache: dict = {}
        self._sets: DocSets | None = None
        self._segments = SegmentCache()
        self._combos: list[tuple[tuple[str, ...], ...]] = []  # facet values, see _facet_combos

    @classmethod
    def create(cls, directory: Path, keyed: KeyedTokens, tk: jieba.Tokenizer) -> Engine:
        """Create an empty index in ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        return cls(index.create_in(str(directory), SCHEMA), keyed, tk)

    @classmethod
    def open(cls, directory: Path, keyed: KeyedTokens, tk: jieba.Tokenizer) -> Engine:
        """Open and check the index in ``directory``; ``Damaged`` if missing or unreadable."""
        if not directory.is_dir() or not index.exists_in(str(directory)):
            raise Damaged(f"no index in {directory.name}")
        with _quiet_release():
            try:
                engine = cls(index.open_dir(str(directory), schema=SCHEMA), keyed, tk)
            except Exception as exc:  # any failure to read the files means damage
                detail = f"{type(exc).__name__}: {exc}"
            else:
                detail = None
        if detail is not None:
            raise Damaged(detail)
        engine.verify()
        return engine

    def verify(self) -> None:
        """``Damaged`` unless every segment's terms and stored fields can be read."""
        with _quiet_release():
            try:
                self._read_everything()
            except Exception as exc:  # any failure to read the files means damage
                detail = f"{type(exc).__name__}: {exc}"
                self.close()
            else:
                return
        raise Damaged(detail)

    def _read_everything(self) -> None:
        with self._ix.reader() as reader:
            for fieldname in ("doc_id", "grams"):
                for _ in reader.lexicon(fieldname):
                    pass
            for _ in reader.all_stored_fields():
                pass
            for docnum in reader.all_doc_ids():
                reader.doc_field_length(docnum, "grams")

    def close(self) -> None:
        """Release the cached searcher."""
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None

    def doc_count(self) -> int:
        """Number of documents."""
        return self._ix.doc_count()

    @contextmanager
    def writer(
        self, *, attempts: int = 50, limitmb: int = 128, merge: bool = True
    ) -> Iterator[Writer]:
        """A write transaction: committed on normal exit, cancelled on error. With ``merge``
        False the commit adds a segment and leaves the others as they are."""
        for attempt in range(attempts):
            try:
                w = segment_writer(self._ix, limitmb=limitmb)
                break
            except LockError:
                if attempt == attempts - 1:
                    raise
                time.sleep(0.05)
        try:
            yield Writer(w, self._keyed, self._tk)
        except BaseException:
            w.cancel()
            raise
        else:
            w.commit(merge=merge)

    def _current_searcher(self):
        # Not Searcher.refresh(): it reuses segment readers whose deletions have changed
        # (a delete-only commit then stays invisible). Open a fresh searcher instead.
        if self._searcher is not None and not self._searcher.up_to_date():
            self._searcher.close()
            self._searcher = None
        if self._searcher is None:
            self._searcher = self._ix.searcher()
        return self._searcher

    def search(
        self,
        node: ast.Node | None,
        vis: Visibility,
        filters: Filters | None,
        sort: str,
        page: int,
        page_size: int,
        facets: bool,
    ) -> SearchResults:
        """Run a parsed query for a caller with visibility ``vis``."""
        # policy C1, C3: visibility is applied inside the search, before counting, faceting
        # and paging; metadata-only documents are matched with content terms switched off
        comp = Compiler(self._keyed, self._tk)
        full_vis, meta_vis = visibility_queries(vis)
        branches = []
        if full_vis is not FALSE:
            q_full = comp.compile(node, content=True)
            branches.append(q_full if full_vis is TRUE else conj([q_full, Filter(full_vis)]))
        if meta_vis is not FALSE:
            parts = [comp.compile(node, content=False)]
            if meta_vis is not TRUE:
                parts.append(Filter(meta_vis))
            if full_vis is not FALSE:
                parts.append(negate(Filter(full_vis)))
            branches.append(conj(parts))
        q = top(disj(branches))
        if len(branches) == 1 and full_vis is not TRUE and full_vis is not FALSE:
            q = top(q_full)  # the allow set below restricts exactly as Filter(full_vis) does
        allow = conj([disj([full_vis, meta_vis]), filters_query(filters)])
        empty = SearchResults(total=0, hits=[], facets={}, page=page, pages=0)
        if q is FALSE or allow is FALSE:
            return empty
        with self._lock:
            s = self._current_searcher()
            sets = self._docsets(s)
            allow_set = None
            if allow is not TRUE:
                allow_set = self._cached(s, ("allow", vis, filters), lambda: sets.match(allow))
                if not allow_set:
                    return empty
            # The exact match set first (totals and facets count every visible match), with
            # position checks only where they can change it; then only the page is ranked.
            matched = sets.match(q, within=allow_set)
            if allow_set is not None:
                matched &= allow_set
            total = len(matched)
            if not total:
                return empty
            limit = page * page_size
            broad = sort != "date" and total > RANK_LIMIT
            if sort == "date" or broad:
                ranked = self._newest(s, matched, limit)
            else:
                ranked = best(s, sets, q, matched, limit)
            ranked = ranked[(page - 1) * page_size :]
            found = sets.term
            hits = [self._hit(s, d, score, vis, comp, found) for d, score in ranked]
            facet_counts = self._facet_counts(s, matched) if facets else {}
        pages = math.ceil(total / page_size)
        return SearchResults(total, hits, facet_counts, page, pages, ranked_by_date=broad)

    def _version(self, s) -> None:
        """Drop what was cached for an older searcher (an older index version)."""
        if self._cache_owner is not s:
            self._cache_owner, self._cache = s, {}
            self._sets = DocSets(s, self._segments)
            self._segments.keep(reader for reader, _ in self._sets.leaves)

    def _docsets(self, s) -> DocSets:
        self._version(s)
        return self._sets

    def _cached(self, s, key, compute):
        """Values that depend only on the index version (visibility and filter docnum sets,
        facet and date arrays); dropped whenever a new searcher is opened."""
        self._version(s)
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) >= 256:
                self._cache.clear()
            found = self._cache[key] = compute()
        return found

    def _newest(self, s, matched: set[int], limit: int) -> list[tuple[int, float]]:
        """The ``limit`` newest matches (undated last; the later indexed first on the same
        date), with score 0: no matcher runs, whatever the number of matches."""

        def segment_keys(reader) -> list[int]:
            # one int per document orders by date, then by docnum: a C-level sort key
            dates = numbers(reader, "sort_date", _UNDATED)
            return [date * (1 << 32) + d for d, date in enumerate(dates)]

        def build() -> list[int]:
            keys: list[int] = []
            for reader, offset in self._docsets(s).leaves:
                local = self._segments.per_doc(reader, "date_keys", segment_keys)
                keys.extend(map(offset.__add__, local) if offset else local)
            return keys

        keys = self._cached(s, "date_keys", build)
        return [(d, 0.0) for d in heapq.nlargest(limit, matched, key=keys.__getitem__)]

    def _facet_counts(self, s, matched: set[int]) -> dict[str, dict[str, int]]:
        per_doc = self._cached(s, "facets", lambda: self._facet_combos(s))
        out: dict[str, Counter[str]] = {name: Counter() for name in _FACET_FIELDS}
        # one C-level count over the documents, then a loop over the few combinations
        for combo, n in Counter(map(per_doc.__getitem__, matched)).items():
            for name, values in zip(_FACET_FIELDS, self._combos[combo], strict=True):
                for value in values:
                    out[name][value] += n
        return {name: dict(counts) for name, counts in out.items()}

    def _facet_combos(self, s) -> list[int]:
        """docnum -> the number of its (kinds, statuses, departments) in ``self._combos``,
        from each segment's terms (kept with the segment)."""
        numbering = {combo: n for n, combo in enumerate(self._combos)}

        def segment_combos(reader) -> list[int]:
            values: list[list[tuple[str, ...]]] = [[] for _ in range(reader.doc_count_all())]
            for field in _FACET_FIELDS.values():
                found: list[list[str]] = [[] for _ in values]
                for btext in reader.lexicon(field):
                    for d in self._segments.postings(reader, field, btext)[0]:
                        found[d].append(btext.decode("utf-8"))
                for d, names in enumerate(found):
                    values[d].append(tuple(names))
            out = []
            for v in map(tuple, values):
                if v not in numbering:
                    numbering[v] = len(self._combos)
                    self._combos.append(v)
                out.append(numbering[v])
            return out

        per_doc: list[int] = []
        for reader, _ in self._docsets(s).leaves:
            per_doc.extend(self._segments.per_doc(reader, "facets", segment_combos))
        return per_doc

    @staticmethod
    def _hit(s, docnum: int, score: float, vis: Visibility, comp: Compiler, found) -> Hit:
        stored = s.stored_fields(docnum)
        visible = vis.allows_content(stored)  # policy C1: no content match shown otherwise
        matched = []
        for label, groups in comp.groups.items():
            if not label:
                continue
            for group in groups:
                if not all(docnum in found(f, tok) for f, tok in group):
                    continue
                if visible or all(f == "number" for f, _ in group):
                    matched.append(label)
                    break
        meta = {k: stored[k] for k in STORED_META if k in stored}
        return Hit(
            doc_id=stored["doc_id"],
            doc_type=stored.get("doc_type", "handover"),
            meta=meta,
            score=float(score),
            matched_terms=tuple(matched),
            content_visible=visible,
        )

    def suggest(self, prefix: str, vis: Visibility, limit: int) -> list[str]:
        """Numbers starting with ``prefix`` of documents the caller may see (at least as
        metadata)."""
        full_vis, meta_vis = visibility_queries(vis)
        allow = disj([full_vis, meta_vis])
        start = normalise_number(prefix)
        if allow is FALSE or not start:
            return []
        out: list[str] = []
        with self._lock:
            s = self._current_searcher()
            allow_set = None if allow is TRUE else set(s.docs_for_query(allow))
            reader = s.reader()
            for btext in reader.expand_prefix("number", start):
                docs = reader.postings("number", btext).all_ids()
                if allow_set is None or any(d in allow_set for d in docs):
                    out.append(btext.decode("utf-8") if isinstance(btext, bytes) else btext)
                    if len(out) >= limit:
                        break
        return out

    def all_ids(self) -> Iterable[str]:
        """Ids of every document (for checks)."""
        with self._lock:
            s = self._current_searcher()
            return [f["doc_id"] for f in s.reader().all_stored_fields()]
