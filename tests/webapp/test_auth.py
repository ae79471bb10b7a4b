"""Sign-in, sign-out, sessions and the security envelope of every page, through the test client."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from records.web_sessions import WebSession


def csrf_from(client, path="/login"):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def sign_in(client, login, password):
    return client.post("/login", data={"csrf_token": csrf_from(client), "login": login,
                                       "password": password})


def test_home_requires_sign_in(client):
    r = client.get("/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_sign_in_and_out(app, client, add_staff):
    login, pw = add_staff("enr", depts=("ENR",), name="王晓燕")
    r = sign_in(client, login, pw)
    assert r.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "王晓燕" in home and "招生部" in home and "暂无待处理的交接" in home
    token_page = client.get("/").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', token_page).group(1)
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 302
    assert client.get("/").status_code == 302
    actions = [(e.action, e.outcome) for e in app.extensions["handover"].ledger.entries()]
    assert ("auth.login", "ok") in actions and ("auth.logout", "ok") in actions


def test_wrong_password_is_a_clear_401(client, add_staff):
    login, _ = add_staff()
    r = sign_in(client, login, "not-the-password-1")
    assert r.status_code == 401
    assert "用户名或密码不正确" in r.get_data(as_text=True)


def test_copied_cookie_is_worthless_after_logout(app, add_staff):
    login, pw = add_staff()
    browser = app.test_client()
    sign_in(browser, login, pw)
    cookie = browser.get_cookie("handover_session").value
    thief = app.test_client()
    thief.set_cookie("handover_session", cookie)
    assert thief.get("/").status_code == 200
    page = browser.get("/").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    browser.post("/logout", data={"csrf_token": csrf})
    assert thief.get("/").status_code == 302


def test_new_session_on_sign_in(app, add_staff):
    login, pw = add_staff()
    c = app.test_client()
    c.get("/login")
    before = c.get_cookie("handover_session").value
    sign_in(c, login, pw)
    after = c.get_cookie("handover_session").value
    assert before != after
    with c.session_transaction() as s:
        assert set(s) <= {"_user_id", "_fresh", "_id", "csrf_token"}


@pytest.mark.parametrize(("field", "minutes"), [("last_seen_at", 31), ("created_at", 60 * 11)])
def test_idle_and_absolute_timeouts(app, client, add_staff, field, minutes):
    login, pw = add_staff()
    sign_in(client, login, pw)
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        row = db.query(WebSession).one()
        setattr(row, field, getattr(row, field) - timedelta(minutes=minutes))
        if field == "created_at":  # keep it active, so only the absolute limit applies
            row.last_seen_at = row.created_at + timedelta(minutes=minutes)
        db.commit()
    r = client.get("/")
    assert r.status_code == 302
    assert "重新登录" in client.get("/login").get_data(as_text=True)


def test_lock_after_repeated_failures_is_429(app, add_staff):
    login, pw = add_staff()
    app.extensions["handover"].settings["LOGIN_BASE_DELAY_SECONDS"] = 0
    c = app.test_client()
    for _ in range(5):
        assert sign_in(c, login, "wrong-password-1").status_code == 401
    r = sign_in(c, login, pw)
    assert r.status_code == 429 and "锁定" in r.get_data(as_text=True)


def test_post_without_csrf_is_refused(client, add_staff):
    login, pw = add_staff()
    r = client.post("/login", data={"login": login, "password": pw})
    assert r.status_code == 400 and "CSRF" in r.get_data(as_text=True)


def test_cookie_flags_and_security_headers(app, client):
    r = client.get("/login")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    https = app.test_client().get("/login", base_url="https://localhost")
    assert "Secure" in https.headers["Set-Cookie"]


def test_no_inline_script_or_style_in_pages(client):
    html = client.get("/login").get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html and "<style" not in html
    assert "http://" not in html.replace("http://localhost", "")  # no CDN


def test_open_redirect_after_login_is_refused(client, add_staff):
    login, pw = add_staff()
    r = client.post("/login?next=//evil.example/", data={
        "csrf_token": csrf_from(client), "login": login, "password": pw})
    assert r.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/%09/evil.example/phish", "/%0a/evil.example",
                                    "/%0d%0aSet-Cookie:x=1", "/\\evil.example",
                                    "https://evil.example/", "/%5Cevil.example"])
def test_control_characters_and_backslashes_in_next_are_refused(app, add_staff, target):
    login, pw = add_staff()
    client = app.test_client()
    r = client.post(f"/login?next={target}", data={
        "csrf_token": csrf_from(client), "login": login, "password": pw})
    assert r.status_code == 302 and r.headers["Location"] == "/", target


def test_a_local_next_is_kept(app, add_staff):
    login, pw = add_staff()
    client = app.test_client()
    r = client.post("/login?next=/handovers/%3Fstatus%3Ddraft", data={
        "csrf_token": csrf_from(client), "login": login, "password": pw})
    assert r.headers["Location"] == "/handovers/?status=draft"


def test_an_unknown_name_costs_the_same_hash_as_a_known_one(app, add_staff):
    """Timing: the dummy hash for unknown names is made once per process, not per request.
    Measured with the production hash cost (the tests' low cost would let a database query
    decide the figure), in CPU time: the work done is what gives a name away, and wall time on
    a busy machine measures the other processes."""
    import time

    from argon2 import PasswordHasher

    login, password = add_staff()
    svc = app.extensions["handover"]
    real = PasswordHasher()
    with svc.session_factory() as db:
        svc.accounts(db).get(login).password_hash = real.hash(password)
        db.commit()

    def attempt(name):
        with svc.session_factory() as db:
            accounts = svc.accounts(db)
            accounts.hasher = real
            accounts.policy = accounts.policy.__class__(max_failures=10_000,
                                                        base_delay_seconds=0)
            start = time.process_time()
            with pytest.raises(Exception):  # noqa: B017 (wrong password or unknown name)
                accounts.authenticate(name, "wrong-password-x")
            return time.process_time() - start

    attempt("warm-up-unknown")
    known, unknown = [], []
    for i in range(50):  # interleaved pairs; the fastest of each: the work, not the noise
        known.append(attempt(login))
        unknown.append(attempt(f"nobody{i}"))
    assert abs(min(known) - min(unknown)) / min(known) < 0.10, (min(known), min(unknown))
