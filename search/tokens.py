"""Text normalisation, units, grams and keyed (HMAC) tokens.

Pure Python: no Whoosh, no jieba (word segmentation is handed in as a callable).

A text is normalised (NFKC, lower case) and split into *units*: each CJK character is one unit,
each run of letters or of digits is one unit; everything else only separates units. Units get
consecutive positions, so phrases are position-exact.

Document side, every CJK unit is indexed as its unigram and, when the next unit is a CJK
character written right after it, also as the bigram starting there; other units are indexed
as themselves. Query side, a CJK position uses the bigram when the next character follows in
the same run, else the unigram, so that query tokens have consecutive positions and are a
subset of what the document indexed at those positions. Any substring of a document's units
is therefore found by a positional phrase over the query tokens.

Every token leaves this module only as ``KeyedTokens.token(domain, text)``:
HMAC-SHA256(token_key, domain || 0x00 || text) truncated to 16 bytes, base32 (policy C1, C2).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = [
    "Unit",
    "KeyedTokens",
    "normalise",
    "units",
    "document_grams",
    "query_grams",
    "normalise_exact",
    "normalise_number",
    "FIELD_GAP",
    "Segmenter",
]

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_UNIT_RE = re.compile(rf"([{_CJK}])|([^\W\d_{_CJK}]+)|(\d+)")
_EXACT_STRIP_RE = re.compile(r"[\s\-_.()（）+/]")

#: Position gap between two texts of one document, so that phrases never span two texts.
FIELD_GAP = 16


@dataclass(frozen=True)
class Unit:
    """One unit of normalised text."""

    text: str
    """The unit's text: one CJK character, or a run of letters, or a run of digits."""
    start: int
    """Offset of the unit in the normalised text."""
    end: int
    """Offset just past the unit in the normalised text."""
    cjk: bool
    """Whether the unit is a CJK character."""


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def units(text: str) -> list[Unit]:
    """Split already normalised text into units."""
    out = []
    for m in _UNIT_RE.finditer(text):
        out.append(Unit(m.group(0), m.start(), m.end(), m.group(1) is not None))
    return out


def _joined(us: list[Unit], i: int) -> bool:
    """Whether unit i and unit i+1 are CJK characters written next to each other."""
    return i + 1 < len(us) and us[i].cjk and us[i + 1].cjk and us[i].end == us[i + 1].start


def document_grams(text: str, base: int = 0) -> tuple[list[tuple[str, int]], int]:
    """(gram, position) pairs to index for already normalised text, and its unit count.

    The hot loop of indexing: works on regex matches directly, without ``Unit`` objects.
    """
    out: list[tuple[str, int]] = []
    pos = base - 1
    prev_cjk: str | None = None
    prev_end = -1
    for m in _UNIT_RE.finditer(text):
        pos += 1
        unit = m.group(0)
        out.append((unit, pos))
        if m.group(1) is None:
            prev_cjk = None
            continue
        if prev_cjk is not None and m.start() == prev_end:
            out.append((prev_cjk + unit, pos - 1))
        prev_cjk, prev_end = unit, m.end()
    return out, pos - base + 1


def query_grams(us: list[Unit]) -> list[str]:
    """Grams for a query term, one per consecutive position (see the module docstring).

    A trailing unigram that a bigram already covers is left out.
    """
    out = []
    last = len(us) - 1
    for i, u in enumerate(us):
        if _joined(us, i):
            out.append(u.text + us[i + 1].text)
        elif i == last and i > 0 and _joined(us, i - 1):
            continue
        else:
            out.append(u.text)
    return out


def normalise_exact(value: str) -> str:
    """Exact-match form of a phone or ID number: NFKC, separators removed, upper case."""
    return _EXACT_STRIP_RE.sub("", unicodedata.normalize("NFKC", value)).upper()


def normalise_number(value: str) -> str:
    """Form of a handover number as stored and queried: NFKC, trimmed, upper case."""
    return unicodedata.normalize("NFKC", value).strip().upper()


class KeyedTokens:
    """Turns terms into keyed tokens; remembers recent results (the vocabulary is small)."""

    def __init__(self, token_key: bytes, *, cache_size: int = 1 << 20) -> None:
        if not isinstance(token_key, bytes) or len(token_key) < 16:
            raise ValueError("token_key must be at least 16 bytes")
        self._mac = hmac.new(token_key, digestmod=hashlib.sha256)
        self._cache: dict[tuple[str, str], str] = {}
        self._cache_size = cache_size

    def token(self, domain: str, text: str) -> str:
        """The keyed token for ``text`` in ``domain`` (``g`` grams, ``w`` words, ``x`` exact)."""
        # policy C2: no term of document text reaches the index except through this HMAC
        key = (domain, text)
        tok = self._cache.get(key)
        if tok is None:
            mac = self._mac.copy()
            mac.update(domain.encode() + b"\x00" + text.encode("utf-8"))
            tok = base64.b32encode(mac.digest()[:16]).decode("ascii").rstrip("=").lower()
            if len(self._cache) >= self._cache_size:
                self._cache.clear()
            self._cache[key] = tok
        return tok

    def tokens(self, domain: str, texts: Iterable[str]) -> list[str]:
        """``token`` for each text, in order."""
        return [self.token(domain, t) for t in texts]


#: A word segmenter: normalised text in, words out (jieba's ``cut_for_search`` or ``cut``).
Segmenter = Callable[[str], Iterable[str]]
