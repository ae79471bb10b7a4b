"""Errors of the search library. They carry their data as attributes.

Messages a school user may see are Simplified Chinese. They never contain document text or
query text, which may name a student (policy C2).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["SearchError", "QuerySyntaxError", "IndexCorrupt", "IndexBusy"]


class SearchError(Exception):
    """Base class of every error raised by ``search``."""


class QuerySyntaxError(SearchError):
    """A query that cannot be parsed.

    ``query`` is kept for the caller (to show the user their own input); it is not part of
    ``str(error)`` nor of ``args``, so that logging the error does not log a searched name.
    """

    def __init__(self, query: str, position: int, message_zh: str) -> None:
        super().__init__(message_zh)
        self.query = query
        """The query as typed (may contain private values: do not log)."""
        self.position = position
        """0-based character offset of the problem in ``query``."""
        self.message_zh = message_zh
        """What is wrong, in Simplified Chinese, for the user."""


class IndexCorrupt(SearchError):
    """The index folder is missing or damaged and no ``rebuild`` callback was given."""

    def __init__(self, path: Path, detail: str = "") -> None:
        super().__init__(f"搜索索引已损坏或缺失：{path}（需要重建索引）")
        self.path = path
        """The index folder."""
        self.detail = detail
        """Technical cause (exception type and message from the engine), for the operator."""


class IndexBusy(SearchError):
    """The index write lock could not be taken in time (another writer holds it)."""

    def __init__(self, path: Path, waited: float) -> None:
        super().__init__(f"搜索索引正在被其他进程更新，等待 {waited:.0f} 秒后仍未完成，请稍后重试")
        self.path = path
        """The index folder."""
        self.waited = waited
        """Seconds waited for the lock."""
