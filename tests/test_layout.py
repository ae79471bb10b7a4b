"""The direction of dependencies (DESIGN.md): libraries read no environment and import neither
Flask nor the packages above them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "vault": {"flask", "webapp", "records", "signing", "search"},
    "signing": {"flask", "webapp", "records", "vault", "search"},
    "search": {"flask", "webapp", "records", "vault", "signing"},
    "records": {"flask", "webapp"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_library_dependencies_point_down(package):
    for path in (ROOT / package).rglob("*.py"):
        bad = _imports(path) & FORBIDDEN[package]
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_libraries_never_read_the_environment(package):
    for path in (ROOT / package).rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for needle in ("os.environ", "getenv(", "current_app"):
            assert needle not in text, f"{path.relative_to(ROOT)} uses {needle}"
