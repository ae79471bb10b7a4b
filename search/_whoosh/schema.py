"""Schema, keyed-token fields, word segmentation, and IndexDocument -> Whoosh fields."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path

import jieba
from whoosh import columns, formats
from whoosh import fields as wf
from whoosh.system import pack_uint

from ..documents import IndexDocument
from ..tokens import (
    FIELD_GAP,
    KeyedTokens,
    document_grams,
    normalise,
    normalise_exact,
    normalise_number,
)

__all__ = ["SCHEMA", "STORED_META", "segmenter", "to_fields", "is_word", "as_datetime"]

# --- word segmentation (jieba) ---------------------------------------------------------------

_JIEBA: jieba.Tokenizer | None = None
_JIEBA_LOCK = threading.Lock()


def segmenter(cache_dir: Path) -> jieba.Tokenizer:
    """The process's jieba tokenizer; its dictionary cache lives in ``cache_dir``."""
    global _JIEBA
    with _JIEBA_LOCK:
        if _JIEBA is None:
            jieba.setLogLevel(logging.WARNING)
            cache_dir.mkdir(parents=True, exist_ok=True)
            tk = jieba.Tokenizer()
            tk.tmp_dir = str(cache_dir)
            tk.initialize()
            _JIEBA = tk
    return _JIEBA


def is_word(w: str) -> bool:
    return len(w) >= 2 and any(ch.isalnum() for ch in w)


# --- schema ----------------------------------------------------------------------------------


class _KeyedText(wf.TEXT):
    """A field indexed from ready-made (keyed token, position) pairs; nothing is stored."""

    def __init__(self, fmt: formats.Format) -> None:
        super().__init__(phrase=isinstance(fmt, formats.Positions))
        self.format = fmt

    def index(self, value, **kwargs):
        poses: dict[str, list[int]] = {}
        for tok, pos in value:
            if tok in poses:
                poses[tok].append(pos)
            else:
                poses[tok] = [pos]
        encode = self._encoder()
        for tok, plist in poses.items():
            n = len(plist)
            yield tok.encode("ascii"), n, float(n), encode(plist)

    def _encoder(self):
        """The posting value for a list of positions. Most tokens occur once in a short
        text, at one of a few hundred positions: those values are made once and reused
        (a pickle per posting was about a twentieth of a rebuild's CPU)."""
        fmt = self.format
        if isinstance(fmt, formats.Positions):
            singles = _SINGLE_POSITIONS

            def encode(plist: list[int]) -> bytes:
                if len(plist) == 1:
                    found = singles.get(plist[0])
                    if found is None:
                        found = singles[plist[0]] = fmt.encode(plist)
                    return found
                plist.sort()
                return fmt.encode(plist)

            return encode
        if isinstance(fmt, formats.Frequency):
            return lambda plist: pack_uint(len(plist))
        return lambda plist: b""


_SINGLE_POSITIONS: dict[int, bytes] = {}


def _schema() -> wf.Schema:
    schema = wf.Schema(
        doc_id=wf.ID(stored=True, unique=True),
        doc_type=wf.STORED(),
        number=wf.ID(stored=True),
        kind=wf.ID(stored=True, sortable=True),
        status=wf.ID(stored=True, sortable=True),
        sender_id=wf.ID(stored=True),
        receiver_id=wf.ID(stored=True),
        sender_dept=wf.STORED(),
        receiver_dept=wf.STORED(),
        departments=wf.KEYWORD(stored=True),
        student_ids=wf.KEYWORD(stored=True),
        owner_depts=wf.KEYWORD(),
        all_depts=wf.KEYWORD(),
        date=wf.DATETIME(stored=True),
        sort_date=wf.COLUMN(columns.NumericColumn("q")),
        due=wf.STORED(),
        overdue=wf.BOOLEAN(stored=True),
        grams=_KeyedText(formats.Positions()),
        words=_KeyedText(formats.Frequency()),
        exact=_KeyedText(formats.Existence()),
    )
    # Whoosh 2.7.5 looks up the field length of every posting when it flushes a segment; for
    # a field without a length column it stats the file system each time (uncached), which
    # cost about 80 us per metadata posting (minutes for 100k documents). A length column
    # for every indexed field turns that into an array lookup.
    for _, field in schema.items():
        if field.indexed:
            field.scorable = True
    return schema


SCHEMA = _schema()

#: Stored fields handed back in ``Hit.meta``.
STORED_META = (
    "number",
    "kind",
    "status",
    "sender_id",
    "receiver_id",
    "sender_dept",
    "receiver_dept",
    "departments",
    "student_ids",
    "date",
    "due",
    "overdue",
)


def as_datetime(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day)


def to_fields(doc: IndexDocument, keyed: KeyedTokens, tk: jieba.Tokenizer) -> dict:
    """Whoosh field values for a document: metadata in clear, text as keyed tokens only."""
    meta = doc.meta
    out: dict = {"doc_id": doc.doc_id, "doc_type": doc.doc_type}
    for key in ("kind", "status", "sender_id", "receiver_id", "sender_dept", "receiver_dept"):
        if meta.get(key):
            out[key] = meta[key]
    if meta.get("number"):
        out["number"] = normalise_number(meta["number"])
    depts = sorted(set(meta.get("departments") or ()))
    if depts:
        out["departments"] = depts
    if meta.get("student_ids"):
        out["student_ids"] = sorted(set(meta["student_ids"]))
    owners = set(depts) | ({meta["receiver_dept"]} if meta.get("receiver_dept") else set())
    if owners:
        out["owner_depts"] = sorted(owners)
    every = owners | ({meta["sender_dept"]} if meta.get("sender_dept") else set())
    if every:
        out["all_depts"] = sorted(every)
    for key in ("date", "due"):
        if meta.get(key) is not None:
            out[key] = as_datetime(meta[key])
    # undated documents sort last when sorting by date, newest first
    out["sort_date"] = int(out["date"].timestamp()) if "date" in out else -(1 << 62)
    if meta.get("overdue") is not None:
        out["overdue"] = bool(meta["overdue"])

    # policy C2: text and exact values leave this function only as keyed tokens
    grams: list[tuple[str, int]] = []
    words: list[tuple[str, int]] = []
    base = 0
    for name in sorted(doc.texts):
        norm = normalise(doc.texts[name])
        pairs, count = document_grams(norm, base)
        token = keyed.token
        grams.extend([(token("g", g), p) for g, p in pairs])
        base += count + FIELD_GAP
        words.extend((keyed.token("w", w), 0) for w in tk.cut_for_search(norm) if is_word(w))
    exact = [(keyed.token("x", normalise_exact(v)), 0) for v in doc.exact if normalise_exact(v)]
    if grams:
        out["grams"] = grams
    if words:
        out["words"] = words
    if exact:
        out["exact"] = exact
    return out
