"""What a search returns: ids, non-private metadata, scores and counts, all visibility-filtered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Hit", "SearchResults"]


@dataclass(frozen=True)
class Hit:
    """One document found."""

    doc_id: str
    """Id of the document."""
    doc_type: str
    """``"handover"`` or ``"student"``."""
    meta: dict[str, Any]
    """Its stored non-private metadata (keys of ``META_FIELDS``)."""
    score: float
    """Relevance score (0 when sorted by date)."""
    matched_terms: tuple[str, ...]
    """Query words and phrases whose tokens all occur in the document (only the number for a
    metadata-only hit)."""
    content_visible: bool = True
    """False for a metadata-only hit: the caller must not make a snippet for it."""


@dataclass(frozen=True)
class SearchResults:
    """One page of results, with the exact total and facets over every visible match."""

    total: int
    """Number of visible documents that match."""
    hits: list[Hit]
    """The hits of this page."""
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    """``kind``, ``status`` and ``department`` -> value -> count of visible matches."""
    page: int = 1
    """This page's number, from 1."""
    pages: int = 0
    """Number of pages."""
    ranked_by_date: bool = False
    """True when relevance order was asked for but too many documents matched to rank them
    all: the hits are then the newest first, each with score 0. The page should say so."""
