"""The per-address sign-in limit, beside the per-name throttle of records.accounts: one
address that guesses many different names (each only once, so no name's own throttle ever
fires) is refused for the rest of a time window once it has failed `max_failures` times in it.

A window opens at an address's first failure and lasts `window_minutes`; every failed sign-in
from the address in it counts, and reaching the limit refuses every sign-in from the address,
right or wrong, until the window ends (a refused attempt is not counted, so the window does
not grow). Counting is one UPDATE per failure, so failures arriving at the same moment are
each counted on both databases. The address is as the web layer saw it through the trusted
proxy setting; a school behind one NAT address shares its window, so the limit is set well
above what honest typing mistakes reach (docs/configuration.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, case, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from records.db import Base, UTCDateTime, insert_if_absent

__all__ = ["AddressLimit", "AddressThrottle"]


class AddressThrottle(Base):
    """Failed sign-ins per client address in the current window."""

    __tablename__ = "address_throttle"

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    """The client address (IPv4, or IPv6 up to 45 characters)."""
    failures: Mapped[int] = mapped_column(Integer, default=0)
    """Failures since the window opened."""
    window_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When the count is forgotten; None before the first failure."""


@dataclass(frozen=True)
class AddressLimit:
    max_failures: int = 30
    """Failures from one address within a window before it is refused; 0 turns it off."""
    window_minutes: int = 15
    """Length of a window."""

    def refused_until(self, session: Session, address: str, now: datetime) -> datetime | None:
        """The end of the window while `address` is over the limit, else None."""
        if not self.max_failures:
            return None
        row = session.execute(
            select(AddressThrottle.failures, AddressThrottle.window_ends_at)
            .where(AddressThrottle.address == address[:64])).first()
        if row is None or row.window_ends_at is None or row.window_ends_at <= now:
            return None
        return row.window_ends_at if row.failures >= self.max_failures else None

    def count_failure(self, session: Session, address: str, now: datetime) -> None:
        """Count one failure atomically, opening a new window when the last one has ended."""
        if not self.max_failures:
            return
        address = address[:64]
        insert_if_absent(session, AddressThrottle, "address", address=address, failures=0)
        in_window = AddressThrottle.window_ends_at > now  # NULL (no window yet) is not
        session.execute(
            update(AddressThrottle).where(AddressThrottle.address == address).values(
                failures=case((in_window, AddressThrottle.failures + 1), else_=1),
                window_ends_at=case((in_window, AddressThrottle.window_ends_at),
                                    else_=now + timedelta(minutes=self.window_minutes))))
