"""Start-up benchmark: wall time of `handover --help` and of one command without PDFs, what
they import, and the web application's start and first page, each in fresh processes. Writes a
Markdown section to docs/benchmarks/cli.md.

    .venv/bin/python bench/cli.py [--runs 15] [--compare DIR] [--out docs/benchmarks/cli.md]

References in the same run: the bare interpreter (`python -c pass`) and `import flask,
sqlalchemy` (what any command of a Flask + SQLAlchemy application pays). `--compare DIR` runs
the same measurements on another source tree, e.g. an earlier commit exported with
`git archive REV | tar -x -C DIR`, interleaved with this one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("weasyprint", "pyhanko", "jieba", "whoosh", "alembic")

CLI = """
import sys
sys.argv = ["handover", *sys.argv[1:]]
from webapp.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in HEAVY if m in sys.modules)), file=sys.stderr)
"""

WEB = """
import sys, time
t0 = time.perf_counter()
from webapp import create_app
app = create_app()
t1, c1 = time.perf_counter(), time.process_time()
status = app.test_client().get("/login").status_code
t2, c2 = time.perf_counter(), time.process_time()
assert status == 200, status
print(json.dumps([t1 - t0, t2 - t1, c2 - c1]), file=sys.stderr)
"""


def _python(code: str, args: list[str], tree: Path | None, instance: Path) -> tuple[float, str]:
    env = {**os.environ, "HANDOVER_INSTANCE": str(instance)}
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    prelude = f"import json\nHEAVY = {HEAVY!r}\n"
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", prelude + code, *args], env=env,
                          cwd=tree or ROOT, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stderr.strip().splitlines()[-1] if done.stderr else ""


def _median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1e3:,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--compare", type=Path, help="another source tree to measure alike")
    parser.add_argument("--compare-label", default="compared tree")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks" / "cli.md")
    args = parser.parse_args()
    trees = {"this tree": ROOT}
    if args.compare:
        trees = {args.compare_label: args.compare.resolve(), **trees}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="cli-bench-") as tmp:
        instance = Path(tmp) / "instance"
        _python(CLI, ["init"], ROOT, instance)  # keys, PKI and schema for the commands
        help_times: dict[str, list[float]] = {t: [] for t in trees}
        list_times: dict[str, list[float]] = {t: [] for t in trees}
        web_times: dict[str, list[list[float]]] = {t: [] for t in trees}
        loaded: dict[str, tuple[str, str]] = {}
        bare, flask = [], []
        for _ in range(args.runs):  # interleaved, so that the machine's load hits all alike
            bare.append(_python("", [], None, instance)[0])
            flask.append(_python("import flask, sqlalchemy", [], None, instance)[0])
            for label, tree in trees.items():
                seconds, help_mods = _python(CLI, ["--help"], tree, instance)
                help_times[label].append(seconds)
                seconds, list_mods = _python(CLI, ["user", "list"], tree, instance)
                list_times[label].append(seconds)
                loaded[label] = (help_mods, list_mods)
                web_times[label].append(json.loads(_python(WEB, [], tree, instance)[1]))
    load = os.getloadavg()[0]
    command = "`.venv/bin/python bench/cli.py"
    if args.runs != 15:
        command += f" --runs {args.runs}"
    if args.compare:
        command += f" --compare DIR --compare-label '{args.compare_label}'"
    command += "`"
    lines = [
        "## Start-up of the command line and the web application",
        "",
        f"Command: {command} on {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {load_before:.1f} before and {load:.1f} "
        f"after (the machine is shared). Medians of {args.runs} fresh processes each, all "
        "measurements interleaved; the instance is initialised (keys, PKI, schema).",
        "",
        "| what | " + " | ".join(trees) + " |",
        "| --- |" + " ---: |" * len(trees),
        "| `handover --help`, wall ms | "
        + " | ".join(_median_ms(help_times[t]) for t in trees) + " |",
        "| heavy modules it loads | "
        + " | ".join(", ".join(json.loads(loaded[t][0])) or "none" for t in trees) + " |",
        "| `handover user list`, wall ms | "
        + " | ".join(_median_ms(list_times[t]) for t in trees) + " |",
        "| heavy modules it loads | "
        + " | ".join(", ".join(json.loads(loaded[t][1])) or "none" for t in trees) + " |",
        "| web app: imports and `create_app()`, ms | "
        + " | ".join(_median_ms([w[0] for w in web_times[t]]) for t in trees) + " |",
        "| web app: first page (`GET /login`), wall ms | "
        + " | ".join(_median_ms([w[1] for w in web_times[t]]) for t in trees) + " |",
        "| web app: first page, CPU ms | "
        + " | ".join(_median_ms([w[2] for w in web_times[t]]) for t in trees) + " |",
        "",
        f"References in the same run: bare interpreter start {_median_ms(bare)} ms; "
        f"`import flask, sqlalchemy` {_median_ms(flask)} ms. \"Heavy modules\" are those of "
        f"{', '.join(HEAVY)}.",
        "",
    ]
    if args.compare:
        lines[3:3] = [f"DIR: {args.compare_label}, exported with `git archive REV | tar -x -C "
                      "DIR` and measured alike, interleaved with this tree.", ""]
    lines += [
        "Reading the figures: a command runs in the application without its pages and "
        "imports the PDF stack, the search engine or Alembic only where it uses them, so "
        "its start is Flask, SQLAlchemy and the project's own modules. The web application "
        "still imports everything at start (the pages need the PDF stack, and the first "
        "search should not wait for the engine): its start and first page are the "
        "reference for \"no slower than before\".",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if str(args.out) != "-":
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
