"""Writing notifications (in the transaction of the event that causes them) and reading one
person's in-app list. Sending is the worker's (records.notify.worker): a request never waits
for a mail server."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from records.clock import utcnow
from records.errors import FieldProblem, NotFound, ValidationFailed
from records.notify.messages import Message
from records.notify.model import Channel, DeliveryState, Notification, NotificationChoice
from records.staff import Staff

__all__ = ["EMAIL_PATTERN", "Inbox", "choice_of", "enqueue", "save_choice"]

EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
LIST_LIMIT = 200


def choice_of(session: Session, staff_id: int) -> NotificationChoice | None:
    return session.get(NotificationChoice, staff_id)


def _channels(choice: NotificationChoice | None) -> list[Channel]:
    """In-app always; e-mail only with an address; the group robot when chosen."""
    out = [Channel.INAPP]
    if choice is not None and choice.by_email and choice.email:
        out.append(Channel.EMAIL)
    if choice is not None and choice.by_webhook:
        out.append(Channel.WEBHOOK)
    return out


def enqueue(session: Session, recipients: Iterable[Staff], kind: str, ref_type: str, ref: str,
            message: Message, *, deadline: datetime | None = None, dedupe: str | None = None,
            clock: Callable[[], datetime] = utcnow) -> list[Notification]:
    """One row per recipient and chosen channel, added to `session` (so committed or rolled
    back with the event). `dedupe` makes a row unique per recipient and channel (a daily
    digest); the caller handles the IntegrityError of a second one."""
    now = clock()
    rows = []
    for person in {p.id: p for p in recipients if p.active}.values():
        for channel in _channels(choice_of(session, person.id)):
            inapp = channel is Channel.INAPP
            rows.append(Notification(
                recipient_id=person.id, kind=kind, ref_type=ref_type, ref=ref,
                channel=channel.value, subject=message.subject, body=message.body,
                link=message.link, deadline=deadline,
                status=DeliveryState.SENT if inapp else DeliveryState.PENDING, attempts=0,
                next_attempt_at=now, sent_at=now if inapp else None, created_at=now,
                dedupe_key=f"{dedupe}:{person.id}:{channel.value}" if dedupe else None))
    session.add_all(rows)
    session.flush()
    return rows


def save_choice(session: Session, staff: Staff, *, email: str, by_email: bool,
                by_webhook: bool, clock: Callable[[], datetime] = utcnow) -> NotificationChoice:
    """One's own channels. An address that is not one is refused; e-mail without an address
    is refused too (in-app notices need nothing)."""
    email = (email or "").strip()
    if email and (len(email) > 254 or not EMAIL_PATTERN.fullmatch(email)):
        raise ValidationFailed([FieldProblem("email", "电子邮件地址格式不正确。")])
    if by_email and not email:
        raise ValidationFailed([FieldProblem("email", "选择邮件通知时，请填写电子邮件地址。")])
    choice = choice_of(session, staff.id) or NotificationChoice(staff_id=staff.id)
    choice.email, choice.by_email, choice.by_webhook = email or None, by_email, by_webhook
    choice.updated_at = clock()
    session.add(choice)
    session.flush()
    return choice


class Inbox:
    """One person's in-app notices, and the administrator's list of failed deliveries."""

    def __init__(self, session: Session, *, clock: Callable[[], datetime] = utcnow):
        self.session, self.clock = session, clock

    def _mine(self, staff: Staff):
        return (Notification.recipient_id == staff.id, Notification.channel == Channel.INAPP)

    def unread_count(self, staff: Staff) -> int:
        return self.session.scalar(select(func.count()).select_from(Notification).where(
            *self._mine(staff), Notification.read_at.is_(None)))

    def notices(self, staff: Staff, *, unread_only: bool = False) -> list[Notification]:
        query = select(Notification).where(*self._mine(staff))
        if unread_only:
            query = query.where(Notification.read_at.is_(None))
        return list(self.session.scalars(
            query.order_by(Notification.id.desc()).limit(LIST_LIMIT)))

    def mark_read(self, staff: Staff, notification_id: int | None = None) -> int:
        """Mark one (or, without an id, all) of one's own notices read; compare-and-set on
        unread, so marking twice changes nothing. NotFound for someone else's."""
        where = [*self._mine(staff), Notification.read_at.is_(None)]
        if notification_id is not None:
            row = self.session.get(Notification, notification_id)
            if row is None or row.recipient_id != staff.id or row.channel != Channel.INAPP:
                raise NotFound("通知", str(notification_id))
            where.append(Notification.id == notification_id)
        return self.session.execute(
            update(Notification).where(*where).values(read_at=self.clock())
            .execution_options(synchronize_session=False)).rowcount

    def failed(self) -> list[Notification]:
        """Deliveries that failed after the last attempt, newest first (for administrators;
        the page checks who asks)."""
        return list(self.session.scalars(select(Notification).where(
            Notification.status == DeliveryState.FAILED)
            .order_by(Notification.id.desc()).limit(LIST_LIMIT)))

    def retry(self, notification_id: int) -> None:
        """Send a failed delivery again from the first attempt (compare-and-set on FAILED)."""
        changed = self.session.execute(
            update(Notification).where(Notification.id == notification_id,
                                       Notification.status == DeliveryState.FAILED)
            .values(status=DeliveryState.PENDING, attempts=0, next_attempt_at=self.clock(),
                    last_error=None).execution_options(synchronize_session=False)).rowcount
        if not changed:
            raise NotFound("发送失败的通知", str(notification_id))
