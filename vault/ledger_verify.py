"""Verification of a ledger against its signed head, usable with public keys only: the lines
of a file (vault.ledger) or the rows of a table (vault.ledger_db), in order."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .entry import GENESIS_HASH, VerifyResult, entry_hash
from .errors import LedgerCorrupt, VaultError
from .ledger_head import head_signature_ok, parse_head

__all__ = ["verify_ledger", "verify_lines"]


class _Bad(Exception):
    def __init__(self, seq: int | None, reason: str) -> None:
        self.seq = seq
        self.reason = reason


def _check_lines(
    lines: Iterable[bytes], agrees: Callable[[int, dict[str, Any]], str | None] | None
) -> tuple[list[str], bool]:
    """Hashes of every entry, in order, and whether the lines end in an unterminated one
    (an interrupted append, dropped by the next one); _Bad at the first entry that breaks
    the chain, or that `agrees(seq, fields)` finds fault with (names the fault)."""
    hashes: list[str] = []
    prev = GENESIS_HASH
    for seq, raw in enumerate(lines, start=1):
        if not raw.endswith(b"\n"):
            return hashes, True
        try:
            fields = json.loads(raw)
            stored_seq, stored_hash, stored_prev = fields["seq"], fields["hash"], fields["prev"]
        except (ValueError, KeyError, TypeError):
            raise _Bad(seq, "记录无法解析") from None
        if stored_seq != seq:
            raise _Bad(seq, f"序号应为 {seq}，实为 {stored_seq}（记录被删除、插入或调换）")
        if entry_hash(fields) != stored_hash:
            raise _Bad(seq, "记录内容与其哈希不符（记录被修改）")
        if stored_prev != prev:
            if seq == 1:
                raise _Bad(1, "第 1 条记录的链接不是起始值")
            reason = f"第 {seq - 1} 条记录的哈希与第 {seq} 条的链接不符（记录被修改）"
            raise _Bad(seq - 1, reason)
        fault = agrees(seq, fields) if agrees is not None else None
        if fault is not None:
            raise _Bad(seq, fault)
        hashes.append(stored_hash)
        prev = stored_hash
    return hashes, False


def _check_head(
    head_raw: bytes | None, hashes: list[str], public_key: Callable[[int], Ed25519PublicKey]
) -> int:
    """The head's sequence number; _Bad if the head is missing, forged or ahead of the file."""
    if head_raw is None:
        if hashes:
            raise _Bad(None, "签名头缺失")
        return 0
    try:
        head = parse_head(head_raw)
    except LedgerCorrupt as exc:
        raise _Bad(None, exc.reason) from None
    try:
        key = public_key(head["key_version"])
    except (LookupError, ValueError, OSError, VaultError):
        raise _Bad(None, f"没有签名头所用的公钥（版本 {head['key_version']}）") from None
    if not head_signature_ok(head, key):
        raise _Bad(None, "签名头的签名无效")
    seq = head["seq"]
    if seq > len(hashes):
        raise _Bad(
            len(hashes) + 1,
            f"签名头记录到第 {seq} 条，文件只到第 {len(hashes)} 条（末尾记录被删除）",
        )
    expected = hashes[seq - 1] if seq else GENESIS_HASH
    if head["hash"] != expected:
        raise _Bad(seq or None, "记录与签名头中的哈希不符")
    return seq


def verify_ledger(
    path: Path, head_path: Path, public_key: Callable[[int], Ed25519PublicKey]
) -> VerifyResult:
    """Verify the entries at `path` and the head at `head_path`."""
    head_raw = head_path.read_bytes() if head_path.exists() else None
    if not path.exists():
        return verify_lines([], head_raw, public_key)
    with open(path, "rb") as f:
        return verify_lines(f, head_raw, public_key)


def verify_lines(
    lines: Iterable[bytes],
    head_raw: bytes | None,
    public_key: Callable[[int], Ed25519PublicKey],
    agrees: Callable[[int, dict[str, Any]], str | None] | None = None,
) -> VerifyResult:
    """Verify entries given as lines (each ending in a newline) against the head record
    `head_raw` (None: there is none); `agrees(seq, fields)` may name a further fault."""
    count = 0
    try:
        hashes, torn = _check_lines(lines, agrees)
        count = len(hashes)
        head_seq = _check_head(head_raw, hashes, public_key)
    except _Bad as bad:
        if not count and bad.seq:
            count = bad.seq - 1
        return VerifyResult(ok=False, count=count, first_bad=bad.seq, reason=bad.reason)
    return VerifyResult(
        ok=True, count=count, head_seq=head_seq, unsigned=count - head_seq, torn_tail=torn
    )
