"""search: a Chinese full-text index (Whoosh + jieba) that stores private text only as keyed
tokens (policy C1, C2). It takes plain documents and returns ids; the caller says what may be
seen (``Visibility``) and the index applies it inside the search."""

from .documents import META_FIELDS, IndexDocument
from .errors import IndexBusy, IndexCorrupt, QuerySyntaxError, SearchError
from .index import SearchIndex
from .results import Hit, SearchResults
from .visibility import Filters, Visibility

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
