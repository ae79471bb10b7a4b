"""docs/operations.md walked from top to bottom (issue 11): every ```sh block, in order, run by
bash in one session (`set -e`: the first failing command fails the test, naming its block), in a
fresh copy of the tracked files, against a new instance in a temporary folder; every ```toml
block is written where the text before it says (the holiday supplement).

What cannot run here is listed below, each with its reason: commands replaced by a shell
function that only says it was skipped (SKIPPED), and text rewritten before running
(SUBSTITUTED: system paths, the service user, the missing terminal). Each entry must be used by
the walk, so a stale one fails the test. Besides the docs, the walk adds one step (EXTRA): a
little school data for the example commands to act on."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = "docs/operations.md"

#: command -> why the walk does not run it (it becomes a function printing "skipped: ...").
SKIPPED = {
    "make": "installs Debian packages with apt and a venv from PyPI (root, network, minutes); "
            "the walk runs the copy's code with this Python, and tests/test_packaging.py "
            "builds and installs the wheel in a clean venv",
    "useradd": "creates a system user: needs root",
    "systemctl": "no service manager in a test; the unit file is checked with "
                 "`systemd-analyze verify` where that exists",
    "journalctl": "no journal here, and -f follows it forever",
    "nginx": "not installed here, and `nginx -t` would need the site's TLS certificate files; "
             "the site file is copied and linked as the docs say",
    "curl": "nothing listens at the school's public address; /healthz is tested in "
            "tests/webapp/test_observability.py",
    "git": "`git pull`: a test copy has no upstream; the walk already runs this release",
}

#: (pattern, replacement, why) applied to each line of a block before it runs.
SUBSTITUTED = [
    (r"(?<![\w$])/(var/lib/handover|srv|backups|var/backups|media/usb|etc/systemd/system|"
     r"etc/nginx)\b", r"$WALK/\1",
     "system paths: the walk runs unprivileged, below a temporary folder"),
    (r"(/opt/handover/|(?<![\w/])\.)venv/bin/handover\b|/opt/handover/\.venv/bin/handover",
     "handover", "no venv in the copy (`make install-prod` is skipped): `handover` runs the "
     "copy's code with this Python"),
    (r"/opt/handover\b", "$CLONE", "the code lives in the fresh copy"),
    (r"sudo -u handover env\b", "env", "no service user: commands run as the test's user"),
    (r"install -d -o handover -g handover\b", "install -d", "no service user to own folders"),
    (r"(handover keys (?:export|import) \S+)", r'\1 --passphrase-file "$WALK/passphrase"',
     "no terminal to type the key backup's passphrase into"),
    (r"(handover user (?:add|reset-password) .*?)(\s*#.*)?$",
     r'\1 --password-stdin <<<"Walk-passw0rd-2026"\2',
     "no terminal to type a new password into"),
    (r"(--copy \"[^\"]*\")$", r'\1 --password-stdin <<<"$TEA_PASSWORD"',
     "`archive lend` asks the borrower's password: no terminal, so on standard input"),
    (r"handover calendar check\b", "handover calendar check || test $? = 1",
     "its exit status depends on today's date: 1 is its documented answer while a year "
     "within 60 days is provisional"),
    (r"\broster\.xlsx\b", '"$WALK/roster.xlsx"', "the school's roster: written by the seed"),
    (r"JJ-2026-000123", "$SEED_HANDOVER", "example numbers: those of the seeded data"),
    (r"XS-2026-00001", "$SEED_STUDENT_1", "example numbers: those of the seeded data"),
    (r"XS-2026-00002", "$SEED_STUDENT_2", "example numbers: those of the seeded data"),
    (r"DA-2026-0001", "$SEED_ARCHIVE", "example numbers: those of the seeded data"),
    (r"JY-2026-0001", "$SEED_LOAN", "example numbers: the loan the walk's `lend` made"),
]

#: Added after the block that first runs `handover init`, with why.
EXTRA = ("python -m tests.ops_seed: staff enr, aca, tea, arc and mgt, two students, one "
         "countersigned handover, one archive file and a roster file, for the example commands "
         "to act on (a new school has no data; `handover demo` would take a minute and a half)")
SEED = ('"$PYTHON" -m tests.ops_seed "$HANDOVER_INSTANCE" "$WALK/seed.env" "$WALK/roster.xlsx" '
        '&& set -a && . "$WALK/seed.env" && set +a')
#: After the unit file is copied: the check that stands in for starting it.
#: Any complaint but the one about its ExecStart (gunicorn in /opt/handover, not installed
#: here) fails the walk.
UNIT_CHECK = ('if command -v systemd-analyze >/dev/null; then '
              'said=$(systemd-analyze verify "$WALK/etc/systemd/system/handover.service" 2>&1 '
              '| grep -v "/opt/handover/.venv/bin/gunicorn is not executable" || true); '
              'if [ -n "$said" ]; then echo "systemd-analyze: $said" >&2; exit 1; fi; fi')


def blocks(text: str) -> list[tuple[int, str, str]]:
    """(line number, info string, body) of every fenced block, in order."""
    found, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        match = re.match(r"^(\s*)```(\w*)\s*$", lines[i])
        if match:
            indent, info, start = len(match.group(1)), match.group(2), i + 1
            i += 1
            while not re.match(r"^\s*```\s*$", lines[i]):
                i += 1
            found.append((start, info, "\n".join(line[indent:] for line in lines[start:i])))
        i += 1
    return found


def walk_script(text: str) -> tuple[str, set[str]]:
    """The bash script of the walk, and which SKIPPED and SUBSTITUTED entries it used."""
    used: set[str] = set()
    parts, seeded = [], False
    for line_no, info, body in blocks(text):
        if info == "toml":  # the holiday supplement (the only toml block)
            parts.append(f'cat > "$HANDOVER_INSTANCE/calendar.toml" <<\'TOML\'\n{body}\nTOML')
            continue
        if info != "sh":
            continue
        out = []
        for line in body.splitlines():
            for pattern, replacement, _ in SUBSTITUTED:
                line, count = re.subn(pattern, replacement, line)
                if count:
                    used.add(pattern)
            out.append(line)
        lines = "\n".join(out)
        used |= {cmd for cmd in SKIPPED if re.search(rf"(^|[;&|(]\s*|\s){cmd}\s", lines,
                                                      re.M)}
        parts.append(f'echo "=== {DOC} block at line {line_no}" >&2\n{lines}')
        if "handover.service" in lines:
            parts.append(UNIT_CHECK)
        if not seeded and re.search(r"\bhandover init\b", lines):
            parts.append(SEED)
            seeded = True
    assert seeded, "the walk found no `handover init` to seed after"
    skip_functions = "\n".join(
        f'{cmd}() {{ echo "skipped: {cmd} $*" >&2; }}' for cmd in SKIPPED)
    return "set -euo pipefail\n" + skip_functions + "\n" + "\n".join(parts) + "\n", used


def _fresh_copy(dest: Path) -> Path:
    """The tracked files, as a fresh clone has them, and the template shim the checkout uses."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True,
                             text=True).stdout.splitlines()
    for name in tracked:
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    (dest / ".tpl").mkdir()
    (dest / ".tpl" / "handover_templates").symlink_to("../templates")
    return dest


@pytest.mark.slow
def test_operations_doc_runs_from_top_to_bottom(tmp_path):
    clone = _fresh_copy(tmp_path / "clone")
    script, used = walk_script((clone / DOC).read_text(encoding="utf-8"))
    unused = [c for c in SKIPPED if c not in used] + \
        [p for p, _, _ in SUBSTITUTED if p not in used]
    assert not unused, f"listed but not in the docs any more: {unused}"

    walk = tmp_path / "walk"
    for folder in ("srv", "backups", "var/backups", "var/lib", "media/usb", "etc/systemd/system",
                   "etc/nginx/sites-available", "etc/nginx/sites-enabled", "bin"):
        (walk / folder).mkdir(parents=True)
    (walk / "passphrase").write_text("rain on the west lake 2026\n", encoding="utf-8")
    shim = walk / "bin" / "handover"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -c '
                    '"import sys; from webapp.cli import main; sys.argv[0] = \'handover\'; '
                    'main()" "$@"\n')
    shim.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOVER_")}
    env.update(WALK=str(walk), CLONE=str(clone), PYTHON=sys.executable,
               PATH=f"{walk / 'bin'}:{env['PATH']}",
               PYTHONPATH=f"{clone / '.tpl'}:{clone}")
    (tmp_path / "walk.sh").write_text(script, encoding="utf-8")
    result = subprocess.run(["bash", str(tmp_path / "walk.sh")], cwd=clone, env=env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, (
        f"exit {result.returncode}; the last block started:\n{result.stderr[-4000:]}\n"
        f"stdout:\n{result.stdout[-2000:]}")
    skipped = re.findall(r"^skipped: (\w+)", result.stderr, re.M)
    assert set(skipped) == set(SKIPPED), skipped
    # nothing the walk stored holds a control character: an escaped one is a broken format
    assert "\\u00" not in result.stdout, result.stdout
