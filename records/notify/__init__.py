"""Notifications (通知): what is written when an event happens (events, digest, outbox), how
it is sent (channels: e-mail, WeCom/DingTalk robot) and by whom (the worker). Messages carry
kind, number, deadline and a link, never a student's private value (policy C1, C2).

Only the parts the use cases call are imported here (records.approvals and the oversight
notices import this package); import channels, digest and worker from their modules."""

from records.notify.events import approval_changed, handover_changed, notice_changed
from records.notify.model import Channel, DeliveryState, Notification, NotificationChoice
from records.notify.outbox import Inbox, choice_of, enqueue, save_choice

__all__ = [
    "Channel", "DeliveryState", "Inbox", "Notification", "NotificationChoice",
    "approval_changed", "choice_of", "enqueue", "handover_changed", "notice_changed",
    "save_choice",
]
