"""Small files beside the index that must never be seen half-written (``CURRENT``, a replica's
position): written to a temporary name, synced, then renamed over the old one."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` by ``text``: after a crash the file holds the old text or the new."""
    tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
