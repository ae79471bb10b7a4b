"""Relevance for documents already known to match: Whoosh's BM25F from cached postings.

Ranking through Whoosh's matchers means skipping to each document in every term's postings:
for a few hundred documents spread over a broad term that unpickles most of its blocks again
and walks them one id at a time. The match sets (``DocSets``) already hold each term's
documents and weights, so a score is a few dictionary look-ups and Whoosh's own scorer
(its ``idf``, average length and parameters) on the weight and field length.

Scores add up as in Whoosh's matchers: ``And`` sums its children when all match, ``Or`` sums
those that match, ``AndNot`` scores its positive side, a filter (visibility, policy C1) adds
nothing but must match. A ``Phrase`` scores as the And of its terms: whether its positions
line up was settled when the document was matched.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

from whoosh import query as wq
from whoosh.query.wrappers import WrappingQuery

from .docsets import DocSets

__all__ = ["best"]


Score = Callable[[int], float | None]  # a document's score; None where it does not match


def best(s, sets: DocSets, q: wq.Query, matched: set[int], limit: int):
    """The ``limit`` best matches of ``q`` by score, as (docnum, score), ties by docnum."""
    score = _Compiler(s, sets, matched).compile(q)
    scored = [(-(score(d) or 0.0), d) for d in matched]
    return [(d, -neg) for neg, d in heapq.nsmallest(limit, scored)]


def _all(parts: list[Score]) -> Score:
    def score(d: int) -> float | None:
        total = 0.0
        for part in parts:
            x = part(d)
            if x is None:
                return None
            total += x
        return total

    return score


def _any(parts: list[Score]) -> Score:
    def score(d: int) -> float | None:
        found = [x for x in (part(d) for part in parts) if x is not None]
        return sum(found) if found else None

    return score


def _member(members: set[int], inside: float | None, outside: float | None) -> Score:
    return lambda d: inside if d in members else outside


class _Compiler:
    """Turns a query into a scoring function once, so that each document costs only the
    look-ups (the query is the same for every matched document)."""

    def __init__(self, s, sets: DocSets, matched: set[int]) -> None:
        self._s = s
        self._sets = sets
        self._matched = matched

    def compile(self, q: wq.Query) -> Score:
        if isinstance(q, wq.Term):
            return self._term(q.fieldname, q.text)
        if isinstance(q, wq.Phrase):
            return _all([self._term(q.fieldname, w) for w in q.words])
        if isinstance(q, wq.AndNot):
            positive, excluded = self.compile(q.a), self._members(q.b)
            return lambda d: None if d in excluded else positive(d)
        if isinstance(q, wq.And):
            return _all([self.compile(c) for c in q.subqueries])
        if isinstance(q, wq.Or):
            return _any([self.compile(c) for c in q.subqueries])
        if isinstance(q, wq.Every):
            return lambda d: 1.0
        if isinstance(q, wq.Not):
            return _member(self._members(q.query), None, 0.0)
        if isinstance(q, WrappingQuery):  # Filter: must match, adds nothing
            return _member(self._members(q.child), 0.0, None)
        return _member(self._members(q), 0.0, None)  # ranges and the like

    def _members(self, q: wq.Query) -> set[int]:
        """The documents among the matched ones that match ``q`` exactly."""
        return self._sets.match(q, within=self._matched)

    def _term(self, field: str, text) -> Score:
        btext = text if isinstance(text, bytes) else self._s.schema[field].to_bytes(text)
        docs = self._sets.term(field, btext)
        if not docs:
            return lambda d: None
        weights = self._sets.weights(field, btext)
        scorer = self._s.weighting.scorer(self._s, field, btext)
        if not hasattr(scorer, "_score"):  # a field without lengths: the weight is the score
            return lambda d: weights.get(d, 1.0) if d in docs else None
        lengths = self._sets.lengths(field)
        length = scorer.dfl if lengths is None else lengths.__getitem__  # same values
        bm25 = scorer._score
        return lambda d: bm25(weights.get(d, 1.0), length(d)) if d in docs else None
