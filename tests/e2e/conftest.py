"""Browser tests: the app served on a free loopback port in a thread, driven by Debian's
Chromium through Playwright (Playwright cannot download its own browsers here)."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def chromium_path() -> str | None:
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/snap/bin/chromium"):
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module. Playwright's sync API runs an event loop in this thread
    while it is open; closing it after each module lets later tests use asyncio.run() again
    (pyHanko signs through it). Signing inside a browser test goes to a worker thread."""
    path = chromium_path()
    if path is None:
        pytest.fail("Chromium is missing: `make test` installs it (scripts/system-deps.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(tmp_path):
    """Takes a screenshot; with SAVE_SCREENSHOTS=1 (`make screenshots`) into docs/screenshots
    for the user guide, which so shows what the tests saw; otherwise into a temporary folder."""
    folder = SCREENSHOTS if os.environ.get("SAVE_SCREENSHOTS") == "1" else tmp_path

    def take(page, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"))

    return take


@pytest.fixture
def sign_in_page(page, live_server):
    """Signs `page` in as `login` through the login form and waits for the home page."""

    def sign_in(login: str, password: str):
        page.goto(f"{live_server}/login")
        page.fill("#login", login)
        page.fill("#password", password)
        page.click("#submit")
        page.wait_for_url(f"{live_server}/")
        return page

    return sign_in


def signed_in(browser, base: str, login: str, password: str, **context):
    """A new browser context (`context`: Playwright's options, e.g. a viewport) signed in as
    `login` through the login form, and its page on the home page."""
    ctx = browser.new_context(**{"locale": "zh-CN", **context})
    page = ctx.new_page()
    page.goto(f"{base}/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("#submit")
    page.wait_for_url(f"{base}/")
    return ctx, page
