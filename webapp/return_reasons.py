"""Why a handover was sent back: the reason its receiver typed when returning it, shown to the
sender wherever the handover waits for their correction (its page, the correction form, the
home page's item), not only in the history at the bottom of its page (issue 14).

The reason may name a student (it is stored encrypted, policy C2): it is shown only with the
handover's content, to those who may read it (policy C1)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.handovers import HandoverEvent, Status
from records.listing import Row
from records.visibility import Access

__all__ = ["last_return_reason", "return_reasons"]


def last_return_reason(events: Iterable[HandoverEvent]) -> str | None:
    """The note of the last "returned" among `events` (in the order they happened)."""
    return next((e.note for e in reversed(list(events)) if e.action == "returned"), None)


def return_reasons(session: Session, rows: Iterable[Row]) -> dict[str, str]:
    """Handover number -> why it was returned, for the rows of a list that are returned and
    whose content the viewer may see. Lists load no events (records.listing): one query for
    the whole list, not one per row."""
    returned = {r.handover.id: r.handover.number for r in rows
                if r.handover.status == Status.RETURNED and r.access >= Access.CONTENT}
    if not returned:
        return {}
    events = session.scalars(select(HandoverEvent).where(
        HandoverEvent.handover_id.in_(returned), HandoverEvent.action == "returned")
        .order_by(HandoverEvent.id))
    by_handover: dict[int, list[HandoverEvent]] = {}
    for event in events:
        by_handover.setdefault(event.handover_id, []).append(event)
    return {returned[hid]: reason for hid, evs in by_handover.items()
            if (reason := last_return_reason(evs))}
