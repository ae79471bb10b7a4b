"""The objects one application instance works with, built once from its settings and handed to
the libraries through their constructors (DESIGN.md: library code never reads config)."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from records.accounts import Accounts, LoginPolicy
from records.archive import Retention
from records.archive_loans import Loans
from records.archive_register import ArchiveRegister
from records.archive_rules import LoanTerms
from records.calendar_supplement import CalendarSupplement
from records.class_registry import Classes
from records.clock import utcnow
from records.credentials import Credentials
from records.db import make_engine, make_session_factory, migrate
from records.deadlines import WorkingCalendar
from records.finding import Finder, indexable_documents
from records.forms import TEMPLATES_DIR as FORM_TEMPLATES
from records.paperwork import FormDesk
from records.students import Students
from records.web_sessions import SessionStore
from records.workflow import Workflow
from search import SearchIndex
from signing import Renderer, SchoolPKI, SchoolTimeStamper, StampFont, make_timestamper
from vault import FieldCipher, FileBlobStore, Keyring, Ledger, Vault, attach_field_cipher
from webapp.settings import DEADLINE_KEYS, SettingsError

__all__ = ["Services", "NotInitialised"]

log = logging.getLogger("handover")


class NotInitialised(Exception):
    """The instance folder has not been initialised (`handover init`)."""

    def __init__(self, instance: Path, missing: str):
        self.instance, self.missing = instance, missing
        super().__init__(f"实例未初始化（缺少 {missing}），请先运行 handover init：{instance}")


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
        """Create whatever is missing; never overwrite existing keys. Returns what was made."""
        made = []
        self.instance.mkdir(parents=True, exist_ok=True)
        os.chmod(self.instance, 0o700)
        if _write_new_file(self.secret_key_path, secrets.token_hex(32).encode()):
            made.append("secret_key")
        self.keyring_path.mkdir(mode=0o700, parents=True, exist_ok=True)
        made += [f"keys/{p}" for p in Keyring.open(self.keyring_path).ensure()]
        self.__dict__.pop("keyring", None)  # reopen: init may just have created it
        migrate(self.engine)
        if not (self.pki_path / "ca.pem").exists():
            made.append("pki")
        SchoolPKI.create(self.pki_path, self._pki_seal_key(), self.settings["SCHOOL_NAME"],
                         **self.pki_urls)
        return made

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

    @cached_property
    def vault(self) -> Vault:
        return Vault(FileBlobStore(self.vault_root), self.keyring, self.ledger)

    @cached_property
    def session_factory(self) -> sessionmaker:
        return make_session_factory(self.engine)

    @cached_property
    def keyring(self) -> Keyring:
        if not self.keyring_path.exists():
            raise NotInitialised(self.instance, "keys")
        return Keyring.open(self.keyring_path)

    @cached_property
    def ledger(self) -> Ledger:
        return Ledger(self.instance / "ledger", self.keyring)

    @property
    def pki_path(self) -> Path:
        return self.instance / "pki"

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
        if not (self.pki_path / "ca.pem").exists():
            raise NotInitialised(self.instance, "pki")
        return SchoolPKI(self.pki_path, self._pki_seal_key(), **self.pki_urls)

    @cached_property
    def form_desk(self) -> FormDesk:
        s = self.settings
        tsa = make_timestamper(url=s["TSA_URL"]) if s["TSA_URL"] else \
            make_timestamper(school=SchoolTimeStamper.for_pki(self.pki))
        return FormDesk(
            renderer=Renderer(FORM_TEMPLATES, logger=logging.getLogger("handover.render")),
            pki=self.pki, timestamper=tsa,
            stamp_font=StampFont(self.instance / "cache" / "fonts"),
            school_name=s["SCHOOL_NAME"], base_url=s["BASE_URL"])

    @property
    def calendar_path(self) -> Path:
        return Path(self.settings["CALENDAR_FILE"] or self.instance / "calendar.toml")

    @cached_property
    def calendar(self) -> WorkingCalendar:
        """The official working days plus the operator's supplement (policy T)."""
        return WorkingCalendar(supplement=CalendarSupplement.load(self.calendar_path))

    @property
    def deadline_settings(self) -> dict[str, int]:
        return {key: self.settings[name] for name, key in DEADLINE_KEYS.items()
                if self.settings[name] is not None}

    def workflow(self, session: Session) -> Workflow:
        return Workflow(session, vault=self.vault, audit=self.ledger, desk=self.form_desk,
                        credentials=Credentials(session, self.pki), calendar=self.calendar,
                        deadline_settings=self.deadline_settings,
                        on_change=[self.finder(session).handover_changed,
                                   self.archive_register(session).handover_changed])

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
        )
        return Accounts(session, audit=self.ledger, hasher=self.password_hasher, policy=policy,
                        credentials=Credentials(session, self.pki))

    def students(self, session: Session) -> Students:
        return Students(session, cipher=self.field_cipher, audit=self.ledger,
                        on_change=[self.finder(session).student_changed])

    @cached_property
    def search_index(self) -> SearchIndex:
        def documents():  # a missing or damaged index is rebuilt from the database
            with self.session_factory() as db:
                yield from indexable_documents(db, utcnow())

        return SearchIndex(self.instance / "search", self.keyring.current("search")[1],
                           logger=logging.getLogger("handover.search"), rebuild=documents,
                           jieba_cache_dir=self.instance / "cache" / "jieba")

    def finder(self, session: Session) -> Finder:
        return Finder(session, self.search_index, audit=self.ledger)

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
                     credentials=Credentials(session, self.pki),
                     accounts=self.accounts(session), calendar=self.calendar,
                     terms=self.archive_terms)

    def web_sessions(self, session: Session) -> SessionStore:
        return SessionStore(
            session,
            idle=timedelta(minutes=self.settings["SESSION_IDLE_MINUTES"]),
            absolute=timedelta(hours=self.settings["SESSION_ABSOLUTE_HOURS"]),
        )

    def close(self) -> None:
        if "search_index" in self.__dict__:
            self.search_index.close()
        if self._engine is not None:
            self._engine.dispose()
