"""Plain-language Chinese verdicts for signature reports (what a school user reads)."""

from __future__ import annotations

__all__ = ["timestamp_verdict", "verdict"]

ROLE = {"Sig_Sender": "移交方签名", "Sig_Receiver": "接收方签名"}


def verdict(*, ok: bool, field: str, signer: str, intact: bool, valid: bool, trusted: bool,
            revoked: bool, docmdp_ok: bool, timestamp_ok: bool) -> str:
    """One sentence: the first reason a signature fails, or that it is good."""
    who = f"{ROLE.get(field, field)}（{signer}）"
    if ok:
        return f"{who}有效：文件自签名以来未被篡改，证书由本校签发，签名时间有时间戳证明。"
    if not intact or not valid:
        return f"{who}无效：签名后文件内容被改动过，或签名数据已损坏。"
    if revoked:
        return f"{who}无效：签名时该证书已被吊销。"
    if not trusted:
        return f"{who}不可信：签名证书不是由受信任的学校根证书签发的。"
    if not docmdp_ok:
        return f"{who}无效：签名后文件被做了不允许的修改（超出填写表单和签名的范围）。"
    if not timestamp_ok:
        return f"{who}存疑：缺少有效的时间戳，签名时间无法证明。"
    return f"{who}无效。"


def timestamp_verdict(*, ok: bool, intact: bool, trusted: bool, later_changes: bool) -> str:
    """One sentence on a document (archive) timestamp."""
    if ok:
        return "存档时间戳有效：证明文件及其验证材料在该时间已存在且此后未被改动。"
    if not intact:
        return "存档时间戳无效：加盖时间戳后文件内容被改动过，或时间戳数据已损坏。"
    if later_changes:
        return "存档时间戳无效：加盖时间戳后文件被做了验证材料以外的修改。"
    if not trusted:
        return "存档时间戳不可信：时间戳证书不受信任、已过期或已被吊销（应在到期前续加时间戳）。"
    return "存档时间戳无效。"
