"""Characters that have no use in a name or a note (issue 12): control characters (NUL, BEL,
escape sequences that rewrite a terminal) and the invisible bidirectional controls that make
"cba.exe" display as "exe.abc" (U+202A-U+202E, U+2066-U+2069, and the marks U+200E, U+200F,
U+061C). Refused where people type; escaped where the system prints to a terminal; and a
value that a spreadsheet would run as a formula is neutralised in every export."""

from __future__ import annotations

import unicodedata

__all__ = ["bad_characters", "escape_for_terminal", "neutralise_formula"]

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                          "\u200e\u200f\u061c")
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def _control(ch: str, *, multiline: bool) -> bool:
    if multiline and ch in "\n\t":
        return False
    return ch in BIDI_CONTROLS or unicodedata.category(ch) == "Cc"


def bad_characters(value: str, *, multiline: bool = False) -> str | None:
    """A message (Chinese, without the value) when `value` holds a control or bidirectional
    character; None when it is clean. Line breaks and tabs pass in multi-line text."""
    found = next((ch for ch in value if _control(ch, multiline=multiline)), None)
    if found is None:
        return None
    return f"含有不可见的控制字符（U+{ord(found):04X}），请删除后重新输入。"


def escape_for_terminal(value: str) -> str:
    """`value` with every control or bidirectional character shown as \\uXXXX, so that a
    stored name cannot ring the bell, move the cursor or reverse a line of CLI output."""
    return "".join(f"\\u{ord(ch):04x}" if _control(ch, multiline=False) else ch
                   for ch in value)


def neutralise_formula(value):
    """A text that Excel or WPS would run as a formula (=, +, -, @ first) gets a leading
    apostrophe, shown as text; other values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value
