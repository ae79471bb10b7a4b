"""What records needs from the access ledger (vault.Ledger provides it). Entries carry ids,
never private values (policy C1, C2)."""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["AuditLog"]


class AuditLog(Protocol):
    def append(
        self,
        *,
        actor: str,
        action: str,
        subject: str | None = None,
        reason: str = "",
        outcome: str = "ok",
        context: dict[str, Any] | None = None,
    ) -> Any: ...
