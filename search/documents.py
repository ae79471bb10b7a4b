"""The document handed to the index: ids and non-private metadata in clear, text to be keyed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["IndexDocument", "META_FIELDS", "DocType"]

DocType = Literal["handover", "student"]

_STR = (str,)
_LIST = (list, tuple, frozenset, set)
_DATE = (dt.date, dt.datetime)

#: The metadata keys the index accepts, with their types. Nothing else is stored in clear:
#: an unknown key is refused so that a private value cannot slip into the index (policy C2).
META_FIELDS: dict[str, tuple[type, ...]] = {
    "number": _STR,  # handover number or student number, e.g. "JJ-2026-000123"
    "kind": _STR,  # handover kind id, e.g. "F2"
    "status": _STR,  # workflow status, e.g. "submitted"
    "sender_id": _STR,  # staff id of the sender
    "receiver_id": _STR,  # staff id of the receiver
    "sender_dept": _STR,  # department code, e.g. "ENR"
    "receiver_dept": _STR,  # department code, e.g. "ACA"
    "departments": _LIST,  # further owning department codes (student records)
    "student_ids": _LIST,  # ids of the students concerned
    "date": _DATE,  # date of the handover (sort key, date filter)
    "due": _DATE,  # deadline of whoever holds the handover now (none once closed)
    "overdue": (bool,),  # overdue flag as of indexing time
}


@dataclass(frozen=True)
class IndexDocument:
    """One document to index. Only ``doc_id``, ``doc_type`` and ``meta`` are stored in clear."""

    doc_id: str
    """Unique id of the document (e.g. a handover version id)."""
    doc_type: DocType
    """``"handover"`` or ``"student"``."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Non-private metadata, keys from ``META_FIELDS`` only."""
    texts: dict[str, str] = field(default_factory=dict)
    """Field name -> text; indexed as keyed tokens only, never stored."""
    exact: list[str] = field(default_factory=list)
    """Values matched only whole (phone, ID numbers); keyed after normalisation."""

    def __post_init__(self) -> None:
        if not isinstance(self.doc_id, str) or not self.doc_id:
            raise ValueError("doc_id must be a non-empty string")
        if self.doc_type not in ("handover", "student"):
            raise ValueError(f"doc_type must be 'handover' or 'student', not {self.doc_type!r}")
        for key, value in self.meta.items():
            types = META_FIELDS.get(key)
            if types is None:
                raise ValueError(f"meta key {key!r} is not an allowed metadata field")
            if value is not None and not isinstance(value, types):
                raise ValueError(f"meta key {key!r} has the wrong type {type(value).__name__}")
            if types is _LIST and value is not None:
                if not all(isinstance(v, str) for v in value):
                    raise ValueError(f"meta key {key!r} must hold strings")
        for name, text in self.texts.items():
            if not isinstance(name, str) or not isinstance(text, str):
                raise ValueError("texts must map field names to strings")
        if not all(isinstance(v, str) for v in self.exact):
            raise ValueError("exact values must be strings")
