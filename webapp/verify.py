"""Signature verification, open to anyone (policy M2): upload a signed form and read, per
signature, who signed, when, and whether the file is intact and trusted. Also the arrival page
of the QR code printed on every form, and the school root certificate and CRL for PDF readers.
Nothing uploaded here is stored, and nothing about a handover is shown to a visitor who may not
see it (policy C1)."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from records.handovers import Handover
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
               "handover_link": None, "bad_number": False, **context}
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


@bp.route("/verify/<number>")
def arrival(number: str):
    if not NUMBER_RE.match(number):
        return _page(bad_number=True)
    sha256 = request.args.get("sha256", "").lower()
    return _page(number=number, sha256=sha256 if SHA256_RE.match(sha256) else None,
                 handover_link=_handover_link(number))


@bp.route("/pki/ca.pem")
def ca_pem():
    return Response(services().pki.ca_cert_pem(), mimetype="application/x-pem-file",
                    headers={"Content-Disposition": "attachment; filename=school-root-ca.pem"})


@bp.route("/pki/crl")
def crl():
    return Response(services().pki.crl(), mimetype="application/pkix-crl",
                    headers={"Content-Disposition": "attachment; filename=school.crl"})
