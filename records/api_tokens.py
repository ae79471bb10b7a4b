"""Personal access tokens for the HTTP API (issue 16): a staff member's token lets another
system of the school act as them, within the token's scopes and never beyond what they may see
themselves (records.visibility). Only the SHA-256 of a token is stored
(records.web_sessions.token_digest); the token itself is shown once, when it is made. Every
token expires (at most MAX_DAYS after it is made) and may be revoked by its owner."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from records.clock import utcnow
from records.db import Base, UTCDateTime
from records.errors import FieldProblem, NotFound, ValidationFailed
from records.staff import Staff
from records.text_rules import bad_characters
from records.web_sessions import token_digest
from vault import Ledger

__all__ = ["MAX_DAYS", "PREFIX", "ApiToken", "ApiTokens", "Scope"]

MAX_DAYS = 365
PREFIX = "hat_"  # recognisable in a leaked log or a secret scanner


class Scope(StrEnum):
    READ = "read"
    STUDENTS_WRITE = "students:write"
    HANDOVERS_WRITE = "handovers:write"

    @property
    def label_zh(self) -> str:
        return {"read": "只读", "students:write": "登记和修改学生",
                "handovers:write": "创建交接草稿"}[self.value]


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(128))
    """Space-separated Scope values."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    staff: Mapped[Staff] = relationship(lazy="joined")

    @property
    def scope_set(self) -> frozenset[Scope]:
        return frozenset(Scope(s) for s in self.scopes.split())


class ApiTokens:
    """Makes, lists, resolves and revokes tokens; each change is recorded in the ledger."""

    def __init__(self, session: Session, *, audit: Ledger,
                 clock: Callable[[], datetime] = utcnow):
        self.session, self.audit, self.clock = session, audit, clock

    def create(self, owner: Staff, name: str, scopes: Iterable[str], days: int | str
               ) -> tuple[ApiToken, str]:
        """A new token of `owner` and its secret, which is not stored and cannot be shown
        again."""
        name, chosen, problems = name.strip(), sorted(set(scopes)), []
        if not name or len(name) > 64:
            problems.append(FieldProblem("name", "请填写令牌名称（不超过 64 个字符）。"))
        elif message := bad_characters(name, multiline=False):
            problems.append(FieldProblem("name", message))
        if not chosen or any(s not in {x.value for x in Scope} for s in chosen):
            problems.append(FieldProblem("scopes", "请选择至少一项有效的权限范围。"))
        try:
            days = int(days)
            if not 1 <= days <= MAX_DAYS:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(FieldProblem("days", f"有效期应为 1 到 {MAX_DAYS} 天。"))
        if problems:
            raise ValidationFailed(problems)
        secret = PREFIX + secrets.token_urlsafe(32)
        now = self.clock()
        token = ApiToken(token_hash=token_digest(secret), staff=owner, name=name,
                         scopes=" ".join(chosen), created_at=now,
                         expires_at=now + timedelta(days=days))
        self.session.add(token)
        self.session.flush()
        self.audit.append(actor=owner.login, action="api_token.create",
                          subject=f"api_token:{token.id}",
                          context={"scopes": chosen, "days": days})
        return token, secret

    def mine(self, owner: Staff) -> list[ApiToken]:
        return list(self.session.scalars(select(ApiToken).where(ApiToken.staff_id == owner.id)
                                         .order_by(ApiToken.created_at.desc(),
                                                   ApiToken.id.desc())))

    def revoke(self, owner: Staff, token_id: int) -> ApiToken:
        """Compare-and-set: only a live token of `owner` is revoked, once."""
        now = self.clock()
        done = self.session.execute(
            update(ApiToken).where(ApiToken.id == token_id, ApiToken.staff_id == owner.id,
                                   ApiToken.revoked_at.is_(None))
            .values(revoked_at=now).execution_options(synchronize_session="fetch"))
        if done.rowcount != 1:
            raise NotFound("令牌", str(token_id))
        self.audit.append(actor=owner.login, action="api_token.revoke",
                          subject=f"api_token:{token_id}")
        return self.session.get(ApiToken, token_id)

    def resolve(self, secret: str) -> tuple[ApiToken | None, str | None]:
        """(token, None) for a live token of an active account, else (None, why): unknown,
        revoked, expired, disabled."""
        token = self.session.scalar(select(ApiToken).where(
            ApiToken.token_hash == token_digest(secret)))
        if token is None:
            return None, "unknown"
        now = self.clock()
        if token.revoked_at is not None:
            return None, "revoked"
        if now >= token.expires_at:
            return None, "expired"
        if not token.staff.active:
            return None, "disabled"
        token.last_used_at = now
        return token, None
