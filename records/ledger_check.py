"""Does the ledger agree with the database? (DESIGN "One request, one transaction"). A state
change's ledger entry is written once the change is committed, so each "handover.submit ok"
has a "submitted" event in the database, and so on. `handover audit verify` reports every
handover where the two disagree: an entry that claims an effect the database does not have
(written before this rule, or forged), or a committed change the ledger does not record (the
process died between the commit and the entry)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records.handovers import Handover, HandoverEvent

__all__ = ["LedgerMismatch", "ledger_mismatches"]

# ledger action -> the event the database keeps for it
EVENT_OF = {"handover.submit": "submitted", "handover.countersign": "countersigned",
            "handover.return": "returned", "handover.withdraw": "withdrawn"}


@dataclass(frozen=True)
class LedgerMismatch:
    number: str
    """The handover."""
    action: str
    """The ledger action, e.g. handover.countersign."""
    in_ledger: int
    """Successful entries of that action in the ledger."""
    in_database: int
    """Events of that kind in the database."""

    def describe_zh(self) -> str:
        what = ("访问日志记录了数据库中不存在的操作" if self.in_ledger > self.in_database
                else "数据库中的操作没有访问日志记录")
        return (f"{self.number} {self.action}：日志 {self.in_ledger} 条，数据库 "
                f"{self.in_database} 条（{what}）")


def ledger_mismatches(session: Session, entries) -> list[LedgerMismatch]:
    """Compare the ledger `entries` (an iterable of vault ledger entries) with the handover
    events in the database: one streaming pass and one grouped query."""
    logged: Counter[tuple[str, str]] = Counter()
    for e in entries:
        if e.action in EVENT_OF and e.outcome == "ok" and (e.subject or "").startswith(
                "handover:"):
            logged[(e.subject.split(":", 1)[1], e.action)] += 1
    by_event = {event: action for action, event in EVENT_OF.items()}
    stored: Counter[tuple[str, str]] = Counter({
        (number, by_event[action]): count for number, action, count in session.execute(
            select(Handover.number, HandoverEvent.action, func.count())
            .join(HandoverEvent, HandoverEvent.handover_id == Handover.id)
            .where(HandoverEvent.action.in_(list(by_event)))
            .group_by(Handover.number, HandoverEvent.action))})
    return [LedgerMismatch(number, action, logged[(number, action)], stored[(number, action)])
            for number, action in sorted(set(logged) | set(stored))
            if logged[(number, action)] != stored[(number, action)]]
