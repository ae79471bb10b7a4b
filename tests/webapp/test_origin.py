"""Traceable access (issue 12 deliverable 6): every ledger entry says whether it came from a
web request (with the client's address, as the trusted proxy setting gives it) or from the
command line (with the operating-system user), and `handover audit show` filters by them."""

from __future__ import annotations

import json
import os
import pwd
import re

import pytest

from tests.conftest import make_app


@pytest.fixture
def proxied_app(tmp_path, instance_template):
    app = make_app(tmp_path / "instance", instance_template, TRUSTED_PROXIES=1)
    yield app
    app.extensions["handover"].close()


def _sign_in_from(app, address, login, password):
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    return client.post("/login", headers={"X-Forwarded-For": address},
                       data={"csrf_token": token, "login": login, "password": password})


def test_web_and_cli_entries_carry_their_origin_and_can_be_filtered(proxied_app):
    app = proxied_app
    runner = app.test_cli_runner()
    added = runner.invoke(args=["user", "add", "wang", "--name", "王老师", "--dept", "ENR",
                                "--password-stdin"], input="Passw0rd-origin\n")
    assert added.exit_code == 0, added.output
    assert _sign_in_from(app, "203.0.113.7", "wang", "Passw0rd-origin").status_code == 302
    assert _sign_in_from(app, "198.51.100.9", "wang", "wrong-password-1").status_code == 401

    me = pwd.getpwuid(os.getuid()).pw_name
    ledger = app.extensions["handover"].ledger
    by_action = {(e.action, e.outcome): e.origin for e in ledger.entries()}
    assert by_action[("staff.add", "ok")] == {"channel": "cli", "os_user": me}
    assert by_action[("auth.login", "ok")] == {"channel": "web", "address": "203.0.113.7"}
    assert by_action[("auth.login", "failed")] == {"channel": "web",
                                                   "address": "198.51.100.9"}

    def show(*args):
        result = runner.invoke(args=["audit", "show", "--json", *args])
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.output.splitlines()]

    assert [e["action"] for e in show("--channel", "cli", "--os-user", me)] == ["staff.add"]
    from_address = show("--address", "198.51.100.9")
    assert [(e["action"], e["outcome"]) for e in from_address] == [("auth.login", "failed")]
    assert {e["origin"]["channel"] for e in show("--channel", "web")} == {"web"}
    assert show("--os-user", "nobody-here") == []
    text = runner.invoke(args=["audit", "show", "--address", "203.0.113.7"]).output
    assert "web 203.0.113.7" in text
    bad = runner.invoke(args=["audit", "show", "--channel", "phone"])
    assert bad.exit_code != 0
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output


def test_without_a_trusted_proxy_the_forwarded_header_is_not_believed(app, add_staff):
    login, password = add_staff("li")
    assert _sign_in_from(app, "203.0.113.7", login, password).status_code == 302
    ledger = app.extensions["handover"].ledger
    origin = [e.origin for e in ledger.entries(action="auth.login")][-1]
    assert origin == {"channel": "web", "address": "127.0.0.1"}
