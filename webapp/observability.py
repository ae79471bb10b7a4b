"""What an operator sees of the running app: structured logs, health and metrics.

- Logs: JSON lines (one object per line: time, level, logger, message, and for a request its
  id, user, route, status and duration), or plain text in a terminal; a request's lines on
  stdout, the rest (start-up, CLI commands, whose stdout is their answer) on stderr. One access
  line per request. No private student data ever reaches a log (policy C2): routes are logged
  by endpoint and URL rule, never with query strings or form values.
- `/healthz`: checks the database, that the vault and ledger folders take a write, and that the
  keys load; 503 naming the failing part.
- `/metrics`: Prometheus text format, off unless `METRICS_TOKEN` is set, then only with
  `Authorization: Bearer <token>`. Figures are per process (each gunicorn worker counts its own).
"""

from __future__ import annotations

import hmac
import json
import logging
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import text

__all__ = ["bp", "init_app"]

bp = Blueprint("health", __name__)
access_log = logging.getLogger("handover.access")

BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# Endpoints whose success is a signature, a search or a public lookup: counted by name.
COUNTED = {"handovers.create": "handover_forms", "handovers.act": "handover_steps",
           "search.index": "searches", "verify.arrival": "qr_lookups"}


class JsonFormatter(logging.Formatter):
    FIELDS = ("request_id", "user", "route", "method", "status", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        out = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
               "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        out.update({k: getattr(record, k) for k in self.FIELDS if hasattr(record, k)})
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


class StdoutHandler(logging.StreamHandler):
    """Lines of a request go to stdout (the server's log stream); anything outside a request
    (start-up, a CLI command, whose stdout is its answer) to stderr. Resolved at each write:
    a test runner may replace either stream."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout if has_request_context() else sys.stderr
        super().emit(record)


def configure_logging(level: str, *, force: bool = False) -> None:
    """JSON lines unless stdout is a terminal; the project's loggers at `level`; pyHanko's
    validation chatter (an untrusted certificate is a result, not an error) at ERROR. A
    process whose logging is already set up (a test runner, an embedding program) keeps its
    own handlers unless `force`."""
    ours = logging.getLogger("handover")
    ours.setLevel(level.upper())
    # (WeasyPrint's warnings are the renderer's to collect and report: signing/render.py.)
    for noisy in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    if any(getattr(h, "handover_handler", False) for h in ours.handlers):
        return
    if logging.getLogger().handlers and not force:
        return
    handler = StdoutHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
                         if sys.stdout.isatty() else JsonFormatter())
    handler.handover_handler = True
    ours.addHandler(handler)


class Metrics:
    """Counters and a latency histogram, per process, exposed in Prometheus' text format."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests: dict[tuple[str, str], int] = defaultdict(int)
        self.buckets: dict[str, list[int]] = defaultdict(lambda: [0] * (len(BUCKETS) + 1))
        self.sums: dict[str, float] = defaultdict(float)
        self.events: dict[str, int] = defaultdict(int)

    def observe(self, route: str, status: int, seconds: float) -> None:
        with self.lock:
            self.requests[(route, str(status))] += 1
            row = self.buckets[route]
            row[next((i for i, b in enumerate(BUCKETS) if seconds <= b), len(BUCKETS))] += 1
            self.sums[route] += seconds

    def count(self, name: str) -> None:
        with self.lock:
            self.events[name] += 1

    def render(self) -> str:
        lines = ["# TYPE handover_requests_total counter"]
        with self.lock:
            for (route, status), n in sorted(self.requests.items()):
                lines.append(f'handover_requests_total{{route="{route}",status="{status}"}} {n}')
            lines.append("# TYPE handover_request_seconds histogram")
            for route, row in sorted(self.buckets.items()):
                running = 0
                for bound, n in zip((*BUCKETS, "+Inf"), row, strict=True):
                    running += n
                    lines.append(f'handover_request_seconds_bucket{{route="{route}",'
                                 f'le="{bound}"}} {running}')
                lines.append(f'handover_request_seconds_sum{{route="{route}"}} '
                             f'{self.sums[route]:.6f}')
                lines.append(f'handover_request_seconds_count{{route="{route}"}} {running}')
            lines.append("# TYPE handover_events_total counter")
            for name, n in sorted(self.events.items()):
                lines.append(f'handover_events_total{{event="{name}"}} {n}')
        return "\n".join(lines) + "\n"


def _writable(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=folder):
        pass


def health_checks(svc) -> dict[str, str]:
    """Each part: "ok" or why not (no private data, no stack trace)."""
    checks: dict[str, str] = {}

    def check(name, fn):
        try:
            fn()
            checks[name] = "ok"
        except Exception as exc:  # a health check reports; it never raises
            checks[name] = f"{type(exc).__name__}: {str(exc)[:120]}"

    def database():
        with svc.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    check("database", database)
    if svc.settings["VAULT_BACKEND"] == "local":
        check("vault", lambda: _writable(Path(svc.vault_root)))
    else:  # the table or bucket answers (and has object lock when it is asked for)
        check("vault", lambda: svc.blobs.check())
    check("ledger", lambda: _writable(Path(svc.ledger.folder)) if svc.ledger_backend == "file"
          else svc.ledger.head())
    check("keys", lambda: svc.keyring.current("kek"))
    return checks


@bp.route("/healthz")
def healthz():
    from webapp import services

    checks = health_checks(services())
    failing = sorted(k for k, v in checks.items() if v != "ok")
    body = {"status": "fail" if failing else "ok", "failing": failing, "checks": checks}
    return body, 503 if failing else 200


@bp.route("/metrics")
def metrics():
    from flask import current_app

    token = current_app.config.get("METRICS_TOKEN") or ""
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not token or not hmac.compare_digest(token, given):
        abort(404)
    return Response(current_app.extensions["handover_metrics"].render(),
                    mimetype="text/plain; version=0.0.4")


def init_app(app: Flask, *, log_level: str, metrics_token: str | None) -> None:
    configure_logging(log_level)
    app.config["METRICS_TOKEN"] = metrics_token
    app.extensions["handover_metrics"] = collected = Metrics()

    @app.before_request
    def _start():
        g.request_id = (request.headers.get("X-Request-ID") or uuid.uuid4().hex)[:64]
        g.started = time.perf_counter()

    @app.after_request
    def _access(response):
        started = g.get("started")
        if started is None:
            return response
        seconds = time.perf_counter() - started
        route = request.url_rule.rule if request.url_rule else "(none)"
        collected.observe(route, response.status_code, seconds)
        if response.status_code < 400 and request.endpoint in COUNTED:
            collected.count(COUNTED[request.endpoint])
        user = getattr(current_user, "staff", None)
        access_log.info("%s %s %s", request.method, route, response.status_code, extra={
            "request_id": g.request_id, "user": user.login if user is not None else "-",
            "route": route, "method": request.method, "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1)})
        response.headers["X-Request-ID"] = g.request_id
        return response
