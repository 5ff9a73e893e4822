"""Security headers (config/security.py): a Content-Security-Policy with no inline script
or style on the citizen's pages, a relaxed one only for the admin and the API docs,
Permissions-Policy and Cross-Origin-Resource-Policy; and pages that need no inline code."""

import re

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from cases.models import PaymentProvider, Service
from cases.services import Actor, case_transition
from config.security import SecurityHeadersMiddleware
from tests.factories import council, make_case, new_case

pytestmark = pytest.mark.django_db

# The policy written out by hand from the specification, not read back from the module.
STRICT = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "font-src": {"'self'"},
    "form-action": {
        "'self'",
        "https://checkout.stripe.com",
        "https://card.payments.service.gov.uk",
    },
    "frame-ancestors": {"'none'"},
    "base-uri": {"'self'"},
    "object-src": {"'none'"},
}
PERMISSIONS = "camera=(), microphone=(), geolocation=(self), payment=()"


def directives(header: str) -> dict[str, set[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        assert name not in parsed, f"{name} given twice"
        parsed[name] = set(values)
    return parsed


@pytest.fixture
def pages(client, admin_user):
    """Every kind of citizen page, reachable by this client: name → URL."""
    organisation = council(fee_pence=1000, name="Northshire Council", slug="northshire")
    organisation.service_configs.filter(service=Service.BLUE_BADGE).update(
        payment_provider=PaymentProvider.LOCAL
    )
    case = new_case(organisation)
    caseworker = Actor.caseworker(admin_user)
    case_transition(case=case, transition="start_assessment", actor=caseworker)
    case = case_transition(case=case, transition="approve", actor=caseworker)
    payment = case.payment_requests.get()
    report = make_case(organisation, Service.STREET_REPORT, "fixed")
    fresh = new_case(organisation)
    for tracked in (case, report, fresh):
        response = client.post(
            "/track/", {"reference": tracked.reference, "postcode_or_email": "AB1 2CD"}
        )
        assert response.status_code == 302
    return {
        "start": "/",
        "track": "/track/",
        "timeline": f"/track/{case.process_id}/",
        "pay": f"/pay/{payment.pk}/",
        "contact": f"/track/{fresh.process_id}/contact/",
        "withdraw": f"/track/{fresh.process_id}/withdraw/",
        "fixed": f"/track/{report.process_id}/fixed/",
    }


def test_citizen_pages_have_the_strict_policy(client, pages):
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        header = response["Content-Security-Policy"]
        assert "unsafe-inline" not in header, name
        assert "unsafe-eval" not in header, name
        policy = directives(header)
        for directive, values in STRICT.items():
            assert policy.get(directive) == values, (name, directive)
        assert "*" not in set().union(*policy.values()), name


def test_error_pages_and_redirects_have_the_strict_policy_too(client):
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert directives(missing["Content-Security-Policy"])["script-src"] == {"'self'"}
    redirect = client.get("/track/BB-0000-0000-000/")
    assert redirect.status_code == 302
    assert "unsafe-inline" not in redirect["Content-Security-Policy"]


@pytest.mark.parametrize("url", ["/admin/login/", "/api/v1/docs/", "/api/v1/docs/swagger/"])
def test_the_admin_and_the_api_docs_have_their_relaxed_policy(client, url):
    response = client.get(url)
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == {"'self'", "'unsafe-inline'"}
    assert "'unsafe-inline'" in policy["style-src"]
    # Everything else stays as strict as on the citizen's pages.
    for directive in ("default-src", "frame-ancestors", "base-uri", "object-src", "form-action"):
        assert policy[directive] == STRICT[directive], directive
    assert "unsafe-eval" not in response["Content-Security-Policy"]


def test_only_paths_under_admin_and_api_docs_are_relaxed(client):
    for url in ("/administrator/", "/api/v1/schema/", "/api/v1/docsx/"):
        header = client.get(url)["Content-Security-Policy"]
        assert "unsafe-inline" not in header, url


def test_permissions_policy_and_corp_are_on_every_page(client, pages):
    for name, url in {**pages, "admin": "/admin/login/"}.items():
        response = client.get(url)
        assert response["Permissions-Policy"] == PERMISSIONS, name
        assert response["Cross-Origin-Resource-Policy"] == "same-origin", name
    # Django's own security headers are still there.
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_static_files_are_left_alone(client):
    response = client.get("/static/js/init.mjs")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response
    assert "Cross-Origin-Resource-Policy" not in response
    assert "Permissions-Policy" not in response


def test_a_view_that_sets_its_own_policy_keeps_it():
    def view(request):
        response = HttpResponse("ok")
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    response = SecurityHeadersMiddleware(view)(RequestFactory().get("/"))
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["Permissions-Policy"] == PERMISSIONS


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE = re.compile(r"<style\b|<[^>]+\sstyle\s*=", re.I)


def test_the_checks_for_inline_code_find_it():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert INLINE_SCRIPT.search('<script type="module">import "x"</script>')
    assert not INLINE_SCRIPT.search('<script type="module" src="/static/js/init.mjs"></script>')
    assert EVENT_HANDLER.search('<button onclick="go()">')
    assert STYLE.search('<p style="color: red">')
    assert STYLE.search("<style>p{}</style>")


def test_citizen_pages_have_no_inline_scripts_or_styles(client, pages):
    for name, url in pages.items():
        html = client.get(url).content.decode()
        assert not INLINE_SCRIPT.search(html), name
        assert not EVENT_HANDLER.search(html), name
        assert not STYLE.search(html), name
        # The one script: GOV.UK Frontend's starter, a module from this site.
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert len(scripts) == 1, (name, scripts)
        assert re.fullmatch(
            r'<script type="module" src="/static/js/init(\.[0-9a-f]+)?\.mjs">', scripts[0]
        ), (name, scripts)
