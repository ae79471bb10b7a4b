"""The `handover` command line: init, demo, user management; bad input exits non-zero."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_init_is_idempotent_and_never_overwrites_keys(app, runner):
    instance = Path(app.instance_path)
    keys = {p: p.read_bytes() for p in (instance / "keys").rglob("*") if p.is_file()}
    secret = (instance / "secret_key").read_bytes()
    assert keys, "init made no keys"
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0 and "无需改动" in result.output
    assert {p: p.read_bytes() for p in keys} == keys
    assert (instance / "secret_key").read_bytes() == secret
    assert oct((instance / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_demo_is_idempotent_and_prints_logins(runner):
    """The demo also carries one handover of every kind from draft to countersigned: the
    whole pipeline (render, sign, timestamp, countersign, vault) once per kind."""
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "已生成 19 份示例交接单" in first.output
    for login in ["enr", "aca", "tea", "fin", "arc", "log", "mgt", "sup", "admin"]:
        assert f"  {login} " in first.output
    assert "查看审批示例 #1" in first.output  # policy C3: a grant narrower than the request
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and "示例交接单" not in second.output
    assert "查看审批示例" not in second.output
    assert second.output in first.output  # the same logins, nothing new made
    listed = runner.invoke(args=["list", "--as", "sup"]).stdout.splitlines()
    assert len(listed) == 19 and all("已完成" in line for line in listed)
    users = runner.invoke(args=["user", "list"]).output
    assert users.count("\n") == 9 and "管理员" in users and "负责人" in users


def test_user_add_list_disable_reset(runner):
    r = runner.invoke(args=["user", "add", "zhang.san", "--name", "张三", "--dept", "tea",
                            "--password-stdin"], input="Teacher-pass-1\n")
    assert r.exit_code == 0, r.output
    assert "张三（教学部）" in runner.invoke(args=["user", "list"]).output
    assert runner.invoke(args=["user", "disable", "zhang.san"]).exit_code == 0
    assert "停用" in runner.invoke(args=["user", "list"]).output
    r = runner.invoke(args=["user", "reset-password", "zhang.san", "--password-stdin"],
                      input="Teacher-pass-2\n")
    assert r.exit_code == 0


def test_user_bad_input_exits_non_zero_with_chinese_message(runner):
    r = runner.invoke(args=["user", "add", "x", "--name", "某", "--dept", "XYZ",
                            "--password-stdin"], input="Teacher-pass-1\n")
    assert r.exit_code != 0 and "未知部门代码" in r.output
    r = runner.invoke(args=["user", "add", "li", "--name", "李四", "--dept", "ENR",
                            "--password-stdin"], input="short\n")
    assert r.exit_code == 1 and "密码至少" in r.output
    r = runner.invoke(args=["user", "disable", "nobody"])
    assert r.exit_code == 1 and "未找到用户" in r.output
    assert "Traceback" not in r.output


def test_console_script_is_the_flask_group(tmp_path):
    env = {**os.environ, "HANDOVER_INSTANCE": str(tmp_path / "inst")}
    bindir = Path(sys.executable).parent
    out = subprocess.run([bindir / "handover", "--help"], env=env, capture_output=True,
                         text=True, check=True).stdout
    for command in ("init", "demo", "serve", "user"):
        assert command in out
    r = subprocess.run([bindir / "handover", "user", "list"], env=env, capture_output=True,
                       text=True)
    assert r.returncode != 0 and "handover init" in r.stderr


def test_serve_answers_on_loopback(app, tmp_path):
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "HANDOVER_INSTANCE": app.instance_path}
    server = subprocess.Popen([Path(sys.executable).parent / "handover", "serve", "--port",
                               str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "handover serve did not answer"
                time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as r:
            assert "登录" in r.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()


def test_a_first_init_needs_the_school_name_and_address(tmp_path):
    """issue 11: the school's name goes into its root CA for good, so a new school's first
    init refuses until config.toml names it (a demo says --demo)."""
    from webapp import create_app

    app = create_app({"INSTANCE": tmp_path / "new", "PASSWORD_HASH_COST": "low"})
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["init"])
    assert refused.exit_code == 1 and "school_name" in refused.output
    assert "base_url" in refused.output and not (tmp_path / "new" / "pki").exists()
    app.extensions["handover"].close()
    (tmp_path / "new").mkdir(exist_ok=True)
    (tmp_path / "new" / "config.toml").write_text(
        'school_name = "启明培训学校"\nbase_url = "https://handover.qiming.edu.cn"\n',
        encoding="utf-8")
    named = create_app({"INSTANCE": tmp_path / "new", "PASSWORD_HASH_COST": "low"})
    done = named.test_cli_runner().invoke(args=["init"])
    assert done.exit_code == 0, done.output
    from cryptography import x509

    root = x509.load_pem_x509_certificate((tmp_path / "new" / "pki" / "ca.pem").read_bytes())
    assert "启明培训学校" in root.subject.rfc4514_string()
    named.extensions["handover"].close()
