"""The objects one application instance works with, built once from its settings and handed to
the libraries through their constructors (DESIGN.md: library code never reads config).

The PDF stack (signing: WeasyPrint, pyHanko) and the search engine (Whoosh, jieba) are imported
by the properties that build them, so that a command which uses neither starts without them.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from records.accounts import Accounts, LoginPolicy
from records.address_limit import AddressLimit
from records.api_tokens import ApiTokens
from records.approvals import Approvals
from records.archive import Retention
from records.archive_loans import Loans
from records.archive_register import ArchiveRegister
from records.archive_rules import LoanTerms
from records.backup import InstanceParts
from records.backup.rows import tables_with_rows
from records.calendar_supplement import CalendarSupplement
from records.class_registry import Classes
from records.clock import utcnow
from records.credentials import Credentials
from records.db import make_engine, make_session_factory, migrate
from records.deadlines import WorkingCalendar
from records.finding import Finder, OutboxUpkeep, indexable_documents
from records.forms import TEMPLATES_DIR as FORM_TEMPLATES
from records.money.amounts import yuan_zh
from records.money.feed import LedgerFeed
from records.money.form_rules import MoneyRules
from records.money.payments import PaymentLedger
from records.money.payouts import PayoutLimits
from records.money.reports import LedgerReports
from records.notify import handover_changed
from records.paperwork import FormDesk, SigningTools
from records.staff import Staff
from records.students import Students
from records.teaching import attach_teaching
from records.web_sessions import SessionStore
from records.workflow import Workflow
from vault import (
    BlobStore,
    DbLedger,
    FieldCipher,
    Keyring,
    Ledger,
    LedgerUnavailable,
    SqlBlobStore,
    Vault,
    attach_field_cipher,
)
from webapp.origin import current_origin
from webapp.settings import DEADLINE_KEYS, SettingsError, payout_limits, prepayment_caps

if TYPE_CHECKING:
    from search import SearchIndex
    from signing import SchoolPKI

__all__ = ["Services", "NotInitialised", "RestorePending"]

log = logging.getLogger("handover")


class NotInitialised(Exception):
    """The instance folder has not been initialised (`handover init`)."""

    def __init__(self, instance: Path, missing: str, message: str | None = None):
        self.instance, self.missing = instance, missing
        super().__init__(message
                         or f"实例未初始化（缺少 {missing}），请先运行 handover init：{instance}")


class RestorePending(NotInitialised):
    """`handover init` on an instance that holds imported keys and nothing else: a restore
    is under way, and a new school CA made now would leave every restored form untrusted."""

    def __init__(self, instance: Path):
        super().__init__(instance, "pki", (
            "实例中只有导入的密钥，没有学校 CA、访问日志与数据：这是在恢复备份。请运行 handover "
            "restore BACKUP，不要运行 init（init 会新建学校 CA，恢复的表单将不再可信）。如确要"
            f"新建学校，先删除密钥目录。实例：{instance}"))


def _write_new_file(path: Path, data: bytes) -> bool:
    """Create `path` with mode 0600 unless it exists; True when it was created. Never overwrites."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return True


@dataclass
class Services:
    instance: Path
    settings: dict[str, Any]
    _engine: Engine | None = field(default=None, init=False, repr=False)

    # -- paths ------------------------------------------------------------------------------

    @property
    def database_url(self) -> str:
        return self.settings["DATABASE_URL"] or f"sqlite:///{self.instance / 'handover.sqlite3'}"

    @property
    def keyring_path(self) -> Path:
        return Path(self.settings["KEYRING_PATH"] or self.instance / "keys")

    @property
    def secret_key_path(self) -> Path:
        return self.instance / "secret_key"

    # -- set-up -----------------------------------------------------------------------------

    def initialise(self) -> list[str]:
        """Create whatever is missing; never overwrite existing keys. Returns what was made.
        RestorePending for keys imported into an otherwise empty instance (see there)."""
        if self.awaiting_restore():
            raise RestorePending(self.instance)
        made = []
        self.instance.mkdir(parents=True, exist_ok=True)
        os.chmod(self.instance, 0o700)
        if _write_new_file(self.secret_key_path, secrets.token_hex(32).encode()):
            made.append("secret_key")
        self.keyring_path.mkdir(mode=0o700, parents=True, exist_ok=True)
        made += [f"keys/{p}" for p in Keyring.open(self.keyring_path).ensure()]
        self.__dict__.pop("keyring", None)  # reopen: init may just have created it
        migrate(self.engine)
        if isinstance(self.blobs, SqlBlobStore):  # the vault's own table, outside migrations
            self.blobs.create_table()
        if not (self.pki_path / "ca.pem").exists():
            made.append("pki")
        from signing import SchoolPKI

        SchoolPKI.create(self.pki_path, self._pki_seal_key(), self.settings["SCHOOL_NAME"],
                         **self.pki_urls)
        return made

    def awaiting_restore(self) -> bool:
        if not any(self.keyring_path.glob("*/*.key")) or (self.pki_path / "ca.pem").exists() \
                or (self.ledger_path / "ledger.jsonl").exists():
            return False
        with self.engine.connect() as conn:
            return not tables_with_rows(conn)

    def secret_key(self) -> str:
        if self.settings["SECRET_KEY"]:
            return self.settings["SECRET_KEY"]
        try:
            return self.secret_key_path.read_text().strip()
        except FileNotFoundError:
            raise NotInitialised(self.instance, "secret_key") from None

    # -- shared resources -------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """The engine, with the field cipher attached so private columns are encrypted."""
        if self._engine is None:
            self._engine = make_engine(self.database_url,
                                       busy_seconds=self.settings["SQLITE_BUSY_SECONDS"])
            attach_field_cipher(self._engine, self.field_cipher)
        return self._engine

    @cached_property
    def field_cipher(self) -> FieldCipher:
        return FieldCipher(self.keyring)

    @property
    def vault_root(self) -> Path:
        return self.instance / "vault"

    def blob_store(self, backend: str) -> BlobStore:
        """The vault store of `backend` with this instance's settings."""
        from webapp.vault_store import open_blob_store

        return open_blob_store(backend, self.settings, vault_root=self.vault_root,
                               engine=self.engine if backend == "postgresql" else None)

    @cached_property
    def blobs(self) -> BlobStore:
        """Where the vault's objects are (VAULT_BACKEND)."""
        return self.blob_store(self.settings["VAULT_BACKEND"])

    @cached_property
    def vault(self) -> Vault:
        return Vault(self.blobs, self.keyring, self.ledger)

    @cached_property
    def session_factory(self) -> sessionmaker:
        return make_session_factory(self.engine)

    @cached_property
    def keyring(self) -> Keyring:
        if not self.keyring_path.exists():
            raise NotInitialised(self.instance, "keys")
        return Keyring.open(self.keyring_path)

    @property
    def ledger_path(self) -> Path:
        return self.instance / "ledger"

    LEDGER_BACKENDS = ("file", "db")

    @property
    def ledger_backend(self) -> str:
        """file or db (LEDGER_BACKEND; by default db on PostgreSQL, where several app servers
        may share the database, and file on SQLite). A wrong value stops the start."""
        on_postgres = self.database_url.startswith("postgresql")
        backend = self.settings["LEDGER_BACKEND"] or ("db" if on_postgres else "file")
        if backend not in self.LEDGER_BACKENDS:
            raise SettingsError(f"LEDGER_BACKEND 应为 file 或 db，而不是 {backend!r}")
        if backend == "db" and not on_postgres:
            raise SettingsError("LEDGER_BACKEND = db 需要 PostgreSQL（DATABASE_URL）；"
                                "SQLite 上请用 file")
        return backend

    @cached_property
    def ledger(self) -> Ledger | DbLedger:
        if self.ledger_backend == "file":
            return self.file_ledger
        if self.db_ledger.is_empty() and self.file_ledger_has_entries():
            # appending now would start a second chain beside the file's history
            raise LedgerUnavailable(self.db_ledger.path, "实例中的文件访问日志尚未迁移到数据库："
                                    "请运行 handover audit migrate（或设置 LEDGER_BACKEND = file）")
        return self.db_ledger

    @cached_property
    def file_ledger(self) -> Ledger:
        """The ledger folder of the instance (`handover audit migrate` reads it)."""
        return Ledger(self.ledger_path, self.keyring, origin=current_origin)

    @cached_property
    def db_ledger(self) -> DbLedger:
        """The ledger's tables in the database (PostgreSQL only, see `ledger_backend`)."""
        return DbLedger(self.engine, self.keyring, origin=current_origin)

    def file_ledger_has_entries(self) -> bool:
        path = self.ledger_path / "ledger.jsonl"
        return path.exists() and path.stat().st_size > 0

    @property
    def pki_path(self) -> Path:
        return Path(self.settings["PKI_PATH"] or self.instance / "pki")

    def _pki_seal_key(self) -> bytes:
        return self.keyring.get("pki", 1)  # the school CA key is sealed under pki key v1

    @property
    def pki_urls(self) -> dict[str, str]:
        """Where certificates issued from now on say the CRL and the root certificate are
        published: this application's /pki/crl.der and /pki/ca.der under BASE_URL
        (webapp/verify.py). Certificates issued earlier keep the address they were given."""
        base = self.settings["BASE_URL"].rstrip("/")
        return {"crl_url": f"{base}/pki/crl.der", "ca_url": f"{base}/pki/ca.der"}

    @cached_property
    def pki(self) -> SchoolPKI:
        from signing import SchoolPKI

        if not (self.pki_path / "ca.pem").exists():
            raise NotInitialised(self.instance, "pki")
        return SchoolPKI(self.pki_path, self._pki_seal_key(), **self.pki_urls)

    @cached_property
    def form_desk(self) -> FormDesk:
        return FormDesk(open_tools=lambda: self.signing_tools,
                        school_name=self.settings["SCHOOL_NAME"],
                        base_url=self.settings["BASE_URL"])

    @cached_property
    def signing_tools(self) -> SigningTools:
        from signing import Renderer, SchoolTimeStamper, StampFont, make_timestamper

        s = self.settings
        tsa = make_timestamper(url=s["TSA_URL"]) if s["TSA_URL"] else \
            make_timestamper(school=SchoolTimeStamper.for_pki(self.pki))
        return SigningTools(
            renderer=Renderer(FORM_TEMPLATES, logger=logging.getLogger("handover.render")),
            pki=self.pki, timestamper=tsa,
            stamp_font=StampFont(self.instance / "cache" / "fonts"))

    @property
    def calendar_path(self) -> Path:
        return Path(self.settings["CALENDAR_FILE"] or self.instance / "calendar.toml")

    @property
    def config_path(self) -> Path:
        return self.instance / "config.toml"  # as webapp.settings reads it

    @property
    def backup_parts(self) -> InstanceParts:
        """What a backup of this instance holds and where a restore puts it (not the keys)."""
        return InstanceParts(blobs=self.blobs, ledger_folder=self.ledger_path,
                             pki_folder=self.pki_path, config_file=self.config_path,
                             calendar_file=self.calendar_path,
                             ledger_db=self.db_ledger if self.ledger_backend == "db" else None)

    @cached_property
    def calendar(self) -> WorkingCalendar:
        """The official working days plus the operator's supplement (policy T)."""
        return WorkingCalendar(supplement=CalendarSupplement.load(self.calendar_path))

    @property
    def deadline_settings(self) -> dict[str, int]:
        return {key: self.settings[name] for name, key in DEADLINE_KEYS.items()
                if self.settings[name] is not None}

    OBLIGATIONS_EVERY = 60
    """Seconds between two derivations of time-made obligations by page views (a CLI command
    derives them every time)."""

    def obligations(self, session: Session, now):
        """The obligations service, with what time has made owed derived at most once a minute
        per process: a page view must not pay for it each time (policy T3a, T3b, T4b)."""
        obligations = self.workflow(session).obligations
        moment = time.monotonic()
        last = self.__dict__.get("_obligations_at")
        if last is None or moment - last >= self.OBLIGATIONS_EVERY:
            obligations.refresh(now)
            self._obligations_at = moment
        return obligations

    def workflow(self, session: Session) -> Workflow:
        payments = self.payments(session)
        archive = self.archive_register(session)
        feed = LedgerFeed(payments, on_refund=lambda handover, student, fen: archive
                          .record_refund(handover, student, f"退费金额 {yuan_zh(fen)}"))
        return Workflow(session, vault=self.vault, audit=self.ledger, desk=self.form_desk,
                        credentials=self.credentials(session), calendar=self.calendar,
                        deadline_settings=self.deadline_settings,
                        form_rules=MoneyRules(session, ledger=payments,
                                              caps=prepayment_caps(self.settings)),
                        on_change=[
                            # the index is opened when a handover changes, not for every use
                            lambda handover: self.index_upkeep(session).handover_changed(
                                handover),
                            archive.handover_changed, feed.handover_changed,
                            # who is told, in the same transaction (the worker sends)
                            lambda handover: handover_changed(session, handover)])

    def payments(self, session: Session) -> PaymentLedger:
        """The payment ledger (policy R-FIN)."""
        return PaymentLedger(session, audit=self.ledger, vault=self.vault)

    def ledger_reports(self, session: Session) -> LedgerReports:
        """The school's ledger as lists: pages, monthly totals, exports."""
        return LedgerReports(session, audit=self.ledger)

    @property
    def payout_limits(self) -> PayoutLimits:
        """Working days to pay a refund back (DOMAIN-RULES "Refunds")."""
        return payout_limits(self.settings)

    def credentials(self, session: Session) -> Credentials:
        return Credentials(session, lambda: self.pki)  # the CA is opened when first used

    @cached_property
    def password_hasher(self) -> PasswordHasher:
        if self.settings["PASSWORD_HASH_COST"] == "low":  # noqa: S105 (tests only; documented)
            return PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
        return PasswordHasher()

    # -- use cases bound to a database session ----------------------------------------------

    def accounts(self, session: Session) -> Accounts:
        s = self.settings
        policy = LoginPolicy(
            max_failures=s["LOGIN_MAX_FAILURES"],
            base_delay_seconds=s["LOGIN_BASE_DELAY_SECONDS"],
            lock_minutes=s["LOGIN_LOCK_MINUTES"],
            per_address=AddressLimit(max_failures=s["LOGIN_ADDRESS_MAX_FAILURES"],
                                     window_minutes=s["LOGIN_ADDRESS_WINDOW_MINUTES"]),
        )
        return Accounts(session, audit=self.ledger, hasher=self.password_hasher, policy=policy,
                        credentials=self.credentials(session))

    def relate(self, session: Session, staff: Staff) -> Staff:
        """Attach to `staff` what the need-to-know rule asks about them for the request at
        hand (records.visibility): the approvals in force (policy C3) and the students they
        teach or taught within TAUGHT_WITHIN_DAYS (policy C1)."""
        Approvals(session, audit=self.ledger).attach_grants(staff)
        return attach_teaching(session, staff, utcnow(), self.settings["TAUGHT_WITHIN_DAYS"])

    def students(self, session: Session) -> Students:
        return Students(session, cipher=self.field_cipher, audit=self.ledger,
                        on_change=[self.index_upkeep(session).student_changed])

    @cached_property
    def search_index(self) -> SearchIndex:
        from search import SearchIndex

        def documents():  # a missing or damaged index is rebuilt from the database
            with self.session_factory() as db:
                yield from indexable_documents(db, utcnow())

        return SearchIndex(self.search_path, self.keyring.current("search")[1],
                           logger=logging.getLogger("handover.search"), rebuild=documents,
                           jieba_cache_dir=self.instance / "cache" / "jieba")

    @property
    def search_updates(self) -> str:
        """How a change reaches the index: "inline" (the request writes this server's index)
        or "outbox" (a row in the request's transaction, applied by every server's indexer;
        the default on PostgreSQL, where several servers may share the database)."""
        default = "inline" if self.database_url.startswith("sqlite") else "outbox"
        return self.settings["SEARCH_UPDATES"] or default

    def index_upkeep(self, session: Session) -> Finder | OutboxUpkeep:
        """What a change calls to keep the search index up to date (SEARCH_UPDATES)."""
        if self.search_updates == "outbox":
            return OutboxUpkeep(session)
        return self.finder(session)

    def finder(self, session: Session) -> Finder:
        replica = None
        if self.search_updates == "outbox":
            from search.position import position_path

            replica = position_path(self.search_path)
        return Finder(session, self.search_index, audit=self.ledger, replica=replica)

    @property
    def search_path(self) -> Path:
        return self.instance / "search"

    def indexer(self):
        """This server's replica indexer (records.indexer)."""
        from records.indexer import Indexer

        return Indexer(self.session_factory, self.search_index, retention=self.search_retention)

    @property
    def search_retention(self) -> timedelta:
        return timedelta(days=self.settings["SEARCH_OUTBOX_RETENTION_DAYS"])

    def start_indexer(self):
        """Apply the search outbox in a thread of this process, while it is the host's
        indexer for this index folder (a lock file); stopped by close()."""
        from records.indexer import IndexerLoop

        if "_indexer_loop" not in self.__dict__:
            self._indexer_loop = IndexerLoop(
                self.indexer, self.search_path / "indexer.lock").start()
        return self._indexer_loop

    def prune_search_outbox(self) -> int:
        """Delete outbox rows older than SEARCH_OUTBOX_RETENTION_DAYS (by `handover worker`)."""
        from records.search_outbox import prune

        with self.session_factory() as db:
            pruned = prune(db, utcnow(), self.search_retention)
            db.commit()
        return pruned

    def classes(self, session: Session) -> Classes:
        return Classes(session, audit=self.ledger)

    @property
    def archive_terms(self) -> LoanTerms:
        s = self.settings
        if s["ARCHIVE_RETENTION"] not in set(Retention):
            raise SettingsError(f"ARCHIVE_RETENTION must be one of {', '.join(Retention)}")
        return LoanTerms(loan_days=s["ARCHIVE_LOAN_DAYS"], renewal_days=s["ARCHIVE_RENEWAL_DAYS"],
                         default_retention=Retention(s["ARCHIVE_RETENTION"]))

    def archive_register(self, session: Session) -> ArchiveRegister:
        return ArchiveRegister(session, audit=self.ledger, terms=self.archive_terms)

    def archive_loans(self, session: Session) -> Loans:
        return Loans(session, audit=self.ledger, vault=self.vault, desk=self.form_desk,
                     credentials=self.credentials(session),
                     accounts=self.accounts(session), calendar=self.calendar,
                     terms=self.archive_terms)

    @property
    def notify_channels(self) -> dict[str, object]:
        """The configured ways out besides the in-app list (e-mail, group robot)."""
        from records.notify.channels import EmailChannel, WebhookChannel

        s, channels = self.settings, {}
        if s["SMTP_HOST"]:
            channels["email"] = EmailChannel(
                host=s["SMTP_HOST"], port=s["SMTP_PORT"], security=s["SMTP_SECURITY"],
                sender=s["SMTP_FROM"], user=s["SMTP_USER"], password=s["SMTP_PASSWORD"],
                sender_name=s["SCHOOL_NAME"])
        if s["WEBHOOK_URL"]:
            channels["webhook"] = WebhookChannel(s["WEBHOOK_URL"], kind=s["WEBHOOK_KIND"],
                                                 secret=s["WEBHOOK_SECRET"])
        return channels

    def notify_worker(self, clock=utcnow):
        """The sender of notifications (`handover worker`)."""
        from records.notify.worker import Worker

        s = self.settings
        return Worker(self.session_factory, channels=self.notify_channels,
                      base_url=s["BASE_URL"], max_attempts=s["NOTIFY_MAX_ATTEMPTS"],
                      retry_base=timedelta(seconds=s["NOTIFY_RETRY_SECONDS"]),
                      digest_hour=s["NOTIFY_DIGEST_HOUR"],
                      soon=timedelta(hours=s["NOTIFY_SOON_HOURS"]), clock=clock)

    def api_tokens(self, session: Session) -> ApiTokens:
        return ApiTokens(session, audit=self.ledger)

    def web_sessions(self, session: Session) -> SessionStore:
        return SessionStore(
            session,
            idle=timedelta(minutes=self.settings["SESSION_IDLE_MINUTES"]),
            absolute=timedelta(hours=self.settings["SESSION_ABSOLUTE_HOURS"]),
            touch_engine=self.touch_engine,
        )

    @cached_property
    def touch_engine(self) -> Engine:
        """For bookkeeping writes that may be skipped (a session's last activity): on SQLite
        it waits a quarter of a second for a busy file, not SQLITE_BUSY_SECONDS."""
        return make_engine(self.database_url, busy_seconds=0.25)

    def close(self) -> None:
        if "_indexer_loop" in self.__dict__:
            self.__dict__.pop("_indexer_loop").stop()
        if "search_index" in self.__dict__:
            self.search_index.close()
        if "touch_engine" in self.__dict__:
            self.touch_engine.dispose()
        if self._engine is not None:
            self._engine.dispose()
