"""Pages in process at scale: each page of each role served by the application itself (Flask's
test client, no HTTP server), on an instance made by `handover demo --scale N`, with a bare
Flask "hello" app measured the same way in the same run as the reference.

    .venv/bin/python bench/pages.py --n 100000                       # makes the instance (long)
    .venv/bin/python bench/pages.py --instance DIR --demo-log FILE   # an instance already made
    .venv/bin/python bench/pages.py --n 2000 --runs 5 --out -        # a quick look

For each page: wall and CPU milliseconds (median and p95 of --runs requests after one warm-up),
the SQL statements it runs and the private values it decrypts (counted as
tests/webapp/test_page_cost.py counts them). CPU time is the process's own: on SQLite it
includes the database's work, on PostgreSQL the server's work is in the wall time only. The
machine is often shared, so wall time is reported with the load average; CPU time is the figure
a server with a free core would see. Issue 10's target: p95 <= 150 ms in process, statements
<= 20 per page. Writes docs/benchmarks/pages.md (and regenerates docs/benchmarks.md) unless
--out says otherwise.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after the packages: bench/vault.py is no package

import loadgen  # noqa: E402  (bench/ is not a package)

TARGET_MS, MOST_STATEMENTS = 150, 20
ROLES = ("enr", "aca", "tea", "fin", "arc", "log", "mgt", "sup", "admin")
CLI = [sys.executable, "-c", "from webapp.cli import main; main()"]


def make_instance(folder: Path, n: int, database_url: str | None) -> tuple[str, dict]:
    """`handover init --demo`, `demo --scale n`, `reindex`; the demo's output and timings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOVER_")}
    env.update(PYTHONPATH=str(ROOT), HANDOVER_INSTANCE=str(folder), HANDOVER_LOG_LEVEL="WARNING")
    if database_url:
        env["HANDOVER_DATABASE_URL"] = database_url
    took = {}
    output = ""
    for step in (("init", "--demo"), ("demo", "--scale", str(n)), ("reindex",)):
        began = time.perf_counter()
        done = subprocess.run([*CLI, *step], env=env, cwd=ROOT, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"handover {' '.join(step)} failed:\n{done.stdout}\n{done.stderr}")
        took[step[0]] = time.perf_counter() - began
        output += done.stdout
    return output, took


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


class Counted:
    """SQL statements and decryptions while a block runs (as the page-cost test counts them)."""

    def __init__(self, app):
        from sqlalchemy import event

        self.event, svc = event, app.extensions["handover"]
        self.engine, self.cipher = svc.engine, svc.field_cipher
        self.statements = self.decryptions = 0

    def _count(self, *_args):
        self.statements += 1

    def __enter__(self):
        cipher = self.cipher

        def decrypt(token, *, context):
            self.decryptions += 1
            return type(cipher).decrypt(cipher, token, context=context)

        self.statements = self.decryptions = 0
        self.event.listen(self.engine, "before_cursor_execute", self._count)
        cipher.decrypt = decrypt
        return self

    def __exit__(self, *exc):
        self.event.remove(self.engine, "before_cursor_execute", self._count)
        del self.cipher.decrypt


def timed(request, runs: int, counted: Counted | None = None) -> dict:
    """A warm-up, then `runs` requests: wall and CPU ms; statements and decryptions of the last."""
    request()
    walls, cpus = [], []
    for i in range(runs):
        last = counted is not None and i == runs - 1
        wall, cpu = time.perf_counter(), time.process_time()
        if last:
            with counted:
                request()
        else:
            request()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    out = {"wall50": median(walls), "wall95": percentile(walls, 95),
           "cpu50": median(cpus), "cpu95": percentile(cpus, 95)}
    if counted is not None:
        out.update(statements=counted.statements, decryptions=counted.decryptions)
    return out


def hello_reference(runs: int) -> dict:
    from flask import Flask

    hello = Flask("hello")
    hello.add_url_rule("/", "hello", lambda: "hello")
    client = hello.test_client()
    return timed(lambda: client.get("/"), runs)


def signed_in(app, login: str, password: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = loadgen.TOKEN.search(page).group(1)
    answer = client.post("/login", data={"csrf_token": token, "login": login,
                                         "password": password})
    if answer.status_code not in (302, 303):
        raise SystemExit(f"signing in as {login} failed ({answer.status_code})")
    page = client.get("/account/password").get_data(as_text=True)
    client.form_token = loadgen.TOKEN.search(page).group(1)
    return client


def page_list(app) -> list[tuple[str, str, object]]:
    """(title, login, request(client)) for every page measured."""
    from sqlalchemy import func, or_, select

    from records.handovers import Handover
    from records.staff import Staff
    from records.students import Student

    with app.app_context():
        db = app.extensions["handover"].session_factory()
        aca = db.scalar(select(Staff.id).where(Staff.login == "aca"))
        number = db.scalar(select(Handover.number).where(  # one aca signed: content visible
            Handover.status == "completed", or_(Handover.sender_id == aca,
                                                Handover.receiver_id == aca))
            .order_by(Handover.id.desc()).limit(1))
        student = db.scalar(select(Student.id).order_by(Student.id.desc()).limit(1))
        app.config["BENCH_SIZE"] = (db.scalar(select(func.count(Handover.id))),
                                    db.scalar(select(func.count(Student.id))))
        db.close()

    def get(path):
        def request(client):
            answer = client.get(path)
            if answer.status_code != 200:
                raise SystemExit(f"{path}: {answer.status_code}")
        return request

    def search(client):
        answer = client.post("/search/", data={"csrf_token": client.form_token, "q": "英语"})
        if answer.status_code != 303:
            raise SystemExit(f"search: {answer.status_code}")
        if client.get(answer.headers["Location"]).status_code != 200:
            raise SystemExit("search results page did not answer 200")

    pages = [(f"home page · {role}", role, get("/")) for role in ROLES]
    pages += [
        ("inbox (/handovers/?list=inbox) · aca", "aca", get("/handovers/?list=inbox")),
        ("/handovers/ page 1 · aca", "aca", get("/handovers/")),
        ("/handovers/?page=500 · aca", "aca", get("/handovers/?page=500")),
        ("/handovers/ page 1 · sup (every handover)", "sup", get("/handovers/")),
        ("new-handover form F2 · enr", "enr", get("/handovers/new/F2")),
        ("search (one word, POST + results page) · aca", "aca", search),
        ("student page · aca", "aca", get(f"/students/{student}")),
        ("handover page · aca", "aca", get(f"/handovers/{number}")),
        ("signed PDF download · aca", "aca", get(f"/handovers/{number}/pdf")),
        ("students list · enr", "enr", get("/students/")),
        ("archive register · arc", "arc", get("/archive/")),
        ("supervision page · sup", "sup", get("/supervision/")),
    ]
    return pages


def measure(instance: Path, database_url: str | None, passwords: dict, runs: int) -> list:
    os.environ["HANDOVER_INSTANCE"] = str(instance)
    os.environ["HANDOVER_LOG_LEVEL"] = "WARNING"
    if database_url:
        os.environ["HANDOVER_DATABASE_URL"] = database_url
    from webapp import create_app

    app = create_app()
    counted = Counted(app)
    clients: dict[str, object] = {}
    rows = []
    for title, login, request in page_list(app):
        if login not in clients:
            clients[login] = signed_in(app, login, passwords[login])
        client = clients[login]
        rows.append((title, timed(lambda c=client, r=request: r(c), runs, counted)))
        print(f"  {title}: {rows[-1][1]}", flush=True)
    return rows, app.config["BENCH_SIZE"]


def report(args, rows, size, hello, took, began, load_before) -> str:
    command = "python bench/pages.py " + " ".join(sys.argv[1:])
    made = (f"`handover demo --scale {args.n}` took {took['demo']:.0f} s, `handover reindex` "
            f"{took['reindex']:.0f} s. " if took else "")
    out = [
        "## Pages in process at scale", "",
        f"Command: `.venv/bin/{command.strip()}` from {began:%Y-%m-%d %H:%M} UTC to "
        f"{datetime.now(UTC):%H:%M} UTC. {made}Machine: {os.cpu_count()} cores shared with other "
        f"jobs (load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after), Python "
        f"{platform.python_version()}, database: {args.db_label} with {size[0]:,} handovers and "
        f"{size[1]:,} students.", "",
        f"Each page: one warm-up, then {args.runs} requests through Flask's test client in one "
        "process; statements and decryptions counted on the last. The reference is a bare Flask "
        "hello measured the same way in the same run. Target (issue 10): p95 <= "
        f"{TARGET_MS} ms, <= {MOST_STATEMENTS} statements. CPU time is this process's own (with "
        "SQLite, the database's work is in it); wall time also holds waiting for the other jobs "
        "on the machine.", "",
        "| page | wall p50 ms | wall p95 ms | CPU p50 ms | CPU p95 ms | CPU p50 / hello | "
        "SQL statements | decryptions | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
        f"| bare Flask hello (reference) | {hello['wall50']:.2f} | {hello['wall95']:.2f} | "
        f"{hello['cpu50']:.2f} | {hello['cpu95']:.2f} | 1 | – | – | |",
    ]
    for title, r in rows:
        met = r["cpu95"] <= TARGET_MS and r["statements"] <= MOST_STATEMENTS
        out.append(f"| {title} | {r['wall50']:,.0f} | {r['wall95']:,.0f} | {r['cpu50']:,.0f} | "
                   f"{r['cpu95']:,.0f} | {r['cpu50'] / max(hello['cpu50'], 1e-3):,.0f} | "
                   f"{r['statements']} | {r['decryptions']} | {'met' if met else 'MISSED'} |")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100000, help="synthetic handovers to make")
    parser.add_argument("--instance", help="an instance already made by demo --scale")
    parser.add_argument("--demo-log", help="that demo's output (its passwords)")
    parser.add_argument("--database-url", help="the instance's database, if not its SQLite")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks" / "pages.md"))
    args = parser.parse_args()
    args.db_label = "PostgreSQL" if args.database_url else "SQLite"
    began, load_before = datetime.now(UTC), os.getloadavg()[0]
    took: dict = {}
    if args.instance:
        instance, demo_out = Path(args.instance), Path(args.demo_log).read_text(encoding="utf-8")
    else:
        instance = Path(tempfile.mkdtemp(prefix="bench-pages-"))
        demo_out, took = make_instance(instance, args.n, args.database_url)
    passwords = dict(re.findall(r"^  (\w+) +(\S+)$", demo_out, re.M))
    hello = hello_reference(args.runs * 5)
    rows, size = measure(instance, args.database_url, passwords, args.runs)
    text = report(args, rows, size, hello, took, began, load_before)
    if args.out == "-":
        print(text)
        return
    Path(args.out).write_text(text, encoding="utf-8")
    subprocess.run([sys.executable, str(ROOT / "bench" / "collect.py")], check=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
