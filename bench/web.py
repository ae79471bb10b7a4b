"""Web benchmark: a scaled instance (`handover demo --scale N`) served by gunicorn (2 sync
workers, as docs/operations.md serves it) on 127.0.0.1, against a bare Flask "hello" app served
the same way and measured in the same run, on SQLite and on PostgreSQL.

    .venv/bin/python bench/web.py --n 100000                 # the full size (long)
    .venv/bin/python bench/web.py --n 10000                  # about 45 minutes on 2 cores
    .venv/bin/python bench/web.py --n 2000 --seconds 3 --db sqlite --out -   # a quick look

For each database: `handover init`, `handover demo --scale N` and `handover reindex` (timed),
then at 16 and at 64 clients: the home page of each demo role, the inbox, /handovers/ page 1
and page 500, the new-handover form, a search, a student's page, a PDF download and the
create→sign→countersign flow. Each client is a thread with its own keep-alive connection and
its own signed-in session (bench/loadgen.py); each measurement runs for --seconds or
--max-requests per client, whichever ends first. Only 127.0.0.1, only processes it started.
Writes docs/benchmarks/web.md (and regenerates docs/benchmarks.md) unless --out says otherwise.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import loadgen

ROOT = Path(__file__).resolve().parents[1]
PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CLI = [sys.executable, "-c", "from webapp.cli import main; main()"]
CLIENTS = (16, 64)
ROLES = ("enr", "aca", "tea", "fin", "arc", "log", "mgt", "sup", "admin")
SEARCH_WORDS = ("Python", "英语", "退费", "书法", "补课", "机器人", "围棋", "考级")
HELLO = '''from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "hello"
'''
F3_FORM = {"f.course": "少儿编程", "f.teacher": "陈静", "f.schedule": "每周六 09:00-11:00",
           "f.start_date": "2026-09-05", "f.place": "本校三楼 302 教室",
           "f.lesson_minutes": "90", "f.total_lessons": "24", "f.materials": "《少儿编程》讲义",
           "action": "submit"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(instance: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOVER_")}
    env.update(PYTHONPATH=str(ROOT), HANDOVER_INSTANCE=str(instance),
               HANDOVER_LOG_LEVEL="WARNING")
    if database_url:
        env["HANDOVER_DATABASE_URL"] = database_url
    return env


def handover(env: dict, *args: str, timeout: float = 3600) -> tuple[str, float]:
    started = time.perf_counter()
    done = subprocess.run([*CLI, *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"handover {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout, time.perf_counter() - started


class Served:
    """gunicorn with 2 sync workers on 127.0.0.1 (ended by its own process id)."""

    def __init__(self, app: str, env: dict, chdir: Path, log: Path):
        self.port, self.log = free_port(), log
        with open(log, "ab") as errors:  # a file, never a pipe nobody reads (it would block)
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind",
                 f"127.0.0.1:{self.port}", "--chdir", str(chdir), "--timeout", "120",
                 "--log-level", "warning", app], env=env, cwd=chdir,
                stdout=subprocess.DEVNULL, stderr=errors)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                loadgen.Client(self.port).get("/healthz" if "webapp" in app else "/")
                return
            except (OSError, loadgen.Failed):
                if self.proc.poll() is not None:
                    raise SystemExit(f"gunicorn {app} ended: {log.read_text()[-2000:]}") from None
                time.sleep(0.5)
        self.stop()
        raise SystemExit(f"gunicorn {app} did not answer within 120 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def sessions(port: int, login: str, password: str, count: int) -> list[loadgen.Client]:
    """`count` separate sign-ins (each a browser of its own), made a few at a time."""
    out: list[loadgen.Client] = []
    result = loadgen.measure(
        [None] * min(count, 8),
        lambda _s, _i: out.append(loadgen.Client(port).sign_in(login, password)),
        seconds=600, max_per_client=math.ceil(count / min(count, 8)))
    if result.errors or len(out) < count:
        raise SystemExit(f"signing in as {login} failed: {result.first_error}")
    return out[:count]


# -- the scenarios --------------------------------------------------------------------------


def scenarios(facts: dict) -> list[tuple[str, tuple[str, ...], object]]:
    """(name, logins of one client, step(client(s), i))."""
    rng = random.Random(7)
    out = [(f"home page · {role}", (role,), lambda c, i: c.get("/")) for role in ROLES]
    numbers, students = facts["pdf_numbers"], facts["student_ids"]

    def search(c, i):
        c.request("POST", "/search/", {"csrf_token": c.token, "q": SEARCH_WORDS[i % 8]})

    def flow(pair, i):
        aca, tea = pair
        made = aca.post("/handovers/new/F3", {**F3_FORM, "password": facts["passwords"]["aca"]})
        number = made["Location"].rstrip("/").rsplit("/", 1)[-1]
        tea.post(f"/handovers/{number}/countersign", {"password": facts["passwords"]["tea"]})

    out += [
        ("inbox (待接收, /handovers/?status=submitted) · aca", ("aca",),
         lambda c, i: c.get("/handovers/?status=submitted")),
        ("/handovers/ page 1 · aca", ("aca",), lambda c, i: c.get("/handovers/")),
        ("/handovers/?page=500 · aca", ("aca",), lambda c, i: c.get("/handovers/?page=500")),
        ("/handovers/ page 1 · sup (every handover)", ("sup",),
         lambda c, i: c.get("/handovers/")),
        ("new-handover form F2 · enr", ("enr",), lambda c, i: c.get("/handovers/new/F2")),
        ("search (one word) · aca", ("aca",), search),
        ("student page · aca", ("aca",),
         lambda c, i: c.get(f"/students/{rng.choice(students)}")),
        ("signed PDF download · aca", ("aca",),
         lambda c, i: c.get(f"/handovers/{rng.choice(numbers)}/pdf")),
        ("create→sign→countersign F3 (2 requests) · aca→tea", ("aca", "tea"), flow),
    ]
    return out


def facts_of(env: dict) -> dict:
    """Handover numbers aca may download, student ids, from the database itself."""
    code = (
        "import json\n"
        "from sqlalchemy import select\n"
        "from webapp import create_app\n"
        "from webapp.db import get_db\n"
        "from records.handovers import Handover\n"
        "from records.students import Student\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    db = get_db()\n"
        "    n = list(db.scalars(select(Handover.number).where(Handover.status == 'completed',"
        " Handover.receiver_dept == 'ACA').order_by(Handover.id.desc()).limit(500)))\n"
        "    s = list(db.scalars(select(Student.id).order_by(Student.id.desc()).limit(2000)))\n"
        "    print(json.dumps({'pdf_numbers': n, 'student_ids': s}))\n")
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True,
                          text=True, check=True)
    import json

    return json.loads(done.stdout.strip().splitlines()[-1])


# -- one database -----------------------------------------------------------------------------


def run_database(name: str, url: str | None, args, hello_port: int, work: Path) -> dict:
    instance = work / f"instance-{name}"
    env = env_for(instance, url)
    handover(env, "init", "--demo")
    out, demo_s = handover(env, "demo", "--scale", str(args.n))
    passwords = dict(re.findall(r"^  (\w+) +(\S+)$", out, re.M))
    stages = re.search(r"各阶段用时（秒）：(.*)", out)
    made = re.search(r"已生成 \d+ 份交接单.*", out)
    _, reindex_s = handover(env, "reindex")
    facts = {**facts_of(env), "passwords": passwords}
    server = Served("webapp:create_app()", env, ROOT, work / f"gunicorn-{name}.log")
    rows = []
    try:
        hello = {c: loadgen.measure([loadgen.Client(hello_port) for _ in range(c)],
                                    lambda cl, i: cl.get("/"), seconds=args.seconds,
                                    max_per_client=args.max_requests * 10) for c in CLIENTS}
        pools: dict[str, list] = {}
        for title, logins, step in scenarios(facts):
            if args.only and not re.search(args.only, title):
                continue
            cells = []
            for clients in CLIENTS:
                groups = []
                for login in logins:
                    pool = pools.setdefault(login, [])
                    if len(pool) < clients:
                        pool += sessions(server.port, login, passwords[login],
                                         clients - len(pool))
                    groups.append(pool[:clients])
                clients_of = list(zip(*groups, strict=True)) if len(logins) > 1 else groups[0]
                step(clients_of[0], 0)  # warm-up, not counted
                seconds, per_client = args.seconds, args.max_requests
                if title.startswith("create→sign→countersign") and clients == CLIENTS[0] \
                        and args.flows:  # the target: this many flows at 16 clients, 0 errors
                    seconds, per_client = 3600, math.ceil(args.flows / clients)
                result = loadgen.measure(clients_of, step, seconds=seconds,
                                         max_per_client=per_client)
                cells.append(result)
                print(f"  {name} {title} @{clients}: {result.rate:.1f}/s p50 "
                      f"{result.median * 1000:.0f} ms p95 {result.pct(95) * 1000:.0f} ms, "
                      f"{result.errors} errors {result.first_error}", flush=True)
            rows.append((title, cells))
    finally:
        server.stop()
    log = server.log.read_text(encoding="utf-8", errors="replace")
    problems = {"tracebacks": log.count("Traceback"),
                "SQLite 'database is locked'": log.count("database is locked"),
                "worker timeouts (120 s)": log.count("WORKER TIMEOUT")}
    return {"problems": problems, "name": name, "demo_s": demo_s, "reindex_s": reindex_s,
            "stages": stages.group(1) if stages else "", "made": made.group(0) if made else "",
            "hello": hello, "rows": rows, "size": _size(instance) if url is None else None}


def _size(instance: Path) -> str:
    db = instance / "handover.sqlite3"
    return f"{db.stat().st_size / 2**20:,.0f} MiB" if db.exists() else ""


# -- the report -------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return "–" if math.isnan(seconds) else f"{seconds * 1000:,.0f}"


def table(section: dict) -> list[str]:
    head = "| what |" + "".join(f" {c} clients: per s | p50 ms | p95 ms | p99 ms | vs hello |"
                                for c in CLIENTS)
    lines = [head, "|---|" + "---:|" * 5 * len(CLIENTS)]
    hello = section["hello"]
    lines.append("| bare Flask hello (reference) |" + "".join(
        f" {hello[c].rate:,.0f} | {ms(hello[c].median)} | {ms(hello[c].pct(95))} | "
        f"{ms(hello[c].pct(99))} | 1 |" for c in CLIENTS))
    for title, cells in section["rows"]:
        row = f"| {title} |"
        for clients, r in zip(CLIENTS, cells, strict=True):
            errors = f" ({r.errors} errors)" if r.errors else ""
            row += (f" {r.rate:,.1f}{errors} | {ms(r.median)} | {ms(r.pct(95))} | "
                    f"{ms(r.pct(99))} | {r.rate / hello[clients].rate:.4f} |")
        lines.append(row)
    return lines


def commit() -> str:
    def git(*a):
        return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout
    head = git("rev-parse", "--short", "HEAD").strip()
    dirty = " (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") \
        else ""
    return f"{head}{dirty}: {git('log', '-1', '--format=%s').strip()[:90]}"


def report(args, sections: list[dict], began: datetime, load_before: float) -> str:
    command = "python bench/web.py " + " ".join(sys.argv[1:])
    out = [
        "## Web pages under load (gunicorn, 2 workers)", "",
        f"Command: `.venv/bin/{command.strip()}` from {began:%Y-%m-%d %H:%M} UTC to "
        f"{datetime.now(UTC):%H:%M} UTC, on commit {commit()}.", "",
        f"Machine: {os.cpu_count()} cores shared by the server, the load generator and other "
        f"jobs (load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after), Python "
        f"{platform.python_version()}, gunicorn {metadata.version('gunicorn')} (2 sync workers, "
        f"as docs/operations.md serves it), Flask {metadata.version('flask')}, SQLAlchemy "
        f"{metadata.version('sqlalchemy')}. The load generator (bench/loadgen.py) runs one "
        "thread per client with its own keep-alive connection and its own signed-in session; "
        f"each cell ran {args.seconds:g} s (or {args.max_requests} steps per client), except "
        f"the create→sign→countersign flow at 16 clients, which ran until {args.flows:,} flows "
        "were done (0 = timed like the others); a step "
        "under way at the end finishes and counts, so the rate is steps over the time to the "
        "last one. \"vs hello\" divides by the bare Flask app's rate at the same number of "
        "clients in the same run; on 2 shared cores the hello figure is bounded by the Python "
        "load generator as much as by gunicorn.", "",
    ]
    for s in sections:
        out += [f"### {s['name']}: {args.n:,} synthetic handovers", "",
                f"`handover demo --scale {args.n}` took {s['demo_s']:.0f} s including the "
                f"demo itself (14 handovers signed and countersigned); {s['made']}",
                f"Stages: {s['stages']}. `handover reindex` took {s['reindex_s']:.0f} s."
                + (f" Database file: {s['size']}." if s["size"] else ""),
                "Server log: " + ", ".join(f"{k} {v}" for k, v in s["problems"].items()) + ".",
                ""]
        out += table(s) + [""]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000, help="synthetic handovers")
    parser.add_argument("--seconds", type=float, default=4, help="per measurement")
    parser.add_argument("--max-requests", type=int, default=300, help="per client and cell")
    parser.add_argument("--flows", type=int, default=1000,
                        help="create→sign→countersign flows to complete at 16 clients (0: timed)")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--only", help="only scenarios whose title matches this regex")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks" / "web.md"),
                        help="Markdown section to write ('-' prints it)")
    args = parser.parse_args()
    began, load_before = datetime.now(UTC), os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="bench-web-"))
    (work / "hello.py").write_text(HELLO, encoding="utf-8")
    hello = Served("hello:app", env_for(work / "unused", None), work, work / "hello.log")
    schema = None
    sections = []
    try:
        if args.db in ("sqlite", "both"):
            sections.append(run_database("SQLite", None, args, hello.port, work))
        if args.db in ("postgresql", "both"):
            from sqlalchemy import create_engine, text

            schema = "bench_web_" + secrets.token_hex(4)
            admin = create_engine(PG_BASE)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = f"{PG_BASE}?options=-csearch_path%3D{schema}"
            sections.append(run_database("PostgreSQL", url, args, hello.port, work))
    finally:
        hello.stop()
        if schema:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
        shutil.rmtree(work, ignore_errors=True)
    text_out = report(args, sections, began, load_before)
    if args.out == "-":
        print(text_out)
        return
    out = Path(args.out)
    out.write_text(text_out, encoding="utf-8")
    if out.resolve().parent == ROOT / "docs" / "benchmarks":
        subprocess.run([sys.executable, str(ROOT / "bench" / "collect.py")], check=True)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
