"""Local canary scanner (tests/canary.py was not committed when these tests were written).

Fails if any value occurs in any file below a folder, as UTF-8, UTF-16 (LE/BE, any alignment)
or GB18030. The failure message names the file and the value's index, never the value.
"""

from __future__ import annotations

from pathlib import Path

ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be", "gb18030")


def occurrences(root: Path, values: list[str]) -> list[tuple[str, int, str]]:
    """(file, value index, encoding) for every occurrence below ``root``."""
    found = []
    for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
        data = path.read_bytes()
        for i, value in enumerate(values):
            for enc in ENCODINGS:
                if value.encode(enc) in data:
                    found.append((str(path), i, enc))
    return found


def assert_absent(root: Path, values: list[str]) -> None:
    """Fail if any value is found in clear below ``root``."""
    found = occurrences(root, values)
    assert not found, "private values in clear: " + "; ".join(
        f"{p} (value #{i}, {enc})" for p, i, enc in found
    )
