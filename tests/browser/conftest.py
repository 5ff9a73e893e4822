"""Browser tests: Playwright driving Debian's Chromium (never a downloaded browser).

The live server serves static files through WhiteNoise from STATIC_ROOT, exactly as in
production, so a hashed CSS file or a missing font shows up here as it would there.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.test.testcases import LiveServerThread
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from tests.factories import PASSWORD, council

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def chromium_path() -> str | None:
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit
    return shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "browser" in item.nodeid.split("::")[0].split("/"):
            item.add_marker(pytest.mark.browser)


class _LetWhiteNoiseServeStatic:
    """Passes /static/ requests through to the app, where WhiteNoise serves them."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        return self.application(environ, start_response)


class WhiteNoiseLiveServer(LiveServer):
    def __init__(self, addr: str) -> None:
        super().__init__(addr, start=False)
        self.thread = LiveServerThread(
            self.thread.host,
            static_handler=_LetWhiteNoiseServeStatic,
            connections_override=self.thread.connections_override,
        )
        self.thread.daemon = True
        self.start()


@pytest.fixture(scope="session")
def live_server():
    server = WhiteNoiseLiveServer("localhost")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if not executable:
        message = "Chromium not found: install Debian's chromium package or set CHROMIUM_PATH"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests
    # make between page actions are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser, live_server, transactional_db):
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def no_js_page(browser, live_server, transactional_db):
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def sign_in(page, user) -> None:
    """Signs a staff user in to the admin as they do, by the sign-in form."""
    page.goto("/admin/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url("/admin/")


@pytest.fixture
def north(transactional_db):
    """A council for the staff pages' tests (a module may have its own)."""
    return council(slug="north", name="Northshire")


def axe_violations(page) -> list[dict]:
    """Runs axe-core on the current page; returns its violations (an empty list is a pass)."""
    # Evaluated, not added as a <script>: the Content-Security-Policy forbids inline scripts.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document)")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
    ]
