"""Canary scanning: private values must not appear in clear in any file (policy C2).

`assert_absent(root, values)` reads every file below `root` (hidden files, SQLite journals
and temporary files included) and fails if any value occurs in UTF-8, UTF-16 (LE or BE,
unaligned too) or GB18030, the encodings a Chinese value could plausibly be written in.
The failure message names the file and the value's position in the list, never the value.
"""

from __future__ import annotations

from pathlib import Path

ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be", "gb18030")


def _needles(value: str) -> list[tuple[str, bytes]]:
    needles = []
    for encoding in ENCODINGS:
        try:
            needles.append((encoding, value.encode(encoding)))
        except UnicodeEncodeError:
            continue
    return needles


def find_occurrences(root: Path, values: list[str]) -> list[tuple[Path, int, str]]:
    """(file, index of the value, encoding) for every occurrence below `root`."""
    if any(len(v) < 2 for v in values):
        raise ValueError("canary values must have at least two characters")
    hits = []
    files = [p for p in sorted(Path(root).rglob("*")) if p.is_file() and not p.is_symlink()]
    for path in files:
        data = path.read_bytes()
        for index, value in enumerate(values):
            for encoding, needle in _needles(value):
                if needle in data:
                    hits.append((path, index, encoding))
    return hits


def assert_absent(root: Path, values: list[str]) -> None:
    """Fail if any of `values` occurs in any file below `root` in a likely encoding."""
    hits = find_occurrences(root, values)
    assert not hits, "private values found in clear: " + "; ".join(
        f"{path} (value #{index}, {encoding})" for path, index, encoding in hits
    )
