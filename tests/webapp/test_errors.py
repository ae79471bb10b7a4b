"""Bad input gets a clear Chinese message and a 4xx, never a traceback."""

from __future__ import annotations

import re

import pytest
from flask import abort

from records.errors import NotFound, PermissionDenied


def csrf(client):
    html = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_404_page_is_chinese(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404
    assert "页面不存在" in r.get_data(as_text=True)


def test_json_clients_get_json(client):
    r = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.is_json and "不存在" in r.get_json()["error"]


def test_body_over_the_limit_is_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    r = client.post("/login", data={"login": "x" * 5000, "password": "y"})
    assert r.status_code == 413 and "过大" in r.get_data(as_text=True)


def test_invalid_utf8_is_400(client):
    token = csrf(client)
    body = f"csrf_token={token}&login=%FF%FEabc&password=secret123".encode()
    r = client.post("/login", data=body, content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400 and "UTF-8" in r.get_data(as_text=True)


@pytest.mark.parametrize(("data", "needle"), [
    ({"login": "", "password": "x"}, "请输入登录名"),
    ({"login": "a" * 65, "password": "x"}, "64"),
    ({"login": "abc"}, "请输入密码"),
])
def test_missing_or_oversize_fields_are_400(client, data, needle):
    r = client.post("/login", data={"csrf_token": csrf(client), **data})
    assert r.status_code == 400 and needle in r.get_data(as_text=True)


def test_domain_errors_and_crashes_map_to_pages_without_traceback(app):
    @app.route("/boom/<kind>")
    def boom(kind):
        if kind == "missing":
            raise NotFound("交接单", "JJ-2026-000001")
        if kind == "denied":
            raise PermissionDenied("tea", "view")
        if kind == "bad":
            abort(400)
        raise RuntimeError("secret internal detail")

    c = app.test_client()
    assert c.get("/boom/missing").status_code == 404
    assert "JJ-2026-000001" in c.get("/boom/missing").get_data(as_text=True)
    assert c.get("/boom/denied").status_code == 403
    assert c.get("/boom/bad").status_code == 400
    r = c.get("/boom/crash")
    body = r.get_data(as_text=True)
    assert r.status_code == 500 and "系统内部错误" in body
    assert "Traceback" not in body and "secret internal detail" not in body


def test_route_ids_beyond_the_database_integer_are_404(app, add_staff, login_client):
    """A huge id in a URL used to reach the driver and overflow (500)."""
    client = login_client(*add_staff("aca9", depts=("ACA",)))
    huge = "9" * 30
    for path in (f"/students/{huge}", f"/classes/{huge}", f"/approvals/{huge}",
                 f"/students/{2**31}", f"/obligations/{huge}/waive"):
        r = client.get(path) if "waive" not in path else client.post(path)
        assert r.status_code in (404, 405, 400), (path, r.status_code)
        assert r.status_code != 500
