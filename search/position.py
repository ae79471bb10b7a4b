"""Where a replica of the index stands in the database's outbox of changes (issue 15): the
highest outbox id applied, and the ids below it not seen yet (gaps), each with when it was
first missed. Stored beside the index folder, replaced atomically *after* the index commit:
a crash in between applies some entries again, which leaves the index as once (documents are
replaced by id), and never skips one.

Why gaps: ids come from a sequence, and concurrent transactions commit out of order, so id 7
may become visible after id 8 was applied. A missing id is kept and asked for again until it
appears or `grace` passes (then it was a rolled-back transaction's)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .files import write_atomically

__all__ = ["Position", "position_path", "read_position", "write_position"]

#: Most gaps kept; beyond that the oldest are given up (a burst of rolled-back transactions).
MAX_GAPS = 1000
#: A replica with nothing new still writes its position this often (seconds), so that
#: `checked_at` tells how long it has not read the outbox.
REFRESH = 3600.0


@dataclass(frozen=True)
class Position:
    applied: int
    """Every outbox id up to this one is applied, except those in `gaps`."""
    gaps: dict[int, float] = field(default_factory=dict)
    """Outbox id -> when (epoch seconds) it was first found missing."""
    checked_at: float = 0.0
    """When (epoch seconds) the replica last read the outbox: every row committed before
    then, bar `gaps`, is applied (how long it was off, against the outbox's retention)."""

    def advanced(self, seen: list[int], now: float, grace: float) -> Position:
        """The position after applying `seen` (ascending ids, all those above `applied`
        that exist up to the last of them, and any gaps that appeared)."""
        top = max([self.applied, *seen])
        present = set(seen)
        gaps = {i: t for i, t in self.gaps.items() if i not in present}
        lowest = max(self.applied + 1, top - MAX_GAPS)
        gaps.update((i, now) for i in range(lowest, top) if i not in present)
        gaps = {i: t for i, t in gaps.items() if now - t < grace}
        if len(gaps) > MAX_GAPS:
            gaps = dict(sorted(gaps.items())[-MAX_GAPS:])
        return Position(top, gaps, now)

    def worth_writing(self, before: Position) -> bool:
        """Whether this position, after `before`, must be written down: it moved, or the
        stored one says it has not read the outbox for over REFRESH."""
        return (self.applied, self.gaps) != (before.applied, before.gaps) \
            or self.checked_at - before.checked_at >= REFRESH


def position_path(index_folder: Path) -> Path:
    """The position file of the index in `index_folder`: beside it, not inside (a rebuild
    replaces what is inside)."""
    index_folder = Path(index_folder)
    return index_folder.with_name(index_folder.name + ".position")


def read_position(path: Path) -> Position | None:
    """The stored position; None when there is none or it cannot be read (the replica is
    then rebuilt)."""
    try:
        data = json.loads(Path(path).read_text("utf-8"))
        return Position(int(data["applied"]),
                        {int(k): float(v) for k, v in data.get("gaps", {}).items()},
                        float(data.get("checked_at", 0.0)))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_position(path: Path, position: Position) -> None:
    write_atomically(Path(path), json.dumps(
        {"applied": position.applied, "gaps": {str(k): v for k, v in position.gaps.items()},
         "checked_at": position.checked_at}))
