"""BASE_URL against where the server is reached (issue 14): the QR codes point at BASE_URL,
so a server reached elsewhere warns once in the log and on the administrator's home page."""

from __future__ import annotations

import logging

import pytest

from webapp.base_url_check import mismatch


@pytest.mark.parametrize("base, host, scheme, wrong", [
    ("http://127.0.0.1:5000", "192.168.1.20:8000", "http", True),
    ("http://127.0.0.1:5000", "localhost:5000", "http", False),  # loopback names are one
    ("https://handover.example.edu.cn", "handover.example.edu.cn", "https", False),
    ("https://handover.example.edu.cn", "handover.example.edu.cn:443", "https", False),
    ("https://handover.example.edu.cn", "10.0.0.5", "http", True),
    ("http://192.168.1.20:5000", "192.168.1.20:8080", "http", True),
])
def test_mismatch(base, host, scheme, wrong):
    assert (mismatch(base, host, scheme) is not None) is wrong


@pytest.fixture
def admin(app, add_staff, login_client):
    login, password = add_staff("root", depts=("MGT",), name="管理员", admin=True)
    return login_client(login, password)


def test_a_server_reached_elsewhere_warns_once(app, add_staff, passwords, caplog):
    login, password = add_staff("root", depts=("MGT",), name="管理员", admin=True)
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="handover.web"):
        client.get("/login", base_url="http://192.168.1.20:8000")
        client.get("/login", base_url="http://192.168.1.20:8000")
    warned = [r for r in caplog.records if "BASE_URL mismatch" in r.getMessage()]
    assert len(warned) == 1 and "192.168.1.20:8000" in warned[0].getMessage()
    # the administrator sees it on the home page
    import re

    html = client.get("/login", base_url="http://192.168.1.20:8000").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    client.post("/login", base_url="http://192.168.1.20:8000",
                data={"csrf_token": token, "login": login, "password": password})
    home = client.get("/", base_url="http://192.168.1.20:8000").get_data(as_text=True)
    assert 'id="base-url-warning"' in home and "http://127.0.0.1:5000" in home


def test_a_server_reached_at_base_url_says_nothing(app, admin, caplog):
    with caplog.at_level(logging.WARNING, logger="handover.web"):
        home = admin.get("/").get_data(as_text=True)
    assert 'id="base-url-warning"' not in home
    assert not [r for r in caplog.records if "BASE_URL" in r.getMessage()]
