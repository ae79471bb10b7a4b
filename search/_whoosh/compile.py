"""Parsed query, Visibility and Filters -> Whoosh queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import jieba
from whoosh import query as wq
from whoosh.matching.wrappers import WrappingMatcher
from whoosh.query.wrappers import WrappingQuery

from .. import query as ast
from ..tokens import KeyedTokens, normalise, normalise_exact, normalise_number, query_grams, units
from ..visibility import Filters, Visibility
from .schema import as_datetime, is_word

__all__ = [
    "TRUE",
    "FALSE",
    "Compiler",
    "Filter",
    "conj",
    "disj",
    "negate",
    "top",
    "visibility_queries",
    "filters_query",
]

# --- queries ------------------------------------------------------------------------------

TRUE = wq.Every()
FALSE = wq.NullQuery


class _ZeroScoreMatcher(WrappingMatcher):
    """Matches like its child, scores 0 and reports no terms (a pure filter)."""

    def score(self):
        return 0.0

    def weight(self):
        return 0.0

    def supports_block_quality(self):
        return False

    def term_matchers(self):
        return iter(())

    def matching_terms(self, id=None):
        return iter(())


class Filter(WrappingQuery):
    """A subquery used only to restrict: it adds nothing to scores or matched terms."""

    def matcher(self, searcher, context=None):
        return _ZeroScoreMatcher(self.child.matcher(searcher, context))

    def _rewrap(self, child):
        return self.__class__(child)


def conj(children: list) -> wq.Query:
    kids = [c for c in children if c is not TRUE]
    if any(c is FALSE for c in kids):
        return FALSE
    pos = [c for c in kids if not isinstance(c, wq.Not)]
    neg = [c.query for c in kids if isinstance(c, wq.Not)]
    if not pos and not neg:
        return TRUE
    core = pos[0] if len(pos) == 1 else (wq.And(pos) if pos else wq.Every())
    if not neg:
        return core
    return wq.AndNot(core, neg[0] if len(neg) == 1 else wq.Or(neg))


def disj(children: list) -> wq.Query:
    kids = [c for c in children if c is not FALSE]
    if any(c is TRUE for c in kids):
        return TRUE
    if not kids:
        return FALSE
    kids = [wq.AndNot(wq.Every(), c.query) if isinstance(c, wq.Not) else c for c in kids]
    return kids[0] if len(kids) == 1 else wq.Or(kids)


def negate(child: wq.Query) -> wq.Query:
    if child is TRUE:
        return FALSE
    if child is FALSE:
        return TRUE
    return wq.Not(child)


def top(q: wq.Query) -> wq.Query:
    return wq.AndNot(wq.Every(), q.query) if isinstance(q, wq.Not) else q


@dataclass
class Compiler:
    """Turns a parsed query into Whoosh queries; remembers which tokens belong to which term."""

    keyed: KeyedTokens
    tk: jieba.Tokenizer

    def __post_init__(self) -> None:
        self.groups: dict[str, list[frozenset[tuple[str, bytes]]]] = {}

    def _remember(self, label: str, pairs: list[tuple[str, str]]) -> None:
        if pairs:
            group = frozenset((f, t.encode("ascii")) for f, t in pairs)
            self.groups.setdefault(label, []).append(group)

    def _grams(self, norm: str, label: str) -> wq.Query:
        toks = self.keyed.tokens("g", query_grams(units(norm)))
        if not toks:
            return FALSE
        self._remember(label, [("grams", t) for t in toks])
        return wq.Term("grams", toks[0]) if len(toks) == 1 else wq.Phrase("grams", toks)

    def _words(self, norm: str, label: str) -> wq.Query:
        """The term's jieba words, all present anywhere. Only when every piece is a real word:
        a lone character (入门|班) would make the match far looser than the user meant."""
        pieces = [w for w in self.tk.cut(norm) if any(ch.isalnum() for ch in w)]
        if not pieces or not all(is_word(p) for p in pieces):
            return FALSE
        pairs = [("words", self.keyed.token("w", p)) for p in pieces]
        self._remember(label, pairs)
        terms = [wq.Term(f, t) for f, t in pairs]
        return terms[0] if len(terms) == 1 else wq.And(terms)

    def _number(self, text: str, label: str) -> wq.Query:
        num = normalise_number(text)
        if not num:
            return FALSE
        self.groups.setdefault(label, []).append(frozenset({("number", num.encode())}))
        return wq.Term("number", num)

    def _content(self, node: ast.Word | ast.Phrase, label: str) -> wq.Query:
        norm = normalise(node.text)
        parts = [self._grams(norm, label)]
        if isinstance(node, ast.Word):
            parts.append(self._words(norm, label))
            exact = normalise_exact(node.text)
            if len(exact) >= 5 and any(c.isdigit() for c in exact):
                tok = self.keyed.token("x", exact)
                self._remember(label, [("exact", tok)])
                parts.append(wq.Term("exact", tok))
        return disj(parts)

    def compile(self, node: ast.Node | None, content: bool, negated: bool = False) -> wq.Query:
        """Whoosh query for ``node``; with ``content`` False, content terms never match."""
        if node is None:
            return TRUE
        if isinstance(node, ast.Word | ast.Phrase):
            label = "" if negated else node.text
            number = self._number(node.text, label)
            if not content:
                return number
            return disj([number, self._content(node, label)])
        if isinstance(node, ast.Not):
            return negate(self.compile(node.child, content, not negated))
        kids = [self.compile(c, content, negated) for c in node.children]
        return conj(kids) if isinstance(node, ast.And) else disj(kids)


def _terms(field: str, values: frozenset[str]) -> list[wq.Query]:
    return [wq.Term(field, v) for v in sorted(values)]


def visibility_queries(vis: Visibility) -> tuple[wq.Query, wq.Query]:
    """(fully visible, metadata-only visible) as queries; ``FALSE`` when a part is empty."""
    if vis.all:
        return TRUE, FALSE
    full = disj(
        _terms("doc_id", vis.doc_ids)
        + _terms("sender_id", vis.sender_ids)
        + _terms("receiver_id", vis.receiver_ids)
        + _terms("owner_depts", vis.departments)
        + _terms("student_ids", vis.student_ids)
    )
    if vis.metadata_only_all:
        meta = TRUE
    else:
        meta = disj(_terms("all_depts", vis.metadata_only_departments)
                    + _terms("owner_depts", vis.metadata_only_owners))
    return full, meta


def filters_query(f: Filters | None) -> wq.Query:
    """The user's narrowing as a query (``TRUE`` when there is none)."""
    if f is None or f.empty:
        return TRUE
    parts = []
    if f.kinds:
        parts.append(disj(_terms("kind", f.kinds)))
    if f.statuses:
        parts.append(disj(_terms("status", f.statuses)))
    if f.departments:
        parts.append(disj(_terms("all_depts", f.departments)))
    if f.date_from or f.date_to:
        start = as_datetime(f.date_from) if f.date_from else None
        end = f.date_to
        if end is not None and not isinstance(end, dt.datetime):
            end = dt.datetime(end.year, end.month, end.day, 23, 59, 59, 999999)
        parts.append(wq.DateRange("date", start, end))
    if f.overdue is not None:
        parts.append(wq.Term("overdue", f.overdue))
    return conj(parts)
