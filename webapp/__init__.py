"""The web application: `create_app(test_config=None)` wires settings, services, blueprints,
security and error handling. The only package that imports Flask.

The `handover` command runs in `create_app(pages=False)`: settings, services and commands
without the pages, whose modules import the PDF stack (WeasyPrint, pyHanko) at start. A command
then loads the PDF stack, the search engine (Whoosh, jieba) or Alembic only if it uses them.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask, g
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from records.archive_rules import sees_overdue
from records.calendar_supplement import CalendarFileError
from records.forms import templates_root
from records.money.payments import may_read_ledger
from records.reassignment import managed_departments
from records.visibility import sees_all_metadata
from webapp.services import Services
from webapp.settings import (
    SettingsError,
    check_deadline_settings,
    check_import_settings,
    check_notify_settings,
    check_search_settings,
    check_vault_settings,
    load_settings,
    payout_limits,
    prepayment_caps,
)

__all__ = ["create_app", "services"]

ROOT = Path(__file__).resolve().parent.parent
WEB_TEMPLATES = templates_root() / "web"

# Main navigation; an entry shows once its blueprint is registered.
NAV = [
    ("home.index", "首页"),
    ("handovers.index", "交接"),
    ("students.index", "学生"),
    ("classes.index", "班级"),
    ("search.index", "搜索"),
    ("verify.index", "验证签名"),
    ("supervision.index", "监督"),
    ("archive.index", "档案"),
    ("approvals.index", "审批"),
    ("staff.index", "人员交接"),
    ("notifications.index", "通知"),
    ("money.index", "财务"),
]
# Entries shown only to some: endpoint -> who may see it (the page itself checks again).
NAV_ONLY_FOR = {"supervision.index": sees_all_metadata, "archive.index": sees_overdue,
               "staff.index": managed_departments, "money.index": may_read_ledger}


class BoundedInt(IntegerConverter):
    """`<int:...>` limited to the range of the database's INTEGER columns."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (werkzeug's name)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _checkout_instance() -> Path:
    """`instance/` beside a source checkout (make run, make test). An installed package has
    no such place: the data must not end up inside site-packages."""
    if (ROOT / "pyproject.toml").exists():
        return ROOT / "instance"
    raise SettingsError("HANDOVER_INSTANCE is not set: name the instance folder "
                        "(e.g. HANDOVER_INSTANCE=/var/lib/handover/instance)")


def _add_pages(app: Flask) -> None:
    """The pages, sign-in, security headers and error pages."""
    from webapp import (
        api,
        api_tokens_page,
        approvals,
        archive,
        auth,
        base_url_check,
        classes,
        errors,
        exports,
        handovers,
        home,
        money,
        notifications,
        obligations,
        observability,
        oversight,
        search,
        security,
        staff_work,
        students,
        supervision,
        verify,
    )

    security.init_app(app)
    base_url_check.init_app(app, services(app).settings["BASE_URL"])
    auth.init_app(app)
    errors.init_app(app)
    notifications.init_app(app)
    api.init_app(app)
    for blueprint in (auth.bp, home.bp, handovers.bp, students.bp, verify.bp, search.bp,
                      classes.bp, supervision.bp, approvals.bp,
                      archive.bp, oversight.bp, obligations.bp, observability.bp,
                      staff_work.bp, notifications.bp, money.bp, exports.bp,
                      api_tokens_page.bp):
        app.register_blueprint(blueprint)
    # The pages import the PDF stack; the search engine (Whoosh, jieba) is imported on first
    # use elsewhere, but a web server imports it at start, so the first search does not wait.
    import search.index  # noqa: F401


def create_app(test_config: dict[str, Any] | None = None, *, pages: bool = True) -> Flask:
    """The application; with `pages=False` without the pages (for the command line)."""
    test_config = dict(test_config or {})
    instance = Path(
        test_config.pop("INSTANCE", None)
        or os.environ.get("HANDOVER_INSTANCE")
        or _checkout_instance()
    ).resolve()
    app = Flask(
        __name__,
        instance_path=str(instance),
        template_folder=str(WEB_TEMPLATES),
        static_folder="static",
    )
    # Route ids fit the database's integer: a longer number is "no such page" (404), not an
    # overflow deep in the driver (500).
    app.url_map.converters["int"] = BoundedInt
    settings = load_settings(instance, overrides=test_config)
    app.extensions["handover"] = services = Services(instance, settings)
    try:  # a broken holiday supplement stops the start, not the first deadline after it
        services.calendar  # noqa: B018
    except CalendarFileError as exc:
        raise SettingsError(str(exc)) from None
    services.archive_terms  # noqa: B018  (a wrong ARCHIVE_RETENTION stops the start too)
    services.ledger_backend  # noqa: B018  (and a wrong LEDGER_BACKEND)
    check_deadline_settings(settings)
    prepayment_caps(settings)  # refuses to start on a cap switched off without its basis
    check_notify_settings(settings)
    check_vault_settings(settings)
    check_search_settings(settings)
    check_import_settings(settings)
    payout_limits(settings)  # and on a refund payout limit out of range
    app.config.update(
        TESTING=bool(test_config.get("TESTING", False)),
        MAX_CONTENT_LENGTH=settings["MAX_UPLOAD_MB"] * 1024 * 1024,
        MAX_FORM_MEMORY_SIZE=2 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="handover_session",
        WTF_CSRF_ENABLED=test_config.get("WTF_CSRF_ENABLED", True),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the sign-in session
        JSON_AS_ASCII=False,
    )
    from webapp import observability

    observability.init_app(app, log_level=settings["LOG_LEVEL"],
                           metrics_token=settings["METRICS_TOKEN"])
    # Every signature embeds the school's certificates and CRL with fetching off, on purpose
    # (offline validation, B-LT); pyHanko warns about exactly that on each signature.
    logging.getLogger("pyhanko.sign.signers.pdf_signer").setLevel(logging.ERROR)
    if settings["TRUSTED_PROXIES"]:
        n = settings["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    if pages:
        _add_pages(app)
        if services.search_updates == "outbox" and not app.config["TESTING"]:
            services.start_indexer()  # one per host and index folder runs (a lock file)

    from webapp import cli

    cli.init_app(app)

    @app.context_processor
    def _layout():
        staff = getattr(current_user, "staff", None)
        items = [(e, label) for e, label in NAV if e in app.view_functions
                 and (e not in NAV_ONLY_FOR or (staff is not None and NAV_ONLY_FOR[e](staff)))]
        return {"school_name": settings["SCHOOL_NAME"], "nav_items": items}

    @app.after_request
    def _one_request_one_transaction(response):
        # Commit before the answer leaves, so that a commit that fails (a locked database)
        # becomes an error page instead of a success page for nothing. An error page
        # (4xx/5xx) commits nothing, whichever handler made it; a step that must outlive a
        # refusal (a failed sign-in's count) commits explicitly before it raises.
        db = g.get("db")
        if db is not None:
            if response.status_code >= 400:
                db.rollback()
            else:
                db.commit()
        return response

    @app.before_request
    def _mark_request():
        g.web_request = True

    @app.teardown_appcontext
    def _close_db(exc):
        db = g.pop("db", None)
        if db is not None:
            try:  # a request committed in after_request; a CLI command commits when it ends
                if exc is None and not g.pop("web_request", False):
                    db.commit()
                else:
                    db.rollback()
            finally:
                db.close()

    return app


def services(app: Flask | None = None) -> Services:
    from flask import current_app

    return (app or current_app).extensions["handover"]
