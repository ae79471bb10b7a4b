"""Every setting of the application, declared once: name, type, default and meaning.

Settings are read in this order, later ones winning: defaults, `<instance>/config.toml`,
`HANDOVER_<NAME>` environment variables, then the `test_config` handed to create_app.
docs/configuration.md documents each one; a test fails when one is missing there."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from records.money.caps import (
    ACADEMIC_BASIS,
    NON_ACADEMIC_BASIS,
    Cap,
    CourseType,
    PrepaymentCaps,
)
from records.money.payouts import PayoutLimits

__all__ = ["DEADLINE_KEYS", "ENV_PREFIX", "SETTINGS", "Setting", "SettingsError",
           "VAULT_BACKENDS", "check_deadline_settings", "check_import_settings",
           "check_notify_settings", "check_search_settings", "check_vault_settings",
           "load_settings", "payout_limits", "prepayment_caps"]

ENV_PREFIX = "HANDOVER_"


@dataclass(frozen=True)
class Setting:
    name: str
    """Upper-case name; lower-case in config.toml, HANDOVER_-prefixed in the environment."""
    type: type
    """str, int or bool."""
    default: Any
    """Value when nothing sets it; None means derived from the instance folder at start-up."""
    doc: str
    """One line for docs/configuration.md."""


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", str, None, "SQLAlchemy URL; default SQLite in the instance folder."),
    Setting("SQLITE_BUSY_SECONDS", int, 15,
            "SQLite: seconds a write waits for a locked file before the request gets 503."),
    Setting("SECRET_KEY", str, None, "Signs session cookies; default a key file made by init."),
    Setting("LEDGER_BACKEND", str, None,
            "Where the access ledger lives: file or db; default db on PostgreSQL, else file."),
    Setting("KEYRING_PATH", str, None, "Folder of the vault keys; default <instance>/keys."),
    Setting("PKI_PATH", str, None, "Folder of the school CA and TSA; default <instance>/pki."),
    Setting("SCHOOL_NAME", str, "示例培训学校", "School name on forms and pages."),
    Setting("BASE_URL", str, "http://127.0.0.1:5000", "Public address, used in QR codes."),
    Setting("SESSION_IDLE_MINUTES", int, 30, "Sign out after this many idle minutes."),
    Setting("SESSION_ABSOLUTE_HOURS", int, 10, "Sign out this long after sign-in, whatever."),
    Setting("LOGIN_MAX_FAILURES", int, 5, "Failed sign-ins before a temporary lock."),
    Setting("LOGIN_BASE_DELAY_SECONDS", int, 1, "Wait after one failure; doubles each time."),
    Setting("LOGIN_LOCK_MINUTES", int, 15, "Length of the temporary lock."),
    Setting("LOGIN_ADDRESS_MAX_FAILURES", int, 30,
            "Failed sign-ins from one client address, any names, before it waits; 0: off."),
    Setting("LOGIN_ADDRESS_WINDOW_MINUTES", int, 15,
            "Window in which an address's failures count (and that it then waits out)."),
    Setting("MAX_UPLOAD_MB", int, 20, "Largest request body (uploads) in MiB; more gets 413."),
    Setting("TRUSTED_PROXIES", int, 0, "Reverse proxies in front (X-Forwarded-* hops to trust)."),
    Setting("TSA_URL", str, "", "External RFC 3161 timestamp server; empty: the school's own."),
    Setting("LOG_LEVEL", str, "INFO", "Application log level (DEBUG, INFO, WARNING, ERROR)."),
    Setting("METRICS_TOKEN", str, None, "Bearer token for /metrics; unset: /metrics is off."),
    Setting("PASSWORD_HASH_COST", str, "default", "argon2 cost: 'default', or 'low' for tests."),
    # Deadlines (policy T): every [X] of the policy; None keeps the catalogue's default.
    Setting("DEADLINE_T1A_DAYS", int, None, "T1a: working days to hand over prospect info."),
    Setting("DEADLINE_T2_DAYS", int, None, "T2: working days for schedule and grouping."),
    Setting("DEADLINE_T3A_WEEKDAY", int, None, "T3a: weekday of progress reports (1-7)."),
    Setting("DEADLINE_T3A_HOUR", int, None, "T3a: hour of progress reports."),
    Setting("DEADLINE_T3B_DAYS", int, None, "T3b: working days for grades after course end."),
    Setting("DEADLINE_T4A_DAYS", int, None, "T4a: working days for ACA feedback."),
    Setting("DEADLINE_T4B_DAYS", int, None, "T4b: working days for the archive after term."),
    Setting("DEADLINE_T5A_DAYS", int, None, "T5a: working days for the refund calculation."),
    Setting("DEADLINE_T5B_DAYS", int, None, "T5b: working days to complete a refund."),
    Setting("DEADLINE_RECEIVE_DAYS", int, None,
            "Receiver's own working days to countersign or return (default 1)."),
    Setting("DEADLINE_F11_DAYS", int, None,
            "Working days for the teacher's verification of a refund case (default 2)."),
    Setting("WORKDAY_END_HOUR", int, None, "Hour a working day ends (default 18)."),
    Setting("CALENDAR_FILE", str, None,
            "Holiday supplement (TOML); default <instance>/calendar.toml, used when present."),
    # Need-to-know (policy C1): how long a teacher keeps seeing a class's students and
    # handovers after the class, or the student's place in it, ended.
    Setting("TAUGHT_WITHIN_DAYS", int, 180,
            "Days a teacher still sees the students of a class they taught (policy C1)."),
    # Student imports: the school's own 学号 kept from a file must have its format.
    Setting("STUDENT_NUMBER_PATTERN", str, "",
            "Regular expression a 学号 kept from an import must match; empty: letters, digits, -."),
    # The archive's consult/borrow register (policy R-ARC).
    Setting("ARCHIVE_LOAN_DAYS", int, 7, "Days an archive loan runs (due before holidays)."),
    Setting("ARCHIVE_RENEWAL_DAYS", int, 5, "Most days one renewal of a loan adds."),
    Setting("ARCHIVE_RETENTION", str, "30y",
            "Retention of a new learning archive: permanent, 30y or 10y."),
    # Prepayment caps at registration (policy F2, DOMAIN-RULES); 0 switches a cap off, which
    # needs PREPAY_OFF_BASIS.
    Setting("PREPAY_ACADEMIC_MONTHS", int, 3, "Academic courses: most months one charge covers."),
    Setting("PREPAY_ACADEMIC_HOURS", int, 60, "Academic courses: most class hours per charge."),
    Setting("PREPAY_ACADEMIC_YUAN", int, 0, "Academic courses: most yuan per charge (0: none)."),
    Setting("PREPAY_NON_ACADEMIC_MONTHS", int, 3, "Non-academic: most months per charge."),
    Setting("PREPAY_NON_ACADEMIC_HOURS", int, 60, "Non-academic: most class hours per charge."),
    Setting("PREPAY_NON_ACADEMIC_YUAN", int, 5000, "Non-academic: most yuan per charge."),
    Setting("PREPAY_ACADEMIC_BASIS", str, ACADEMIC_BASIS,
            "Legal basis of the academic caps, named in every refusal."),
    Setting("PREPAY_NON_ACADEMIC_BASIS", str, NON_ACADEMIC_BASIS,
            "Legal basis of the non-academic caps, named in every refusal."),
    Setting("PREPAY_OFF_BASIS", str, "",
            "Why a cap with a legal default is switched off (0); required when one is."),
    # Notifications (sent by `handover worker`; docs/operations.md).
    Setting("SMTP_HOST", str, "", "SMTP server for e-mail notifications; empty: no e-mail."),
    Setting("SMTP_PORT", int, 587, "SMTP port (587 STARTTLS, 465 TLS, 25 a local relay)."),
    Setting("SMTP_SECURITY", str, "starttls", "starttls, tls (implicit) or none."),
    Setting("SMTP_USER", str, "", "SMTP user name; empty: no authentication."),
    Setting("SMTP_PASSWORD", str, "", "SMTP password."),
    Setting("SMTP_FROM", str, "", "From address of notification e-mails."),
    Setting("WEBHOOK_URL", str, "", "WeCom/DingTalk group robot webhook (https only)."),
    Setting("WEBHOOK_KIND", str, "wecom", "wecom (企业微信) or dingtalk (钉钉)."),
    Setting("WEBHOOK_SECRET", str, "", "DingTalk robot signing secret (加签); optional."),
    Setting("NOTIFY_MAX_ATTEMPTS", int, 6, "Attempts per delivery before it is failed."),
    Setting("NOTIFY_RETRY_SECONDS", int, 60, "Wait after a first failure; doubles each time."),
    Setting("NOTIFY_DIGEST_HOUR", int, 8, "School-time hour from which the daily digest goes."),
    Setting("NOTIFY_SOON_HOURS", int, 24, "The digest lists what falls due within this."),
    Setting("WORKER_INTERVAL_SECONDS", int, 60, "Pause between passes of `handover worker`."),
    # Where the vault's encrypted objects live (docs/operations.md "Object store").
    Setting("VAULT_BACKEND", str, "local", "local (instance folder), postgresql or s3."),
    Setting("VAULT_S3_ENDPOINT", str, "", "S3-compatible endpoint URL (MinIO, OSS, COS)."),
    Setting("VAULT_S3_BUCKET", str, "", "Bucket of the vault objects (required for s3)."),
    Setting("VAULT_S3_REGION", str, "us-east-1", "Region of the bucket."),
    Setting("VAULT_S3_ADDRESSING", str, "path", "path (MinIO) or virtual (OSS, COS, AWS)."),
    Setting("VAULT_S3_ACCESS_KEY_ID", str, "", "Access key; empty: the AWS_* environment."),
    Setting("VAULT_S3_SECRET_ACCESS_KEY", str, "", "Secret key; empty: the AWS_* environment."),
    Setting("VAULT_S3_OBJECT_LOCK", str, "", "Object lock: empty (off), governance, compliance."),
    Setting("VAULT_S3_OBJECT_LOCK_DAYS", int, 0, "Days each new object is locked."),
    # Search replicas (issue 15; docs/operations.md "Search on several servers").
    Setting("SEARCH_UPDATES", str, None,
            "inline (the request writes the index) or outbox (each server's indexer applies "
            "the search outbox); default inline on SQLite, outbox on PostgreSQL."),
    Setting("SEARCH_OUTBOX_RETENTION_DAYS", int, 7,
            "Days the worker keeps applied search outbox rows; a replica further behind "
            "is rebuilt."),
    # Refund payout limits (DOMAIN-RULES "Refunds"): finance's overdue list counts them.
    Setting("REFUND_PAYOUT_BEFORE_START_DAYS", int, 5,
            "Working days to pay back a withdrawal before classes start."),
    Setting("REFUND_PAYOUT_AFTER_START_DAYS", int, 15,
            "Working days to pay back a withdrawal after classes start."),
)

# School settings of records.deadlines, by the names the catalogue's rules use.
DEADLINE_KEYS = {
    "DEADLINE_T1A_DAYS": "deadline.T1a_days",
    "DEADLINE_T2_DAYS": "deadline.T2_days",
    "DEADLINE_T3A_WEEKDAY": "deadline.T3a_weekday",
    "DEADLINE_T3A_HOUR": "deadline.T3a_hour",
    "DEADLINE_T3B_DAYS": "deadline.T3b_days",
    "DEADLINE_T4A_DAYS": "deadline.T4a_days",
    "DEADLINE_T4B_DAYS": "deadline.T4b_days",
    "DEADLINE_T5A_DAYS": "deadline.T5a_days",
    "DEADLINE_T5B_DAYS": "deadline.T5b_days",
    "DEADLINE_RECEIVE_DAYS": "deadline.receive_days",
    "DEADLINE_F11_DAYS": "deadline.F11_days",
    "WORKDAY_END_HOUR": "deadline.workday_end_hour",
}
# The range each deadline setting must lie in: a wrong one stops the start with its name.
DEADLINE_RANGES = {"DEADLINE_T3A_WEEKDAY": (1, 7), "DEADLINE_T3A_HOUR": (0, 23),
                   "WORKDAY_END_HOUR": (0, 23)}


def check_deadline_settings(settings: Mapping[str, Any]) -> None:
    """policy T: every [X] is a school setting, and a number out of range is refused at start."""
    for name in DEADLINE_KEYS:
        value = settings.get(name)
        low, high = DEADLINE_RANGES.get(name, (0, 365))
        if value is not None and not low <= value <= high:
            raise SettingsError(f"{name} must be between {low} and {high}, got {value}")


def prepayment_caps(settings: Mapping[str, Any]) -> PrepaymentCaps:
    """The school's caps (policy F2). A cap the law sets, switched off (0), must say why: the
    start is refused without PREPAY_OFF_BASIS."""
    caps = []
    for course, prefix in ((CourseType.ACADEMIC, "PREPAY_ACADEMIC"),
                           (CourseType.NON_ACADEMIC, "PREPAY_NON_ACADEMIC")):
        for unit in ("months", "hours", "yuan"):
            name = f"{prefix}_{unit.upper()}"
            limit = settings[name]
            if limit < 0:
                raise SettingsError(f"{name} must be 0 (off) or more, got {limit}")
            if limit == 0 and _BY_NAME[name].default and not settings["PREPAY_OFF_BASIS"]:
                raise SettingsError(f"{name} is 0 (off): give its legal basis in PREPAY_OFF_BASIS")
            caps.append(Cap(course, unit, limit, settings[f"{prefix}_BASIS"]))
    return PrepaymentCaps(tuple(caps))
def check_import_settings(settings: Mapping[str, Any]) -> None:
    """A 学号 format that is not a regular expression would refuse every import: say so at
    start-up, naming the setting."""
    import re

    try:
        re.compile(settings["STUDENT_NUMBER_PATTERN"])
    except re.error as exc:
        raise SettingsError(f"STUDENT_NUMBER_PATTERN 不是有效的正则表达式：{exc}") from None


def check_notify_settings(settings: Mapping[str, Any]) -> None:
    """Notification settings that cannot work stop the start, naming the setting: a robot's
    webhook only over https (loopback excepted, for tests), since its URL holds the robot's
    key and every message would cross the network in clear."""
    from records.notify.channels import SECURITY_MODES, WEBHOOK_KINDS, webhook_url_problem

    if settings["SMTP_SECURITY"] not in SECURITY_MODES:
        raise SettingsError(f"SMTP_SECURITY 应为 {'、'.join(SECURITY_MODES)} 之一，"
                            f"而不是 {settings['SMTP_SECURITY']!r}")
    if settings["SMTP_HOST"] and not settings["SMTP_FROM"]:
        raise SettingsError("设置了 SMTP_HOST 时，请同时设置发件地址 SMTP_FROM")
    if not 1 <= settings["SMTP_PORT"] <= 65535:
        raise SettingsError(f"SMTP_PORT 应在 1 到 65535 之间，而不是 {settings['SMTP_PORT']}")
    if settings["WEBHOOK_KIND"] not in WEBHOOK_KINDS:
        raise SettingsError(f"WEBHOOK_KIND 应为 {'、'.join(WEBHOOK_KINDS)} 之一，"
                            f"而不是 {settings['WEBHOOK_KIND']!r}")
    problem = settings["WEBHOOK_URL"] and webhook_url_problem(settings["WEBHOOK_URL"])
    if problem:  # the URL holds the robot's key: never echoed
        raise SettingsError(f"WEBHOOK_URL {problem}")
    for name, low, high in (("NOTIFY_MAX_ATTEMPTS", 1, 50), ("NOTIFY_RETRY_SECONDS", 1, 86400),
                            ("NOTIFY_DIGEST_HOUR", 0, 23), ("NOTIFY_SOON_HOURS", 1, 720),
                            ("WORKER_INTERVAL_SECONDS", 1, 86400)):
        if not low <= settings[name] <= high:
            raise SettingsError(f"{name} 应在 {low} 到 {high} 之间，而不是 {settings[name]}")


VAULT_BACKENDS = ("local", "postgresql", "s3")


def check_vault_settings(settings: Mapping[str, Any], backend: str | None = None) -> None:
    """A vault store that cannot work stops the start, naming the setting: the first upload
    must not be where an operator learns of a typo. `backend` checks another backend than
    VAULT_BACKEND with the same settings (the target of `vault migrate`)."""
    backend = backend or settings["VAULT_BACKEND"]
    if backend not in VAULT_BACKENDS:
        raise SettingsError(f"VAULT_BACKEND 应为 {'、'.join(VAULT_BACKENDS)} 之一，"
                            f"而不是 {backend!r}")
    url = settings["DATABASE_URL"] or ""
    if backend == "postgresql" and not url.startswith("postgresql"):
        raise SettingsError("VAULT_BACKEND = postgresql 需要 DATABASE_URL 指向 PostgreSQL"
                            "（加密对象存放在该数据库的 vault_blobs 表中）")
    if backend == "s3" and not settings["VAULT_S3_BUCKET"]:
        raise SettingsError("VAULT_BACKEND = s3 时必须设置 VAULT_S3_BUCKET")
    if bool(settings["VAULT_S3_ACCESS_KEY_ID"]) != bool(settings["VAULT_S3_SECRET_ACCESS_KEY"]):
        raise SettingsError("VAULT_S3_ACCESS_KEY_ID 与 VAULT_S3_SECRET_ACCESS_KEY 须同时设置"
                            "（或都不设置，使用 AWS_ACCESS_KEY_ID 等环境变量）")
    if settings["VAULT_S3_ADDRESSING"] not in ("path", "virtual"):
        raise SettingsError(f"VAULT_S3_ADDRESSING 应为 path 或 virtual，"
                            f"而不是 {settings['VAULT_S3_ADDRESSING']!r}")
    lock, days = settings["VAULT_S3_OBJECT_LOCK"], settings["VAULT_S3_OBJECT_LOCK_DAYS"]
    if lock not in ("", "governance", "compliance"):
        raise SettingsError(f"VAULT_S3_OBJECT_LOCK 应为空、governance 或 compliance，"
                            f"而不是 {lock!r}")
    if lock and not 1 <= days <= 36500:
        raise SettingsError(f"VAULT_S3_OBJECT_LOCK_DAYS 应在 1 到 36500 之间，而不是 {days}")


def check_search_settings(settings: Mapping[str, Any]) -> None:
    """How the index is kept up to date, checked at start (issue 15)."""
    if settings["SEARCH_UPDATES"] not in (None, "inline", "outbox"):
        raise SettingsError(f"SEARCH_UPDATES 应为 inline 或 outbox，"
                            f"而不是 {settings['SEARCH_UPDATES']!r}")
    if not 1 <= settings["SEARCH_OUTBOX_RETENTION_DAYS"] <= 365:
        raise SettingsError(f"SEARCH_OUTBOX_RETENTION_DAYS 应在 1 到 365 之间，"
                            f"而不是 {settings['SEARCH_OUTBOX_RETENTION_DAYS']}")


def payout_limits(settings: Mapping[str, Any]) -> PayoutLimits:
    """The refund payout limits; a limit outside 1-365 working days stops the start."""
    limits = {}
    for name in ("REFUND_PAYOUT_BEFORE_START_DAYS", "REFUND_PAYOUT_AFTER_START_DAYS"):
        if not 1 <= settings[name] <= 365:
            raise SettingsError(f"{name} must be between 1 and 365, got {settings[name]}")
        limits[name] = settings[name]
    return PayoutLimits(limits["REFUND_PAYOUT_BEFORE_START_DAYS"],
                        limits["REFUND_PAYOUT_AFTER_START_DAYS"])


_BY_NAME = {s.name: s for s in SETTINGS}


class SettingsError(Exception):
    """A setting that cannot be used; the message names the setting and where it came from."""


def _convert(setting: Setting, raw: Any, origin: str) -> Any:
    if setting.type is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
    elif setting.type is int:
        try:
            return int(raw)
        except (TypeError, ValueError):
            pass
    elif setting.type is str and isinstance(raw, str | int):
        return str(raw)
    raise SettingsError(f"{origin}: {setting.name} must be {setting.type.__name__}, got {raw!r}")


def load_settings(
    instance: Path, env: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """All settings as a dict of upper-case names. Unknown keys are an error, not ignored: a
    mistyped setting that silently does nothing is worse than a refusal to start."""
    env = os.environ if env is None else env
    values = {s.name: s.default for s in SETTINGS}
    toml_path = instance / "config.toml"
    if toml_path.exists():
        try:
            data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{toml_path}: {exc}") from None
        for key, raw in data.items():
            setting = _BY_NAME.get(key.upper())
            if setting is None:
                raise SettingsError(f"{toml_path}: unknown setting {key!r}")
            values[setting.name] = _convert(setting, raw, str(toml_path))
    for key, raw in env.items():
        if not key.startswith(ENV_PREFIX) or key == ENV_PREFIX + "INSTANCE":
            continue
        setting = _BY_NAME.get(key[len(ENV_PREFIX) :])
        if setting is None:
            raise SettingsError(f"environment: unknown setting {key}")
        values[setting.name] = _convert(setting, raw, key)
    for key, raw in (overrides or {}).items():
        if key in _BY_NAME:
            values[key] = _convert(_BY_NAME[key], raw, "test_config")
    return values
