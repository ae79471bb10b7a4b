"""search: a Chinese full-text index (Whoosh + jieba) that stores private text only as keyed
tokens (policy C1, C2). It takes plain documents and returns ids; the caller says what may be
seen (``Visibility``) and the index applies it inside the search.

``SearchIndex`` is imported on first use: it brings the engine (Whoosh, jieba), which code that
only builds documents, filters or visibility (or a command that never searches) does not need.
"""

from typing import TYPE_CHECKING

from .documents import META_FIELDS, IndexDocument
from .errors import IndexBusy, IndexCorrupt, QuerySyntaxError, SearchError
from .results import Hit, SearchResults
from .visibility import Filters, Visibility

if TYPE_CHECKING:
    from .index import SearchIndex

__all__ = [
    "SearchIndex",
    "IndexDocument",
    "META_FIELDS",
    "Visibility",
    "Filters",
    "SearchResults",
    "Hit",
    "SearchError",
    "QuerySyntaxError",
    "IndexCorrupt",
    "IndexBusy",
]


def __getattr__(name: str):
    if name == "SearchIndex":
        from .index import SearchIndex

        globals()["SearchIndex"] = SearchIndex
        return SearchIndex
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
