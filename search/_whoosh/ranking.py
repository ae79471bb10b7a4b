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

from whoosh import query as wq
from whoosh.query.wrappers import WrappingQuery

from .docsets import DocSets

__all__ = ["best"]


def best(s, sets: DocSets, q: wq.Query, matched: set[int], limit: int):
    """The ``limit`` best matches of ``q`` by score, as (docnum, score), ties by docnum."""
    ranker = _Ranker(s, sets, matched)
    scored = [(-(ranker.score(q, d) or 0.0), d) for d in matched]
    return [(d, -neg) for neg, d in heapq.nsmallest(limit, scored)]


class _Ranker:
    def __init__(self, s, sets: DocSets, matched: set[int]) -> None:
        self._s = s
        self._sets = sets
        self._matched = matched
        self._scorers: dict[tuple[str, bytes], object] = {}
        self._exact: dict[int, set[int]] = {}

    def score(self, q: wq.Query, d: int) -> float | None:
        """``q``'s score for document ``d``; None when that part of ``q`` does not match."""
        if isinstance(q, wq.Term):
            return self._term(q.fieldname, q.text, d)
        if isinstance(q, wq.Phrase):
            return self._all([self._term(q.fieldname, w, d) for w in q.words])
        if isinstance(q, wq.AndNot):
            return None if d in self._members(q.b) else self.score(q.a, d)
        if isinstance(q, wq.And):
            return self._all([self.score(c, d) for c in q.subqueries])
        if isinstance(q, wq.Or):
            found = [x for x in (self.score(c, d) for c in q.subqueries) if x is not None]
            return sum(found) if found else None
        if isinstance(q, wq.Every):
            return 1.0
        if isinstance(q, wq.Not):
            return None if d in self._members(q.query) else 0.0
        if isinstance(q, WrappingQuery):  # Filter: must match, adds nothing
            return 0.0 if d in self._members(q.child) else None
        return 0.0 if d in self._members(q) else None  # ranges and the like

    @staticmethod
    def _all(scores: list[float | None]) -> float | None:
        return None if any(x is None for x in scores) else sum(scores)

    def _members(self, q: wq.Query) -> set[int]:
        """The documents among the matched ones that match ``q`` exactly (once per part)."""
        found = self._exact.get(id(q))
        if found is None:
            found = self._exact[id(q)] = self._sets.match(q, within=self._matched)
        return found

    def _term(self, field: str, text, d: int) -> float | None:
        btext = text if isinstance(text, bytes) else self._s.schema[field].to_bytes(text)
        if d not in self._sets.term(field, btext):
            return None
        weight = self._sets.weight(field, btext, d)
        scorer = self._scorers.get((field, btext))
        if scorer is None:
            scorer = self._scorers[(field, btext)] = self._s.weighting.scorer(
                self._s, field, btext
            )
        if not hasattr(scorer, "_score"):  # a field without lengths: the weight is the score
            return weight
        return scorer._score(weight, scorer.dfl(d))
