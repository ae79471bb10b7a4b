"""The query language: parse a user's query into a small tree.

    query   := or
    or      := and (("OR" | "或者" | "|") and)*
    and     := unary (("AND" | "并且" | "&")? unary)*       (juxtaposition means AND)
    unary   := ("NOT" | "不含" | "-") unary | primary
    primary := "(" or ")" | '"' phrase '"' | word

Operators are recognised only as whole, space-separated words (upper-case for the English
ones), so ``不含税`` or ``not`` are ordinary words. ``-`` negates only at the start of a word.
Full-width parentheses and Chinese quotes are accepted. A malformed query raises
``QuerySyntaxError`` with a Chinese message and the offending position.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .errors import QuerySyntaxError

__all__ = ["Word", "Phrase", "And", "Or", "Not", "Node", "parse", "positive_terms"]


@dataclass(frozen=True)
class Word:
    """A search word (matched as a substring of units, or by its segmented words)."""

    text: str
    """The word as typed."""
    position: int
    """Offset in the query."""


@dataclass(frozen=True)
class Phrase:
    """A quoted phrase, matched position-exact (spaces inside are ignored)."""

    text: str
    """The phrase without quotes."""
    position: int
    """Offset of the opening quote."""


@dataclass(frozen=True)
class And:
    """All children match."""

    children: tuple[Node, ...]
    """Two or more subtrees."""


@dataclass(frozen=True)
class Or:
    """Any child matches."""

    children: tuple[Node, ...]
    """Two or more subtrees."""


@dataclass(frozen=True)
class Not:
    """The child does not match."""

    child: Node
    """The negated subtree."""


Node = Word | Phrase | And | Or | Not

_AND = {"AND", "并且", "&", "&&"}
_OR = {"OR", "或者", "|", "||"}
_NOT = {"NOT", "不含"}
_OPEN = "(（"
_CLOSE = ")）"
_QUOTES = {'"': '"', "“": "”", "”": "“", "「": "」", "『": "』"}
_STOP = set(_OPEN) | set(_CLOSE) | set(_QUOTES)


@dataclass(frozen=True)
class _Tok:
    kind: str  # WORD PHRASE AND OR NOT OPEN CLOSE
    text: str
    pos: int


def _lex(q: str) -> Iterator[_Tok]:
    i, n = 0, len(q)
    while i < n:
        c = q[i]
        if c.isspace():
            i += 1
        elif c in _OPEN:
            yield _Tok("OPEN", c, i)
            i += 1
        elif c in _CLOSE:
            yield _Tok("CLOSE", c, i)
            i += 1
        elif c in _QUOTES:
            closers = {_QUOTES[c], c, '"'}
            j = i + 1
            while j < n and q[j] not in closers:
                j += 1
            if j >= n:
                raise QuerySyntaxError(q, i, f"引号不成对：第 {i + 1} 个字符处的引号没有结束引号")
            text = q[i + 1 : j]
            if not text.strip():
                raise QuerySyntaxError(q, i, f"第 {i + 1} 个字符处的引号内没有搜索词")
            yield _Tok("PHRASE", text, i)
            i = j + 1
        elif c == "-" and i + 1 < n and not q[i + 1].isspace() and q[i + 1] != "-":
            yield _Tok("NOT", c, i)
            i += 1
        else:
            j = i
            while j < n and not q[j].isspace() and q[j] not in _STOP:
                j += 1
            word = q[i:j]
            if not any(ch.isalnum() for ch in word) and word not in _AND | _OR:
                pass  # punctuation only: not a search word
            elif word in _AND:
                yield _Tok("AND", word, i)
            elif word in _OR:
                yield _Tok("OR", word, i)
            elif word in _NOT:
                yield _Tok("NOT", word, i)
            else:
                yield _Tok("WORD", word, i)
            i = j


class _Parser:
    def __init__(self, q: str) -> None:
        self.q = q
        self.toks = list(_lex(q))
        self.i = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def error(self, pos: int, message: str) -> QuerySyntaxError:
        return QuerySyntaxError(self.q, pos, message)

    def stray_close(self, tok: _Tok) -> QuerySyntaxError:
        return self.error(tok.pos, f"括号不成对：第 {tok.pos + 1} 个字符处的右括号没有对应的左括号")

    def dangling(self, op: _Tok) -> QuerySyntaxError:
        return self.error(op.pos, f"第 {op.pos + 1} 个字符处的运算符“{op.text}”缺少搜索词")

    def parse(self) -> Node | None:
        if not self.toks:
            return None
        node = self.parse_or()
        tok = self.peek()
        if tok is not None:  # only a stray closing parenthesis can stop parse_or early
            raise self.stray_close(tok)
        return node

    def parse_or(self) -> Node:
        children = [self.parse_and()]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.take()
            if self.peek() is None or self.peek().kind in ("CLOSE", "OR", "AND"):
                raise self.dangling(tok)
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self) -> Node:
        children = [self.parse_unary()]
        while (tok := self.peek()) is not None and tok.kind not in ("OR", "CLOSE"):
            if tok.kind == "AND":
                self.take()
                if self.peek() is None or self.peek().kind in ("CLOSE", "OR", "AND"):
                    raise self.dangling(tok)
            children.append(self.parse_unary())
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_unary(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise self.error(len(self.q), "搜索词不完整")
        if tok.kind == "NOT":
            self.take()
            nxt = self.peek()
            if nxt is None or nxt.kind in ("CLOSE", "OR", "AND"):
                raise self.dangling(tok)
            return Not(self.parse_unary())
        if tok.kind in ("AND", "OR"):
            raise self.dangling(tok)
        if tok.kind == "CLOSE":
            raise self.stray_close(tok)
        self.take()
        if tok.kind == "WORD":
            return Word(tok.text, tok.pos)
        if tok.kind == "PHRASE":
            return Phrase(tok.text, tok.pos)
        # OPEN
        nxt = self.peek()
        if nxt is not None and nxt.kind == "CLOSE":
            raise self.error(tok.pos, f"第 {tok.pos + 1} 个字符处的括号内没有搜索词")
        if nxt is None:
            raise self.error(tok.pos, f"括号不成对：第 {tok.pos + 1} 个字符处的左括号没有闭合")
        node = self.parse_or()
        close = self.peek()
        if close is None or close.kind != "CLOSE":
            raise self.error(tok.pos, f"括号不成对：第 {tok.pos + 1} 个字符处的左括号没有闭合")
        self.take()
        return node


def parse(query: str) -> Node | None:
    """Parse ``query``; ``None`` for an empty query. Raises ``QuerySyntaxError``."""
    if not isinstance(query, str):
        raise TypeError("query must be a string")
    return _Parser(query).parse()


def positive_terms(node: Node | None, negated: bool = False) -> list[Word | Phrase]:
    """Words and phrases that count for a match (not under an odd number of NOTs)."""
    if node is None:
        return []
    if isinstance(node, Word | Phrase):
        return [] if negated else [node]
    if isinstance(node, Not):
        return positive_terms(node.child, not negated)
    out: list[Word | Phrase] = []
    for child in node.children:
        out.extend(positive_terms(child, negated))
    return out
