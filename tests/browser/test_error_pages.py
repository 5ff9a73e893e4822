"""The error pages in Chromium: page not found, the admin's "you do not have permission"
for an editor, and "this page has expired" for a form sent without its CSRF cookie. Each
has its GOV.UK heading, axe-core finds nothing on it, and nothing breaks the
Content-Security-Policy."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cases.models import Role
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import caseworker


@pytest.fixture(autouse=True)
def csp(page):
    """Content-Security-Policy reports, checked after each test."""
    reports: list[str] = []
    page.on(
        "console", lambda m: reports.append(m.text) if "Content Security Policy" in m.text else None
    )
    yield
    assert reports == []


def heading(page) -> str:
    return page.locator("h1").inner_text().strip()


def test_page_not_found(page, north):
    response = page.goto("/no-such-page/")
    assert response.status == 404
    assert heading(page) == "Page not found"
    assert page.title() == "Page not found – Waymark"
    assert axe_violations(page) == []


def test_an_editor_refused_by_the_admin(page, north):
    sign_in(page, caseworker(north, role=Role.EDITOR))
    response = page.goto("/admin/cases/staffaccount/add/")
    assert response.status == 403
    assert heading(page) == "You do not have permission to see this page"
    assert axe_violations(page) == []
    page.get_by_role("link", name="Go to the case work home page").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def test_a_form_sent_without_its_csrf_cookie_has_expired(page, north):
    page.goto("/track/")
    page.context.clear_cookies(name="csrftoken")
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        page.locator("form button[type=submit]").click()
    assert sent.value.status == 403
    expect(page.locator("h1")).to_have_text("This page has expired")
    assert "Go back to the page and try again." in page.locator("main").inner_text()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Go back to the page").click()
    expect(page).to_have_url(re.compile(r"/track/$"))
    expect(page.locator("#id_reference")).to_have_count(1)  # the form, afresh
