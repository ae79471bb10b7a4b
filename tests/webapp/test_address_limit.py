"""The per-address sign-in limit (issue 12: "100 different names guessed from one address, all
checked"): one address that guesses many names, each once, is refused with 429 and a Chinese
message; other addresses are not; the address is the one the trusted proxy setting gives."""

from __future__ import annotations

import re

import pytest

from tests.conftest import make_app


@pytest.fixture
def proxied_app(tmp_path, instance_template):
    app = make_app(tmp_path / "instance", instance_template, TRUSTED_PROXIES=1)
    yield app
    app.extensions["handover"].close()


def _attempt(client, address, login, password):
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    return client.post("/login", headers={"X-Forwarded-For": address},
                       data={"csrf_token": token, "login": login, "password": password})


def test_a_hundred_names_from_one_address_are_limited(proxied_app, passwords):
    from tests.conftest import _add_staff

    login, password = _add_staff(proxied_app, passwords, "zhao")
    client = proxied_app.test_client()
    statuses = [_attempt(client, "203.0.113.7", f"name{i:03d}", "Guess-password-1").status_code
                for i in range(100)]
    assert statuses[:30] == [401] * 30  # LOGIN_ADDRESS_MAX_FAILURES, default 30
    assert statuses[30:] == [429] * 70
    refused = _attempt(client, "203.0.113.7", login, password)  # even the right password
    assert refused.status_code == 429
    assert "来自您所在网络地址的登录失败次数过多" in refused.get_data(as_text=True)
    assert _attempt(client, "198.51.100.9", login, password).status_code == 302

    entries = list(proxied_app.extensions["handover"].ledger.entries(action="auth.login"))
    limited = [e for e in entries if e.outcome == "address_limited"]
    assert len(limited) == 71
    assert {e.origin["address"] for e in limited} == {"203.0.113.7"}


def test_the_limit_is_a_setting(tmp_path, instance_template, passwords):
    app = make_app(tmp_path / "instance", instance_template, LOGIN_ADDRESS_MAX_FAILURES=0)
    try:
        client = app.test_client()
        statuses = {_attempt(client, "127.0.0.1", f"name{i:03d}", "Guess-password-1").status_code
                    for i in range(40)}
        assert statuses == {401}
    finally:
        app.extensions["handover"].close()
