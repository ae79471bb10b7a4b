"""What a caller may see (``Visibility``) and what they chose to narrow to (``Filters``).

``records`` decides who may see what (policy C1, C3) and hands it in; the index applies it
inside the search, before counting, faceting and paginating.

A document is *fully visible* when any of the content criteria holds; its content terms then
match. It is *metadata-only visible* when it is not fully visible and any of the
``metadata_only_*`` criteria holds: then it can be found by its number only, and content terms
behave as if the document did not contain them. Anything else is invisible.

Example for a staff member of academic affairs, and for the supervision group::

    Visibility(sender_ids={"u7"}, receiver_ids={"u7"}, departments={"ACA"})
    Visibility(metadata_only_all=True)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Visibility", "Filters"]


def _frozen(values: Iterable[str]) -> frozenset[str]:
    if isinstance(values, str):
        raise TypeError("expected a collection of ids, not a single string")
    return frozenset(values)


@dataclass(frozen=True)
class Visibility:
    """The documents a caller may see, as a union of criteria (empty: sees nothing)."""

    all: bool = False
    """Sees every document fully (administrators with an approval, rebuild checks)."""
    doc_ids: frozenset[str] = field(default_factory=frozenset)
    """Documents seen fully by id (e.g. approved under policy C3)."""
    sender_ids: frozenset[str] = field(default_factory=frozenset)
    """Documents whose ``sender_id`` is one of these are seen fully."""
    receiver_ids: frozenset[str] = field(default_factory=frozenset)
    """Documents whose ``receiver_id`` is one of these are seen fully."""
    departments: frozenset[str] = field(default_factory=frozenset)
    """Documents owned by one of these departments are seen fully: the receiving department
    of a handover, and the ``departments`` listed in a document's metadata."""
    student_ids: frozenset[str] = field(default_factory=frozenset)
    """Documents about one of these students are seen fully."""
    metadata_only_all: bool = False
    """Every other document is seen as metadata only (the supervision group)."""
    metadata_only_departments: frozenset[str] = field(default_factory=frozenset)
    """Other documents sent or received by, or owned by, one of these departments are seen
    as metadata only."""
    metadata_only_owners: frozenset[str] = field(default_factory=frozenset)
    """Other documents owned by one of these departments (a handover: the receiving one) are
    seen as metadata only."""

    def __post_init__(self) -> None:
        for name in (
            "doc_ids",
            "sender_ids",
            "receiver_ids",
            "departments",
            "student_ids",
            "metadata_only_departments",
            "metadata_only_owners",
        ):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    @property
    def sees_content_of_something(self) -> bool:
        """Whether any content criterion is set."""
        return bool(
            self.all
            or self.doc_ids
            or self.sender_ids
            or self.receiver_ids
            or self.departments
            or self.student_ids
        )

    @property
    def sees_metadata_of_something(self) -> bool:
        """Whether any metadata-only criterion is set."""
        return bool(self.metadata_only_all or self.metadata_only_departments
                    or self.metadata_only_owners)

    def allows_content(self, stored: Mapping[str, Any]) -> bool:
        """Whether a document with these stored fields is fully visible.

        Mirrors the query built by the engine; used for per-hit decisions (``content_visible``
        and ``matched_terms``).
        """
        if self.all or stored.get("doc_id") in self.doc_ids:
            return True
        if stored.get("sender_id") in self.sender_ids:
            return True
        if stored.get("receiver_id") in self.receiver_ids:
            return True
        owners = set(stored.get("departments") or ())
        if stored.get("receiver_dept"):
            owners.add(stored["receiver_dept"])
        if self.departments & owners:
            return True
        return bool(self.student_ids & set(stored.get("student_ids") or ()))


@dataclass(frozen=True)
class Filters:
    """Narrowing chosen by the user; ``None`` or empty means no narrowing on that field."""

    kinds: frozenset[str] = field(default_factory=frozenset)
    """Handover kinds to keep (e.g. ``{"F2", "F7"}``)."""
    statuses: frozenset[str] = field(default_factory=frozenset)
    """Statuses to keep."""
    departments: frozenset[str] = field(default_factory=frozenset)
    """Keep documents sent, received or owned by one of these departments."""
    date_from: dt.datetime | dt.date | None = None
    """Keep documents dated on or after this."""
    date_to: dt.datetime | dt.date | None = None
    """Keep documents dated on or before this (a date includes the whole day)."""
    overdue: bool | None = None
    """Keep only overdue (True) or only not overdue (False) documents."""

    def __post_init__(self) -> None:
        for name in ("kinds", "statuses", "departments"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    @property
    def empty(self) -> bool:
        """Whether no narrowing is asked for."""
        return not (
            self.kinds
            or self.statuses
            or self.departments
            or self.date_from
            or self.date_to
            or self.overdue is not None
        )
