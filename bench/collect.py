"""Collect the sections each benchmark wrote (docs/benchmarks/<name>.md) into
docs/benchmarks.md, so that one page shows every measured figure with its command.

    .venv/bin/python bench/collect.py      (`make bench` runs it after the benchmarks)
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORDER = ["vault", "ledger", "cli", "pdf", "search"]

HEADER = """# Benchmarks

Speed is measured here, never in timed tests. Each benchmark compares against a reference
measured in the same run on the same machine (raw AES-GCM for the vault, the previous append
protocol for the ledger, a bare WeasyPrint render for the PDF pipeline, the bare Whoosh query
for search) and writes its section with the command that produced it; `make bench` runs them
all and regenerates this page (`bench/collect.py`). The machines are 2-core virtual machines,
often shared with other work: compare the ratios more than the absolute times.
"""


def main() -> None:
    parts = ROOT / "docs" / "benchmarks"
    names = ORDER + sorted(p.stem for p in parts.glob("*.md") if p.stem not in ORDER)
    sections = [(parts / f"{n}.md").read_text(encoding="utf-8").strip()
                for n in names if (parts / f"{n}.md").exists()]
    out = ROOT / "docs" / "benchmarks.md"
    out.write_text(HEADER + "\n" + "\n\n".join(sections) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(sections)} sections)")


if __name__ == "__main__":
    main()
