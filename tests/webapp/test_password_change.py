"""Changing one's own password in the browser: form problems beside their fields, the signing
key sealed again under the new password, sessions elsewhere ended, the old password dead."""

from __future__ import annotations

import re

import pytest

from records.credentials import Credentials
from signing import WrongPassword

NEW = "Fresh-pass-2026"


def _post(client, data):
    html = client.get("/account/password").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    return client.post("/account/password", data={"csrf_token": token, **data})


def test_change_password_end_to_end(app, add_staff, login_client):
    login, old = add_staff("tea", depts=("TEA",))
    here, elsewhere = login_client(login, old), login_client(login, old)
    assert 'id="account-link"' in here.get("/").get_data(as_text=True)

    r = _post(here, {"old_password": old, "new_password": NEW, "confirm": NEW + "x"})
    assert r.status_code == 400 and "两次输入的新密码不一致" in r.get_data(as_text=True)
    r = _post(here, {"old_password": old, "new_password": "short1", "confirm": "short1"})
    assert r.status_code == 400
    assert re.search(r'id="err-new_password">密码至少 \d+ 个字符', r.get_data(as_text=True))

    r = _post(here, {"old_password": old, "new_password": NEW, "confirm": NEW})
    assert r.status_code == 302
    home = here.get("/", follow_redirects=True).get_data(as_text=True)
    assert "密码已修改" in home and "其他设备上的 1 个登录已退出" in home
    assert elsewhere.get("/").status_code == 302  # the other device is signed out

    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        staff = svc.accounts(db).get(login)
        credential = Credentials(db, svc.pki).require(staff)
        assert svc.pki.unlock(credential, NEW) is not None  # signing follows the password
        with pytest.raises(WrongPassword):
            svc.pki.unlock(credential, old)
    login_client(login, NEW)  # signs in with the new password (asserts the redirect)

    r = _post(here, {"old_password": old, "new_password": "Other-pass-99",
                     "confirm": "Other-pass-99"})
    assert r.status_code == 400 and 'id="err-old_password">原密码不正确' in r.get_data(as_text=True)


def test_the_page_needs_a_sign_in(client):
    r = client.get("/account/password")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
