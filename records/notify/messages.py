"""What a notification says: its kind, the number it concerns, the deadline and a link, and
never a private value (policy C1, C2): no student name, no ID number, no reason or finding
text (those may name a student; they stay encrypted and are read after signing in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from records.deadlines import SCHOOL_TZ

__all__ = ["BASE", "KINDS", "LINKS", "Message", "compose", "deadline_zh", "expand", "full_text",
           "link_for"]


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    link: str
    """Relative to BASE_URL."""


# kind -> (tag in the subject, opening sentence)
KINDS: dict[str, tuple[str, str]] = {
    "handover.receive": ("待签收", "有一份交接单等待您（或您的部门）签收。"),
    "handover.returned": ("已退回", "您移交的交接单已被退回，退回原因请登录系统查看。"),
    "approval.requested": ("待审批", "有一份查看学生信息的申请等待审批。"),
    "approval.granted": ("已批准", "您的查看学生信息申请已批准。"),
    "approval.refused": ("未批准", "您的查看学生信息申请未获批准，理由请登录系统查看。"),
    "approval.revoked": ("已撤销", "您的查看学生信息审批已被撤销。"),
    "notice.issued": ("整改通知", "您（或您的部门）收到一份整改通知，请在答复期限前答复。"),
    "notice.reopened": ("重新整改", "一份整改通知要求重新整改，请在答复期限前答复。"),
    "digest": ("每日提醒", "以下事项已逾期或即将到期："),
}

# ref_type -> page, relative to BASE_URL (a test checks each against the app's routes)
LINKS = {
    "handover": "/handovers/{ref}",
    "approval": "/approvals/{ref}",
    "loan": "/archive/loans/{ref}",
    "notice": "/supervision/notices/{ref}",
    "obligation": "/",  # the home page lists what one owes
    "": "/notifications/",
}

BASE = "{base}"
"""Stands for BASE_URL in a stored body (see `expand`)."""

NOUNS = {"handover": "交接单", "approval": "审批", "loan": "借阅", "notice": "整改通知",
         "obligation": "应交事项", "": ""}


def link_for(ref_type: str, ref: str) -> str:
    return LINKS[ref_type].format(ref=ref)


def deadline_zh(deadline: datetime | None) -> str:
    return "" if deadline is None else deadline.astimezone(SCHOOL_TZ).strftime("%Y-%m-%d %H:%M")


def compose(kind: str, ref_type: str, ref: str, deadline: datetime | None,
            what: str = "") -> Message:
    """One event's message; `what` names the kind of handover or loan (e.g. its form
    title), never its content."""
    tag, opening = KINDS[kind]
    noun = NOUNS[ref_type]
    lines = [opening, f"事项：{noun}{('（' + what + '）') if what else ''}",
             f"编号：{ref}"]
    if deadline is not None:
        lines.append(f"期限：{deadline_zh(deadline)}")
    return Message(subject=f"【{tag}】{noun} {ref}", body="\n".join(lines),
                   link=link_for(ref_type, ref))


def expand(body: str, base_url: str) -> str:
    """A body with its links made absolute (a digest links each of its items)."""
    return body.replace(BASE, base_url.rstrip("/"))


def full_text(body: str, link: str, base_url: str) -> str:
    """The text sent by e-mail or webhook: the body, the absolute link, and a reminder that
    details are in the system."""
    return (f"{expand(body, base_url)}\n查看：{base_url.rstrip('/')}{link}\n"
            "（通知不含学生信息，请登录系统查看详情。）")
