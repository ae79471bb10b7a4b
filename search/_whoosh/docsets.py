"""Exact match sets of compiled queries, as Python sets of docnums.

Whoosh's ``docs_for_query`` walks a matcher tree one posting at a time and, for a ``Phrase``,
unpickles the position lists of every document that has all of its grams: for a note word in
a fifth of the documents that is most of a query's time. Here a ``Term`` is a set built from
the segments' cached postings (``SegmentCache``) and kept for the index version, a date range
is the terms it spans, ``And``/``Or``/``AndNot`` are set operations, and a ``Phrase`` checks
positions only for documents whose answer can still change the result: those with every
gram, inside the set the caller asked about (visible documents, the other conjuncts) and not
already matched by a sibling of an ``Or`` (usually the jieba word of the same term).

The sets are Whoosh's, except that Whoosh's ``AndNot`` fails to exclude a document when the
excluded side starts before it (``python NOT 入门``); the tests compare the two on every query
shape, with that fixed in Whoosh.
"""

from __future__ import annotations

from functools import partial

from whoosh import query as wq
from whoosh.query.wrappers import WrappingQuery

from .segments import SegmentCache, field_lengths, positions

__all__ = ["DocSets", "has_phrase"]

#: Cached term sets are dropped when they hold more docnums than this (about 70 bytes each).
#: The bench's 800 queries on 100k handovers use about 1.3 million.
CACHE_DOCNUMS = 2_000_000


def has_phrase(q: wq.Query) -> bool:
    """Whether evaluating ``q`` checks positions somewhere (the costly part)."""
    if isinstance(q, wq.Phrase):
        return True
    return any(has_phrase(c) for c in q.children())


class DocSets:
    """Match sets for one searcher (one index version)."""

    def __init__(self, searcher, segments: SegmentCache) -> None:
        self._s = searcher
        self._segments = segments
        #: (segment reader, first docnum) of each segment
        self.leaves = [(sub.reader(), offset) for sub, offset in searcher.leaf_searchers()]
        self._terms: dict[tuple[str, bytes], frozenset[int]] = {}
        self._weights: dict[tuple[str, bytes], dict[int, float]] = {}
        self._held = 0
        self._every: frozenset[int] | None = None
        self._lengths: dict[str, list[int] | None] = {}

    # --- public --------------------------------------------------------------------------------

    def match(self, q: wq.Query, within: set[int] | None = None) -> set[int]:
        """Docnums matching ``q``; exact inside ``within`` (everywhere when None), undefined
        outside it: intersect with ``within`` before use."""
        return set(self._eval(q, within, None))

    def term(self, field: str, text) -> frozenset[int]:
        """Docnums of live documents containing the term (cached for this index version)."""
        btext = text if isinstance(text, bytes) else self._s.schema[field].to_bytes(text)
        key = (field, btext)
        found = self._terms.get(key)
        if found is None:
            found, weights = self._read_term(field, btext)
            if self._held + len(found) > CACHE_DOCNUMS:
                self._terms.clear()
                self._weights.clear()
                self._held = 0
            self._terms[key], self._weights[key] = found, weights
            self._held += len(found)
        return found

    def weights(self, field: str, btext: bytes) -> dict[int, float]:
        """The term's weights (its frequency) where they are not 1."""
        key = (field, btext)
        if key not in self._weights:
            self.term(field, btext)
        return self._weights[key]

    def lengths(self, field: str) -> list[int] | None:
        """docnum -> length of the document's ``field`` (None if unavailable)."""
        if field not in self._lengths:
            out: list[int] | None = []
            for reader, _ in self.leaves:
                read = partial(field_lengths, field=field)
                part = self._segments.per_doc(reader, "len:" + field, read)
                if part is None:
                    out = None
                    break
                out.extend(part)
            self._lengths[field] = out
        return self._lengths[field]

    def every(self) -> frozenset[int]:
        """Docnums of every live document."""
        if self._every is None:
            out: set[int] = set()
            for reader, offset in self.leaves:
                out.update(range(offset, offset + reader.doc_count_all()))
                if reader.has_deletions():
                    out.difference_update(d + offset for d in reader.deleted_docs_set)
            self._every = frozenset(out)
        return self._every

    # --- evaluation ----------------------------------------------------------------------------
    # _eval(q, within, skip) is exact for documents in ``within`` (None: all) and not in
    # ``skip`` (None: none); anything else may be wrong either way. Cheap children go first so
    # that the costly ones (phrases) see the tightest ``within`` and the largest ``skip``.

    def _eval(self, q: wq.Query, within, skip):
        if q is wq.NullQuery:
            return frozenset()
        if isinstance(q, wq.Every | wq.Term):
            found = self.every() if isinstance(q, wq.Every) else self.term(q.fieldname, q.text)
            # a small ``within`` (one teacher's handovers) keeps every later step small
            return found & within if within is not None and len(within) < len(found) else found
        if isinstance(q, wq.Phrase):
            return self._phrase(q, within, skip)
        if isinstance(q, wq.AndNot):
            pos = self._eval(q.a, within, skip)
            neg = self._eval(q.b, pos if within is None else pos & within, skip)
            return pos - neg
        if isinstance(q, wq.Not):
            return self.every() - self._eval(q.query, within, skip)
        if isinstance(q, wq.And | wq.Or):
            kids = sorted(q.subqueries, key=has_phrase)
            if isinstance(q, wq.Or):
                return self._union(kids, within, skip)
            return self._intersection(kids, within, skip)
        if isinstance(q, WrappingQuery):  # Filter: restricts like its child
            return self._eval(q.child, within, skip)
        if isinstance(q, wq.NumericRange):  # a date range: term ranges at a few resolutions
            return self._eval(q.simplify(self._s.reader()), within, skip)
        if isinstance(q, wq.MultiTerm) and hasattr(q, "_btexts"):  # the Or of its terms
            found: set[int] = set()
            for btext in q._btexts(self._s.reader()):
                found |= self._eval(wq.Term(q.fieldname, btext), within, None)
            return found
        return frozenset(self._s.docs_for_query(q))  # anything else

    def _union(self, kids, within, skip):
        acc: set[int] = set()
        for kid in kids:
            # a document already found need not be checked again by a costly sibling
            kid_skip = (acc if skip is None else skip | acc) if has_phrase(kid) else skip
            acc |= self._eval(kid, within, kid_skip)
        return acc

    def _intersection(self, kids, within, skip):
        cheap = [self._eval(k, within, skip) for k in kids if not has_phrase(k)]
        acc = set(min(cheap, key=len)) if cheap else None
        for found in cheap:
            acc &= found
        for kid in kids:
            if has_phrase(kid):
                scope = acc if within is None else (within if acc is None else acc & within)
                found = self._eval(kid, scope, skip)
                acc = set(found) if acc is None else acc & found
        return acc

    def _phrase(self, q: wq.Phrase, within, skip):
        field = q.fieldname
        sets = sorted((self.term(field, w) for w in q.words), key=len)
        if not sets or not sets[0]:
            return frozenset()
        cands = set(sets[0])
        for other in sets[1:]:
            cands &= other
        if within is not None:
            cands &= within
        if skip:
            cands -= skip
        if not cands:
            return frozenset()
        return self._verify(q, sorted(cands))

    def _verify(self, q: wq.Phrase, cands: list[int]) -> set[int]:
        """The candidates (sorted; each has every word) whose words sit at consecutive
        positions, as Whoosh's Phrase with slop 1 requires. What a segment's positions say
        never changes, so each document is checked once for as long as its segment lives."""
        field = q.fieldname
        to_bytes = self._s.schema[field].to_bytes
        words = tuple(w if isinstance(w, bytes) else to_bytes(w) for w in q.words)
        decode = self._s.schema[field].format.decode_positions
        # the rarest word first: later words only read the blocks of the documents left
        order = sorted(range(len(words)), key=lambda i: len(self.term(field, words[i])))
        shifted: dict[tuple[bytes, int], frozenset[int]] = {}
        out: set[int] = set()
        for reader, offset in self.leaves:
            end = offset + reader.doc_count_all()
            local = [d - offset for d in cands if offset <= d < end]
            checked, hits = self._segments.phrase_checks(reader, field, words)
            todo = [d for d in local if d not in checked]
            # starts[d]: where the phrase could start in document d, given the words so far
            starts: dict[int, frozenset[int]] = {}
            for n, i in enumerate(order):
                found = {}
                for d, value in positions(reader, field, words[i], todo):
                    here = shifted.get((value, i))
                    if here is None:  # few distinct values: short texts, positions repeat
                        here = shifted[value, i] = frozenset(p - i for p in decode(value))
                    if n:
                        here &= starts[d]
                    if here:
                        found[d] = here
                starts, todo = found, sorted(found)
                if not todo:
                    break
            checked.update(local)
            hits.update(starts)
            out.update(d + offset for d in local if d in hits)
        return out

    def _read_term(self, field: str, btext: bytes) -> tuple[frozenset[int], dict[int, float]]:
        ids: set[int] = set()
        weights: dict[int, float] = {}
        for reader, offset in self.leaves:
            local, local_weights = self._segments.postings(reader, field, btext)
            if not local:
                continue
            if reader.has_deletions():
                local = set(local).difference(reader.deleted_docs_set)
            ids.update(map(offset.__add__, local) if offset else local)
            weights.update((d + offset, w) for d, w in local_weights.items())
        return frozenset(ids), weights
