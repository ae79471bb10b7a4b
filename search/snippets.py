"""Snippets: a short, HTML-escaped extract of an authorised hit's text with matches marked.

Made only from the decrypted text the caller hands back after it has authorised the hit;
nothing here reads the index (policy C1: the index holds no text to make snippets from).
"""

from __future__ import annotations

import html
import re
import unicodedata

from .query import Node, Phrase, positive_terms
from .tokens import normalise_exact, units

__all__ = ["make_snippet"]


def _normalised_with_map(text: str) -> tuple[str, list[int]]:
    """NFKC + lower per character, with the original offset of every normalised character."""
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        norm = unicodedata.normalize("NFKC", ch).lower()
        out.append(norm)
        offsets.extend([i] * len(norm))
    offsets.append(len(text))
    return "".join(out), offsets


def _patterns(node: Node | None) -> list[re.Pattern[str]]:
    pats = []
    for term in positive_terms(node):
        norm = unicodedata.normalize("NFKC", term.text).lower()
        us = [u.text for u in units(norm)]
        if us:
            pats.append(re.compile(r"[\W_]*".join(re.escape(u) for u in us)))
        if not isinstance(term, Phrase):
            exact = normalise_exact(term.text).lower()
            if len(exact) >= 5 and any(c.isdigit() for c in exact):
                pats.append(re.compile(r"[\s\-]*".join(re.escape(c) for c in exact)))
    return pats


def _spans(norm: str, pats: list[re.Pattern[str]]) -> list[tuple[int, int]]:
    found = sorted(
        (m.start(), m.end()) for p in pats for m in p.finditer(norm) if m.end() > m.start()
    )
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def make_snippet(text: str, node: Node | None, *, width: int = 120) -> str:
    """Safe HTML: up to ``width`` characters of ``text`` around the first match, matches in
    ``<mark>``; the start of the text when nothing matches."""
    norm, offsets = _normalised_with_map(text)
    spans = [(offsets[s], offsets[e - 1] + 1) for s, e in _spans(norm, _patterns(node))]
    if spans:
        first = spans[0][0]
        start = max(0, min(first - width // 4, len(text) - width))
    else:
        start = 0
    end = min(len(text), start + width)
    parts = ["…"] if start > 0 else []
    cursor = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        parts.append(html.escape(text[cursor:s]))
        parts.append("<mark>" + html.escape(text[s:e]) + "</mark>")
        cursor = e
    parts.append(html.escape(text[cursor:end]))
    if end < len(text):
        parts.append("…")
    return "".join(parts)
