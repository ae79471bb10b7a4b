"""The background worker (`handover worker`, or `handover worker --once` from cron): makes the
daily digest, then sends what is due, each row claimed by one worker only, however many
workers run on however many servers (issue 15).

The digest is made once per school and day: its notifications commit with the day's
`scheduled_run` row (records.scheduled). A claim of a row to send is its own short
transaction. On PostgreSQL it takes the next due row no other worker has locked
(`UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED)`): workers never wait for each
other nor pick the same row. On SQLite, which has no row locks, it is compare-and-set:
`UPDATE ... SET status='sending' WHERE id=? AND status='pending'`; of two workers, one gets
the row and the other an update of no rows. Sending runs outside any transaction. A failed
attempt is retried with exponential backoff (`retry_base`, doubled each time); after
`max_attempts` the row is failed and shown to the administrator. A worker that died while
sending leaves a claim that is taken back after `stale_after` (the message may then go twice:
at least once, never lost)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from records.clock import utcnow
from records.notify.channels import DeliveryFailed, Outgoing
from records.notify.digest import Digest
from records.notify.messages import full_text
from records.notify.model import Channel, DeliveryState, Notification
from records.notify.outbox import choice_of
from records.scheduled import claim_run

__all__ = ["Worker", "WorkerPass"]

log = logging.getLogger("handover.notify")


@dataclass(frozen=True)
class WorkerPass:
    digests: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0


class Worker:
    def __init__(self, sessions: sessionmaker, *, channels: Mapping[str, object],
                 base_url: str, max_attempts: int = 6,
                 retry_base: timedelta = timedelta(minutes=1),
                 digest_hour: int = 8, soon: timedelta = timedelta(days=1),
                 stale_after: timedelta = timedelta(minutes=10), batch: int = 100,
                 clock: Callable[[], datetime] = utcnow):
        """`channels`: channel name ("email", "webhook") → an object with `send(Outgoing)`;
        a channel not given is not configured, and its rows fail (and are retried) until it
        is."""
        self.sessions, self.channels, self.base_url = sessions, dict(channels), base_url
        self.max_attempts, self.retry_base = max_attempts, retry_base
        self.digest_hour, self.soon = digest_hour, soon
        self.stale_after, self.batch, self.clock = stale_after, batch, clock

    def run_once(self) -> WorkerPass:
        digests = self._digest()
        self._take_back_stale()
        sent = retried = failed = 0
        for row_id in self._claims():
            outcome = self._deliver(row_id)
            sent += outcome == DeliveryState.SENT
            retried += outcome == DeliveryState.PENDING
            failed += outcome == DeliveryState.FAILED
        return WorkerPass(digests, sent, retried, failed)

    # -- steps ------------------------------------------------------------------------------

    def _digest(self) -> int:
        with self.sessions() as db:
            digest = Digest(db, hour=self.digest_hour, soon=self.soon, clock=self.clock)
            day = digest.day()
            # once per school and day: another server's claim (even one not committed yet)
            # leaves this one nothing to do
            if day is None or not claim_run(db, "digest", day.isoformat(), self.clock()):
                return 0
            try:
                told = digest.run()
                db.commit()
            except IntegrityError:  # a digest row of today made before the claim existed
                db.rollback()
                return 0
        return told

    def _take_back_stale(self) -> None:
        with self.sessions() as db:
            db.execute(update(Notification).where(
                Notification.status == DeliveryState.SENDING,
                Notification.claimed_at < self.clock() - self.stale_after)
                .values(status=DeliveryState.PENDING, claimed_at=None))
            db.commit()

    def _due(self):
        return (select(Notification.id).where(
            Notification.status == DeliveryState.PENDING,
            Notification.channel != Channel.INAPP,
            Notification.next_attempt_at <= self.clock())
            .order_by(Notification.next_attempt_at, Notification.id))

    def _claiming(self):
        return (update(Notification).values(
            status=DeliveryState.SENDING, claimed_at=self.clock(),
            attempts=Notification.attempts + 1).execution_options(synchronize_session=False))

    def _claims(self) -> Iterator[int]:
        """Rows claimed by this worker, one at a time, each just before it is sent."""
        with self.sessions() as db:
            if db.get_bind().dialect.name == "postgresql":
                candidates = None
            else:
                candidates = list(db.scalars(self._due().limit(self.batch)))
        if candidates is None:
            for _ in range(self.batch):
                row_id = self._claim_unlocked()
                if row_id is None:
                    return
                yield row_id
            return
        yield from (row_id for row_id in candidates if self._claim(row_id))

    def _claim_unlocked(self) -> int | None:
        """PostgreSQL: the next due row that no other worker holds, now this one's."""
        with self.sessions() as db:
            row_id = db.scalar(self._claiming().where(
                Notification.id == self._due().limit(1).with_for_update(skip_locked=True)
                .scalar_subquery()).returning(Notification.id))
            db.commit()
        return row_id

    def _claim(self, row_id: int) -> bool:
        """SQLite: compare-and-set, this worker's if it was still pending."""
        with self.sessions() as db:
            claimed = db.execute(self._claiming().where(
                Notification.id == row_id,
                Notification.status == DeliveryState.PENDING)).rowcount == 1
            db.commit()
        return claimed

    def _deliver(self, row_id: int) -> DeliveryState | None:
        with self.sessions() as db:
            row = db.get(Notification, row_id)
            outgoing = self._outgoing(db, row)
            db.commit()  # no transaction stays open while sending
            if outgoing is None:
                return self._finish(db, row_id, DeliveryState.DROPPED, "没有电子邮件地址")
            try:
                channel = self.channels.get(row.channel)
                if channel is None:
                    raise DeliveryFailed(f"未配置{Channel(row.channel).label_zh}")
                channel.send(outgoing)
            except DeliveryFailed as exc:
                return self._failed(db, row_id, row.attempts, str(exc))
            return self._finish(db, row_id, DeliveryState.SENT, None)

    def _outgoing(self, db: Session, row: Notification) -> Outgoing | None:
        address = ""
        if row.channel == Channel.EMAIL:
            choice = choice_of(db, row.recipient_id)
            if choice is None or not choice.email:
                return None
            address = choice.email
        return Outgoing(address, row.subject, full_text(row.body, row.link, self.base_url))

    def _failed(self, db: Session, row_id: int, attempts: int, error: str) -> DeliveryState:
        log.warning("notification %s: attempt %s failed: %s", row_id, attempts, error)
        if attempts >= self.max_attempts:
            return self._finish(db, row_id, DeliveryState.FAILED, error)
        later = self.clock() + self.retry_base * 2 ** (attempts - 1)
        return self._finish(db, row_id, DeliveryState.PENDING, error, next_attempt_at=later)

    def _finish(self, db: Session, row_id: int, state: DeliveryState, error: str | None,
                **values) -> DeliveryState:
        """Compare-and-set on this worker's claim."""
        if state == DeliveryState.SENT:
            values["sent_at"] = self.clock()
        db.execute(update(Notification).where(
            Notification.id == row_id, Notification.status == DeliveryState.SENDING)
            .values(status=state, last_error=error, claimed_at=None, **values)
            .execution_options(synchronize_session=False))
        db.commit()
        return state
