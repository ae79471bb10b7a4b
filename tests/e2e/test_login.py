"""Sign-in in a real browser."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def sign_in(page, base, login, password):
    page.goto(f"{base}/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("#submit")


def test_wrong_password_shows_a_clear_message(page, live_server, add_staff, screenshot):
    login, _ = add_staff("enr", name="王晓燕")
    sign_in(page, live_server, login, "wrong-password-1")
    assert page.locator("#login-error").inner_text() == "用户名或密码不正确。"
    screenshot(page, "login-error")


def test_sign_in_and_out(page, live_server, add_staff, screenshot):
    login, password = add_staff("aca", depts=("ACA",), name="李建国")
    page.goto(f"{live_server}/login")
    screenshot(page, "login")
    sign_in(page, live_server, login, password)
    page.wait_for_url(f"{live_server}/")
    assert "李建国" in page.locator(".who-name").inner_text()
    assert page.locator("#inbox-empty").is_visible()
    screenshot(page, "home")
    page.click("#logout")
    page.wait_for_url(f"{live_server}/login")
    assert "您已安全退出" in page.content()
    page.goto(f"{live_server}/")
    assert page.url.startswith(f"{live_server}/login")


def test_post_without_csrf_token_is_refused(page, live_server, add_staff, screenshot):
    login, password = add_staff()
    page.goto(f"{live_server}/login")
    # A forged form that carries no CSRF token, posted from the page itself.
    page.evaluate("document.querySelector('input[name=csrf_token]').remove()")
    page.fill("#login", login)
    page.fill("#password", password)
    with page.expect_response(lambda r: r.url.endswith("/login")) as resp:
        page.click("#submit")
    assert resp.value.status == 400
    assert "CSRF" in page.locator("#error-message").inner_text()


def test_phone_layout_has_no_horizontal_scroll(browser, live_server, add_staff):
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 740},
                                  is_mobile=True)
    page = context.new_page()
    login, password = add_staff()
    sign_in(page, live_server, login, password)
    page.wait_for_url(f"{live_server}/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375  # the guide's phone pictures: test_every_page (the busiest role)
    context.close()
