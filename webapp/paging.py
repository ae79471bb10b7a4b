"""The page number a list is asked for, read the same way on every page that pages."""

from __future__ import annotations

from flask import request

__all__ = ["page_number"]


def page_number(name: str = "page") -> int:
    """The page asked for in the query parameter `name`: anything but a number is the first
    page, a number past the end the last one (records.listing clamps it), so that no link
    or typo makes an error."""
    raw = request.args.get(name, "").strip()
    if not (raw.isascii() and raw.isdigit()):
        return 1
    return int(raw) if len(raw) <= 9 else 10 ** 9
