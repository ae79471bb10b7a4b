"""The project as a package (issue 11): the wheel lists every package of the tree and carries
the templates, the static files and the migrations; installed into a clean virtual
environment (no checkout on the path) it initialises an instance and serves a page."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CODE = ("records", "search", "signing", "vault", "webapp")


def test_every_python_folder_is_a_listed_package():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {".".join(folder.relative_to(ROOT).parts)
             for top in CODE for folder in [ROOT / top, *(ROOT / top).rglob("*")]
             if folder.is_dir() and any(folder.glob("*.py"))
             and "__pycache__" not in folder.parts}
    assert found - listed == set(), "add these to [tool.setuptools] packages"
    assert "handover_templates" in listed


@pytest.mark.slow
def test_the_wheel_installs_in_a_clean_venv_and_serves_a_page(tmp_path):
    # built from a copy of the tracked files: a checkout's stale *.egg-info would otherwise
    # supply files that a clean clone's build leaves out
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True,
                             text=True).stdout.splitlines()
    source = tmp_path / "source"
    for name in tracked:
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels),
                    str(source)], check=True, capture_output=True)
    [wheel] = wheels.glob("handover_archive-*.whl")
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    wanted = {name.replace("templates/", "handover_templates/", 1) for name in tracked
              if name.split("/")[0] in (*CODE, "templates")}
    assert wanted - in_wheel == set(), "add these to [tool.setuptools.package-data]"
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True,
                   capture_output=True, timeout=900)
    script = """
import sys
from pathlib import Path
import webapp
assert "site-packages" in webapp.__file__, webapp.__file__
from webapp import create_app
app = create_app({"INSTANCE": sys.argv[1], "PASSWORD_HASH_COST": "low"})
with app.app_context():
    app.extensions["handover"].initialise()
r = app.test_client().get("/login")
assert r.status_code == 200 and "登录" in r.get_data(as_text=True), r.status_code
assert (Path(webapp.__file__).parent / "static" / "app.css").is_file()
assert app.test_client().get("/nowhere").status_code == 404  # the error page is there too
print("served")
"""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HANDOVER_INSTANCE")}
    served = subprocess.run([str(py), "-c", script, str(tmp_path / "instance")], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=300)
    assert served.returncode == 0 and "served" in served.stdout, served.stderr[-3000:]
    listed = subprocess.run([str(venv / "bin" / "handover"), "user", "list"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=120)
    # no default instance inside site-packages: the command names the setting it needs
    assert listed.returncode != 0 and "HANDOVER_INSTANCE" in listed.stderr + listed.stdout
