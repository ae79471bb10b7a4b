"""Pages of the oversight records, under the supervision area (/supervision/...): rectification
notices (整改通知, policy S1), the register of commendations and sanctions (奖惩登记, policy
S3) and parent complaints (家长投诉登记). One blueprint; one module per record."""

from __future__ import annotations

from flask import Blueprint

__all__ = ["bp"]

bp = Blueprint("oversight", __name__, url_prefix="/supervision")

from webapp.oversight import complaints, notices, register  # noqa: E402, F401  (routes)
