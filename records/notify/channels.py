"""Where a notification goes besides the in-app list: e-mail over SMTP, and a WeCom (企业微信)
or DingTalk (钉钉) group robot's webhook (a JSON POST). Configured through constructors only
(webapp wires them from its settings); a failure raises DeliveryFailed with a short reason
that names no private value (the worker stores it for the administrator)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

__all__ = ["DeliveryFailed", "EmailChannel", "Outgoing", "SECURITY_MODES", "WEBHOOK_KINDS",
           "WebhookChannel", "webhook_url_problem"]

SECURITY_MODES = ("starttls", "tls", "none")
WEBHOOK_KINDS = ("wecom", "dingtalk")


class DeliveryFailed(Exception):
    """One attempt failed; the message says why, for the administrator."""


@dataclass(frozen=True)
class Outgoing:
    to_address: str
    """The e-mail address (empty for a webhook)."""
    subject: str
    text: str


@dataclass(frozen=True)
class EmailChannel:
    host: str
    port: int
    security: str
    """starttls (submission, usually port 587), tls (implicit TLS, 465) or none (a relay on
    the same machine)."""
    sender: str
    """The From address."""
    user: str = ""
    password: str = ""
    sender_name: str = "学生交接档案系统"
    timeout: float = 20
    ssl_context: ssl.SSLContext | None = None
    """Defaults to the system's trusted CAs."""

    def send(self, message: Outgoing) -> None:
        mail = EmailMessage()
        mail["From"] = formataddr((self.sender_name, self.sender))
        mail["To"] = message.to_address
        mail["Subject"] = message.subject
        mail["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        mail.set_content(message.text)
        context = self.ssl_context or ssl.create_default_context()
        try:
            if self.security == "tls":
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                        context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.security == "starttls":
                    smtp.starttls(context=context)
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"SMTP {self.host}:{self.port}: {_short(exc)}") from None


def webhook_url_problem(url: str) -> str | None:
    """Why `url` may not be a robot's webhook, or None: https only, except a loopback
    address (a local receiver in tests); a robot's key is in the URL, and plain http would
    show it, and every message, on the way."""
    parts = urllib.parse.urlsplit(url)
    if not parts.hostname:
        return "不是有效的网址"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and _is_loopback(parts.hostname):
        return None
    return "必须使用 https（仅本机回环地址可用 http）"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class WebhookChannel:
    url: str
    kind: str = "wecom"
    """wecom or dingtalk: both take {"msgtype": "text", "text": {"content": ...}} and answer
    {"errcode": 0, ...}; DingTalk may require a signature (`secret`)."""
    secret: str = ""
    """DingTalk's 加签 secret; the URL then carries a timestamp and its HMAC-SHA256."""
    timeout: float = 10

    def __post_init__(self):
        problem = webhook_url_problem(self.url)
        if problem:
            raise ValueError(f"群机器人地址{problem}")
        if self.kind not in WEBHOOK_KINDS:
            raise ValueError(f"群机器人类型应为 {'、'.join(WEBHOOK_KINDS)}")

    def signed_url(self, now_ms: int | None = None) -> str:
        if self.kind != "dingtalk" or not self.secret:
            return self.url
        stamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
        digest = hmac.new(self.secret.encode(), f"{stamp}\n{self.secret}".encode(),
                          hashlib.sha256).digest()
        query = urllib.parse.urlencode({"timestamp": stamp,
                                        "sign": base64.b64encode(digest).decode()})
        return f"{self.url}{'&' if '?' in self.url else '?'}{query}"

    def send(self, message: Outgoing) -> None:
        payload = {"msgtype": "text",
                   "text": {"content": f"{message.subject}\n{message.text}"}}
        # https, or http to loopback only: checked in __post_init__
        request = urllib.request.Request(  # noqa: S310
            self.signed_url(), data=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json; charset=utf-8"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise DeliveryFailed(f"群机器人 HTTP {exc.code}") from None
        except (OSError, ValueError) as exc:
            raise DeliveryFailed(f"群机器人：{_short(exc)}") from None
        if answer.get("errcode", 0) != 0:
            raise DeliveryFailed(f"群机器人 errcode {answer.get('errcode')}: "
                                 f"{str(answer.get('errmsg', ''))[:200]}")


def _short(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]
