"""Light processes (issue 10): `handover --help` and the commands that make no PDF and do not
search start without WeasyPrint, pyHanko, jieba, Whoosh or Alembic; `--version` is ours.

Each command runs in a fresh interpreter on this source tree (not an installed copy), which
then names the heavy modules it has loaded.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("weasyprint", "pyhanko", "jieba", "whoosh", "alembic")

RUN_CLI = f"""
import sys
sys.argv = ["handover", *sys.argv[1:]]
from webapp.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
loaded = sorted(m for m in {HEAVY!r} if m in sys.modules)
print("LOADED:" + ",".join(loaded), file=sys.stderr)
sys.exit(code)
"""


def _handover(args: list[str], instance: Path) -> tuple[subprocess.CompletedProcess, list[str]]:
    env = {**os.environ, "HANDOVER_INSTANCE": str(instance), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", RUN_CLI, *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    marker = [line for line in done.stderr.splitlines() if line.startswith("LOADED:")]
    assert marker, done.stderr
    return done, [m for m in marker[-1].removeprefix("LOADED:").split(",") if m]


def test_help_loads_no_pdf_stack_search_engine_or_alembic(tmp_path: Path):
    done, loaded = _handover(["--help"], tmp_path / "instance")
    assert done.returncode == 0, done.stderr
    assert "student" in done.stdout and "audit" in done.stdout and "serve" in done.stdout
    assert loaded == []


@pytest.mark.parametrize("args", [
    ["user", "list"],
    ["audit", "verify"],
    ["audit", "show", "--action", "auth.login"],
    ["student", "--help"],
])
def test_commands_without_pdfs_load_none_of_them(app, args):
    done, loaded = _handover(args, Path(app.instance_path))
    assert done.returncode == 0, done.stderr
    assert loaded == []


def test_the_signing_stack_comes_in_where_it_is_used(app, tmp_path: Path):
    out = tmp_path / "root.pem"
    done, loaded = _handover(["pki", "ca-cert", str(out)], Path(app.instance_path))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert {"pyhanko", "weasyprint"} <= set(loaded) and "jieba" not in loaded


def test_version_is_the_projects(tmp_path: Path):
    done, _ = _handover(["--version"], tmp_path / "instance")
    assert done.returncode == 0
    assert done.stdout.strip() == f"handover-archive {metadata.version('handover-archive')}"
    assert "Flask" not in done.stdout
