"""Signature verification, open to anyone (policy M2): upload a signed form and read, per
signature, who signed, when, and whether the file is intact and trusted. Also the arrival page
of the QR code printed on every form, which tells anyone whether a printed form's number and
content hash are those of a version the school holds, with its kind, status, departments and
signing times (never a name or a field value, policy C1), and the school root certificate and
CRL for PDF readers and for validators that follow the addresses in the certificates. Nothing
uploaded here is stored."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from records.catalogue import KINDS
from records.departments import Department
from records.handovers import Handover, Status
from records.visibility import Access, access_to
from signing import VerificationError
from webapp import services
from webapp.db import get_db

__all__ = ["bp"]

bp = Blueprint("verify", __name__)
log = logging.getLogger("handover.web")

NUMBER_RE = re.compile(r"^JJ-\d{4}-\d{6}$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
NOT_A_PDF = "上传的文件不是 PDF，请选择系统生成的交接单 PDF 文件。"
UNREADABLE = "无法读取该 PDF 文件：文件可能已损坏或被截断。"
SCHOOL_TZ = ZoneInfo("Asia/Shanghai")
# pyHanko's modification levels, as a school user reads them.
MODIFICATION_LEVELS = {
    "NONE": "签名后没有修改",
    "LTA_UPDATES": "签名后只添加了验证材料",
    "FORM_FILLING": "签名后只有填表和签名",
    "ANNOTATIONS": "签名后添加了批注",
    "OTHER": "签名后内容被修改",
}


def _fmt_time(moment: datetime | None) -> str:
    return moment.astimezone(SCHOOL_TZ).strftime("%Y-%m-%d %H:%M:%S（北京时间）") if moment \
        else "—"


def _page(status: int = 200, **context):
    context = {"report": None, "error": None, "digest": None, "number": None, "sha256": None,
               "handover_link": None, "bad_number": False, "record": None, "unknown": False,
               **context}
    return render_template("verify/index.html", fmt_time=_fmt_time,
                           yes_no=lambda flag: "是" if flag else "否",
                           modification_levels=MODIFICATION_LEVELS, **context), status


def _check(data: bytes):
    """(report, error message, HTTP status) for an uploaded file; nothing is kept."""
    if not data:
        return None, "请选择要验证的 PDF 文件。", 400
    if b"%PDF-" not in data[:1024]:  # the header may follow a little junk (PDF 1.7, 7.5.2)
        return None, NOT_A_PDF, 400
    try:
        return services().form_desk.verify(data), None, 200
    except VerificationError:
        return None, UNREADABLE, 400
    except Exception as exc:  # a hostile or broken upload must not become a 500
        log.warning("verification failed on an uploaded file: %s", type(exc).__name__)
        return None, UNREADABLE, 400


@bp.route("/verify/", methods=["GET", "POST"])
def index():
    report = error = digest = None
    status = 200
    if request.method == "POST":
        upload = request.files.get("pdf")
        data = upload.read() if upload else b""
        report, error, status = _check(data)
        digest = hashlib.sha256(data).hexdigest() if report else None
    return _page(status, report=report, error=error, digest=digest)


def _handover_link(number: str) -> str | None:
    """A link to the handover for a signed-in person who may see it; None for everyone else,
    who learns nothing, not even whether the number exists."""
    if not current_user.is_authenticated:
        return None
    handover = get_db().scalar(select(Handover).where(Handover.number == number))
    if handover is None or access_to(current_user.staff, handover) == Access.NONE:
        return None
    return url_for("handovers.view", number=number)


@dataclass(frozen=True)
class PublicRecord:
    """What the QR code's address shows anyone, without sign-in: no name, no field value
    (policy C1); enough for a parent or a paper holder to check a printed form."""

    kind: str
    kind_name: str
    number: str
    version: int
    status: str
    """The status of that version: 已完成 / 已被新版本取代 / 已撤回 / 待接收 / 已退回."""
    sender_dept: str
    receiver_dept: str
    signed_at: datetime | None
    countersigned_at: datetime | None
    matches: bool | None
    """True: the hash in the address is that of this version; False: of none; None: no hash."""


def _public_record(number: str, sha256: str | None) -> PublicRecord | None:
    handover = get_db().scalar(select(Handover).where(Handover.number == number))
    if handover is None:
        return None
    version = next((v for v in handover.versions if sha256 and v.content_sha256 == sha256),
                   None)
    matches = None if not sha256 else version is not None
    version = version or handover.current
    status = Status(version.status)
    if handover.status == Status.WITHDRAWN:
        status = Status.WITHDRAWN
    return PublicRecord(
        handover.kind, KINDS[handover.kind].name_zh, number, version.version, status.label_zh,
        Department(handover.sender_dept).label_zh, Department(handover.receiver_dept).label_zh,
        version.signed_at, version.countersigned_at, matches)


class _Window:
    """At most `limit` lookups per client address in `seconds` (per process): the QR page is
    public, and must not become a way to walk the numbers."""

    def __init__(self, limit: int, seconds: float):
        self.limit, self.seconds, self.seen = limit, seconds, {}
        self.lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self.lock:
            recent = [t for t in self.seen.get(key, ()) if now - t < self.seconds]
            allowed = len(recent) < self.limit
            self.seen[key] = [*recent, now] if allowed else recent
            if len(self.seen) > 10_000:  # forget idle addresses
                self.seen = {k: v for k, v in self.seen.items() if v and now - v[-1] < 60}
            return allowed


LOOKUPS = _Window(limit=30, seconds=60)


@bp.route("/verify/<number>")
def arrival(number: str):
    sha256 = request.args.get("sha256", "").strip().lower() or None
    if not NUMBER_RE.match(number) or (sha256 is not None and not SHA256_RE.match(sha256)):
        return _page(404, bad_number=True)
    if not LOOKUPS.allow(request.remote_addr or ""):
        return _page(429, error="查询过于频繁，请一分钟后再试。")
    record = _public_record(number, sha256)
    outcome = ("unknown" if record is None else "no_hash" if record.matches is None
               else "match" if record.matches else "mismatch")
    # every public lookup is counted, without the viewer's identity or address
    services().ledger.append(actor="public", action="verify.lookup",
                             subject=f"handover:{number}", outcome=outcome,
                             context={"version": record.version} if record else None,
                             anonymous=True)
    return _page(200 if record else 404, number=number, sha256=sha256, record=record,
                 unknown=record is None, handover_link=_handover_link(number))


@bp.route("/pki/ca.pem")
def ca_pem():
    return Response(services().pki.ca_cert_pem(), mimetype="application/x-pem-file",
                    headers={"Content-Disposition": "attachment; filename=school-root-ca.pem"})


@bp.route("/pki/crl")
def crl():
    return Response(services().pki.crl(), mimetype="application/pkix-crl",
                    headers={"Content-Disposition": "attachment; filename=school.crl"})


# Where certificates point validators (their CRL distribution point and caIssuers, built from
# BASE_URL in services.pki_urls): DER, as RFC 5280 4.2.1.13 and 4.2.2.1 want for HTTP.
@bp.route("/pki/crl.der")
def crl_der():
    return Response(services().pki.crl(), mimetype="application/pkix-crl",
                    headers={"Cache-Control": "public, max-age=3600"})


@bp.route("/pki/ca.der")
def ca_der():
    return Response(services().pki.ca_cert_der(), mimetype="application/pkix-cert",
                    headers={"Cache-Control": "public, max-age=86400"})
