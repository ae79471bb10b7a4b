"""What one Whoosh segment holds, read once for as long as the segment lives.

A segment's postings and columns never change after it is written: a commit adds a segment,
may merge some into a new one, and records deletions apart. Kept by segment id, a term read
for one index version serves the next ones too, so the first search after a write reads only
the new, small segment instead of every term of the index again. Deletions are applied by
the caller, per version.

Reading is done a block at a time: Whoosh's matchers cost three method calls per posting.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Callable, Iterable, Iterator
from itertools import accumulate

from whoosh.codec import whoosh3
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

__all__ = ["SegmentCache", "field_lengths", "numbers", "positions", "raw_postings"]

#: Cached postings are dropped when they hold more ids than this (4 bytes each).
CACHE_IDS = 20_000_000

#: Phrases whose checks are kept (each at most a segment's docnums, twice).
_PHRASES = 2048

_NO_POSTINGS: tuple[array, dict[int, float]] = (array("I"), {})


def _segment_id(reader) -> str | None:
    segment = reader.segment() if hasattr(reader, "segment") else None
    return segment.segment_id() if segment is not None else None


class SegmentCache:
    """Postings and per-document values of segments, by segment id."""

    def __init__(self, budget: int = CACHE_IDS) -> None:
        self._budget = budget
        self._postings: dict[tuple[str | None, str, bytes], tuple[array, dict[int, float]]] = {}
        self._held = 0
        self._per_doc: dict[tuple[str | None, str], list] = {}
        self._phrases: dict[tuple, tuple[set[int], set[int]]] = {}

    def keep(self, readers: Iterable) -> None:
        """Forget the segments that are not among ``readers`` (merged away or deleted)."""
        live = {_segment_id(r) for r in readers}
        for store in (self._postings, self._per_doc, self._phrases):
            for key in [k for k in store if k[0] not in live]:
                del store[key]
        self._held = sum(len(ids) for ids, _ in self._postings.values())

    def postings(self, reader, field: str, btext: bytes) -> tuple[array, dict[int, float]]:
        """The segment's docnums with the term (deleted ones included) and the weights that
        are not 1 (few: the texts are short)."""
        key = (_segment_id(reader), field, btext)
        found = self._postings.get(key)
        if found is None:
            m = raw_postings(reader, field, btext)
            found = _NO_POSTINGS if m is None else _read(m)
            if key[0] is None:
                return found
            if self._held + len(found[0]) > self._budget:
                self._postings.clear()
                self._phrases.clear()
                self._held = 0
            self._postings[key] = found
            self._held += len(found[0])
        return found

    def phrase_checks(self, reader, field: str, words: tuple[bytes, ...]):
        """(checked, matching): the segment's docnums whose positions were checked for this
        phrase, and those of them where it occurs; the caller adds to both."""
        key = (_segment_id(reader), field, words)
        found = self._phrases.get(key)
        if found is None:
            found = (set(), set())
            if key[0] is not None:
                if len(self._phrases) >= _PHRASES:
                    self._phrases.clear()
                self._phrases[key] = found
        return found

    def per_doc(self, reader, name: str, build: Callable[[object], list]) -> list:
        """``build(reader)``: one value per document of the segment, kept under ``name``."""
        key = (_segment_id(reader), name)
        found = self._per_doc.get(key)
        if found is None:
            found = build(reader)
            if key[0] is not None:
                self._per_doc[key] = found
        return found


def raw_postings(reader, field: str, btext: bytes):
    """The term's postings in one segment, deleted documents included (None if absent)."""
    try:
        m = reader.postings(field, btext)
    except TermNotFound:
        return None
    return m.child if isinstance(m, FilterMatcher) else m


def positions(reader, field: str, btext: bytes, docs: list[int]) -> Iterator[tuple[int, bytes]]:
    """(docnum, encoded positions) of the term in each of ``docs`` (sorted, all with the
    term) in one segment. Blocks holding none of ``docs`` are not unpickled."""
    m = raw_postings(reader, field, btext)
    if m is None or not docs:
        return
    if not isinstance(m, W3LeafMatcher) or not hasattr(m, "_data"):
        for d in docs:
            m.skip_to(d)
            yield d, m.value()
        return
    i = 0
    while m.is_active() and i < len(docs):
        if docs[i] > m.block_max_id():
            m._next_block()
            continue
        m._read_ids()
        m._read_values()
        for d, value in zip(m._ids, m._values, strict=True):
            while docs[i] < d:  # not in the postings (it should be): pass it by
                i += 1
                if i == len(docs):
                    return
            if d == docs[i]:
                yield d, value
                i += 1
                if i == len(docs):
                    return
        m._next_block()


def _read(m) -> tuple[array, dict[int, float]]:
    """Every id of a fresh leaf matcher, and the weights that are not 1."""
    ids = array("I")
    weights: dict[int, float] = {}
    if not isinstance(m, W3LeafMatcher) or not hasattr(m, "_data"):
        while m.is_active():
            ids.append(m.id())
            if m.weight() != 1.0:
                weights[m.id()] = m.weight()
            m.next()
        return ids, weights
    while m.is_active():
        if m._data is None:
            m._read_data()  # one unpickle per block of up to 128 postings
        raw, block_weights = m._data[0], m._data[1]
        start = len(ids)
        ids.extend(raw if m._byteids else accumulate(raw))  # ids are stored as deltas
        if isinstance(block_weights, float):
            if block_weights != 1.0:
                weights.update((d, block_weights) for d in ids[start:])
        elif block_weights is not None:  # None: all 1
            pairs = zip(ids[start:], block_weights, strict=True)
            weights.update((d, w) for d, w in pairs if w != 1.0)
        m._next_block()
    return ids, weights


def numbers(reader, field: str, default: int) -> list[int]:
    """The values of a numeric column for every document of one segment. Whoosh unpacks a
    column value per call; here the column's bytes are unpacked at once."""
    if not reader.has_column(field):
        return [default] * reader.doc_count_all()
    col = reader.column_reader(field, translate=False)
    try:
        return _unpack(col, reader.doc_count_all())
    except AttributeError:  # another column reader: the slow, public way
        return list(col)


_LENGTHS = [1] + [byte_to_length(b) for b in range(1, 256)]  # 0: no length stored


def field_lengths(reader, field: str) -> list[int] | None:
    """Each document's length in ``field`` (as BM25 sees it: Whoosh stores one byte), for
    one segment; None where this Whoosh keeps them differently."""
    try:
        col = reader._perdoc._cached_reader(whoosh3._lenfield(field), whoosh3.LENGTHS_COLUMN)
    except AttributeError:
        return None
    if col is None:
        return [1] * reader.doc_count_all()
    return [_LENGTHS[b] for b in _unpack(col, reader.doc_count_all())]


def _unpack(col, doccount: int) -> list[int]:
    """All values of a fixed-size numeric column reader (AttributeError if it is not one)."""
    size, count, typecode = col._fixedlen, col._count, col._typecode
    raw = col._dbfile.get(col._basepos, size * count)
    return list(struct.unpack(f"!{count}{typecode}", raw)) + [col._default] * (doccount - count)
