"""The error pages, in GOV.UK's words and the service's layout: page not found, there is a
problem with the service, you do not have permission (the admin's refusals included), and
"this page has expired" for a form whose CSRF check failed."""

from __future__ import annotations

import re

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from cases.models import Role
from tests.factories import caseworker, council


def heading(html: str) -> str:
    match = re.search(r"<h1[^>]*>([^<]+)</h1>", html)
    assert match, "no heading"
    return match.group(1).strip()


def test_page_not_found(client, db):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert heading(html) == "Page not found"
    assert "<title>Page not found – Waymark</title>" in html
    assert "If you typed the web address, check it is correct." in html
    assert 'href="/track/">find your case</a>' in html
    assert 'class="govuk-template__body"' in html  # the service's own layout


def test_page_not_found_in_welsh_is_in_welsh(client, db):
    client.cookies["waymark_language"] = "cy"
    html = client.get("/no-such-page/").content.decode()
    assert '<html lang="cy"' in html


def test_there_is_a_problem_with_the_service(db):
    from django.utils import translation

    request = RequestFactory().get("/")
    with translation.override("en"):  # a request's language, as LocaleMiddleware sets it
        response = server_error(request)  # rendered without a request, as Django does
    html = response.content.decode()
    assert response.status_code == 500
    assert heading(html) == "Sorry, there is a problem with the service"
    assert "Try again later." in html


def test_an_editor_refused_by_the_admin_sees_the_permission_page(client, db):
    north = council(slug="north")
    client.force_login(caseworker(north, role=Role.EDITOR))
    response = client.get("/admin/cases/staffaccount/add/")
    html = response.content.decode()
    assert response.status_code == 403
    assert heading(html) == "You do not have permission to see this page"
    assert "ask an administrator at your council" in html
    assert 'href="/admin/">Go to the case work home page</a>' in html


def test_a_citizen_refused_sees_the_start_page_link(rf, db):
    from django.core.exceptions import PermissionDenied
    from django.views.defaults import permission_denied

    response = permission_denied(rf.get("/track/x/"), PermissionDenied())
    html = response.content.decode()
    assert response.status_code == 403
    assert heading(html) == "You do not have permission to see this page"
    assert 'href="/">Go to the start page</a>' in html


@pytest.mark.parametrize("path", ["/track/", "/admin/login/"])
def test_a_form_without_its_csrf_token_says_the_page_has_expired(db, path):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(path, {"reference": "BB-1234-5678"})
    html = response.content.decode()
    assert response.status_code == 403
    assert heading(html) == "This page has expired"
    assert "<title>This page has expired – Waymark</title>" in html
    assert f'<a class="govuk-link" href="{path}">Go back to the page</a> and try again.' in html
    assert "CSRF verification failed" not in html


def database_down():
    """Every query fails as it does while PostgreSQL restarts."""
    from unittest import mock

    from django.db import OperationalError

    return mock.patch(
        "django.db.backends.base.base.BaseDatabaseWrapper.ensure_connection",
        side_effect=OperationalError("connection refused: the server is starting up"),
    )


@pytest.mark.parametrize(
    ("language", "title", "words"),
    [
        ("en", "Sorry, the service is unavailable", "in a few minutes"),
        ("cy", "Mae'n ddrwg gennym, nid yw'r gwasanaeth ar gael", "ychydig funudau"),
    ],
)
def test_while_the_database_is_down_pages_say_the_service_is_unavailable(
    db, language, title, words
):
    browser = Client(raise_request_exception=False)
    browser.cookies["waymark_language"] = language
    with database_down():
        response = browser.post(
            "/track/", {"reference": "BB-4K7M-Q9XA-W3R", "postcode_or_email": "SW1A 1AA"}
        )
    html = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert heading(html) == title
    assert words in html
    assert 'href="/track/">' in html  # find your case, once it is back


def test_while_the_database_is_down_the_api_answers_a_503_problem(db):
    from tests.test_api.conftest import make_key

    key = make_key(council(slug="north"))
    browser = Client(raise_request_exception=False)
    browser.get("/api/v1/cases", HTTP_AUTHORIZATION=f"Bearer {key}")  # the key is known
    with database_down():
        response = browser.get("/api/v1/cases", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert (response.json()["code"], response.json()["status"]) == ("unavailable", 503)
    assert response["Retry-After"] == "30"
