"""Errors raised by the signing package.

Every error carries its data as attributes; the message (``str(error)``) is
Simplified Chinese because a school user may see it. No error ever carries a
student's private information (policy C2): only URLs of resources, certificate
subjects (staff names), serial numbers and field names.
"""

from __future__ import annotations

__all__ = [
    "SigningError",
    "RenderError",
    "FetchRefused",
    "HarfBuzzMissing",
    "FontError",
    "PKIError",
    "WrongPassword",
    "CertificateRevoked",
    "UnknownCertificate",
    "SignatureFieldMissing",
    "AlreadySigned",
    "NotYetSigned",
    "TimestampError",
    "VerificationError",
]


class SigningError(Exception):
    """Base class of every error of the signing package."""


class RenderError(SigningError):
    """WeasyPrint could not turn the HTML into a PDF."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"表单生成 PDF 失败：{reason}")


class FetchRefused(SigningError):
    """A resource outside the allowed set (data: URLs, the static folder) was requested."""

    def __init__(self, url: str):
        self.url = url
        super().__init__(f"拒绝读取外部资源：{url}")


class HarfBuzzMissing(SigningError):
    """WeasyPrint would subset fonts with fontTools (about 50 times slower)."""

    def __init__(self, library: str = "libharfbuzz-subset0"):
        self.library = library
        super().__init__(f"缺少字体子集库 {library}，PDF 生成会非常慢，请安装后重试")


class FontError(SigningError):
    """The stamp font could not be extracted or loaded."""

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"印章字体不可用（{path}）：{reason}")


class PKIError(SigningError):
    """The school PKI folder is missing, damaged or sealed with another key."""

    def __init__(self, folder: str, reason: str):
        self.folder = folder
        self.reason = reason
        super().__init__(f"学校证书库不可用（{folder}）：{reason}")


class WrongPassword(SigningError):
    """The password does not unlock the staff member's signing key."""

    def __init__(self, subject: str):
        self.subject = subject
        super().__init__(f"签名密码错误：{subject}")


class CertificateRevoked(SigningError):
    """The signing certificate is on the school's revocation list."""

    def __init__(self, serial: int, reason: str | None = None):
        self.serial = serial
        self.reason = reason
        super().__init__(f"签名证书已被吊销（序列号 {serial}），不能再用于签名")


class UnknownCertificate(SigningError):
    """The signing certificate was not issued by this school's CA."""

    def __init__(self, subject: str):
        self.subject = subject
        super().__init__(f"签名证书不是本校签发的：{subject}")


class SignatureFieldMissing(SigningError):
    """The PDF has no signature field of that name (it was not prepared)."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"PDF 中没有签名域 {name}，请先生成签名域")


class AlreadySigned(SigningError):
    """The signature field already holds a signature."""

    def __init__(self, field: str):
        self.field = field
        super().__init__(f"签名域 {field} 已经签过名，不能重复签名")


class NotYetSigned(SigningError):
    """Countersigning was attempted before the sender's signature exists."""

    def __init__(self, field: str):
        self.field = field
        super().__init__(f"签名域 {field} 尚未签名，接收方不能先于移交方签名")


class TimestampError(SigningError):
    """The time-stamping authority did not answer with a valid token."""

    def __init__(self, source: str, reason: str):
        self.source = source
        self.reason = reason
        super().__init__(f"时间戳服务不可用（{source}）：{reason}")


class VerificationError(SigningError):
    """The file is not a readable PDF, so no signature could be checked."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"无法读取 PDF，签名无法验证：{reason}")
