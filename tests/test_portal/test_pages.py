"""The footer's pages (accessibility statement, privacy notice, cookies), the feedback link
in the phase banner and its default page, and signing out of the cases opened in a
browser."""

import os
import re
from html import unescape

import pytest
from django.conf import settings as django_settings
from django.urls import resolve, reverse
from django.utils import translation

from cases.admin import staff_auth
from cases.portal import access
from cases.portal.pages import cookie_names
from tests.factories import caseworker, council, new_case

pytestmark = pytest.mark.django_db

PAGES = [
    ("/accessibility/", "Accessibility statement for Waymark"),
    ("/privacy/", "Privacy notice"),
    ("/cookies/", "Cookies"),
    ("/feedback/", "Give feedback"),
]


@pytest.fixture(autouse=True)
def _back_to_english():
    """A Welsh request leaves Welsh active in this thread: later tests expect English."""
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


def html_of(response) -> str:
    return response.content.decode()


def text_of(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html_of(response), flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def heading(response) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html_of(response), re.S)
    assert match, "no h1"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def open_case(client, case):
    response = client.post("/track/", {"reference": case.reference, "postcode_or_email": "AB1 2CD"})
    assert response["Location"] == f"/track/{case.process_id}/"


# --- The pages ---------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "title"), PAGES)
def test_each_page_is_there_in_english(client, url, title):
    response = client.get(url)
    assert response.status_code == 200
    assert heading(response) == title
    assert f"<title>{title if url != '/accessibility/' else 'Accessibility statement'} – " in (
        html_of(response)
    )
    assert '<html lang="en"' in html_of(response)


@pytest.mark.parametrize(("url", "title"), PAGES)
def test_each_page_renders_in_welsh(client, url, title):
    """With the language cookie set to cy the page is Welsh (its strings are Welsh once the
    catalogue has them: test_welsh.py checks that every one is translated)."""
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "cy"
    response = client.get(url)
    assert response.status_code == 200
    assert '<html lang="cy"' in html_of(response)
    assert heading(response)


@pytest.mark.parametrize("name", ["accessibility", "privacy", "cookies", "feedback", "sign-out"])
def test_the_url_names(name):
    assert resolve(reverse(f"portal:{name}")).url_name == name


def test_the_footer_links_to_the_three_pages_on_every_page(client):
    for url in ("/", "/track/", "/cookies/"):
        html = html_of(client.get(url))
        footer = html[html.index('<footer class="govuk-footer">') :]
        assert '<h2 class="govuk-visually-hidden">Support links</h2>' in footer
        assert '<ul class="govuk-footer__inline-list">' in footer
        for href, words in (
            ("/privacy/", "Privacy"),
            ("/cookies/", "Cookies"),
            ("/accessibility/", "Accessibility statement"),
        ):
            link = f'<a class="govuk-footer__link" href="{href}">{words}</a>'
            assert link in footer, (url, link)
        assert footer.count('class="govuk-footer__inline-list-item"') == 3


def test_the_phase_banner_links_to_feedback_in_a_new_tab(client):
    html = html_of(client.get("/"))
    banner = re.search(r'<span class="govuk-phase-banner__text">(.*?)</span>', html, re.S)
    assert banner
    assert unescape(re.sub(r"<[^>]+>", "", banner.group(1))) == (
        "This is a new service. Help us improve it and give your feedback (opens in new tab)."
    )
    assert 'href="/feedback/" target="_blank" rel="noreferrer noopener"' in banner.group(1)


def test_the_feedback_link_follows_the_setting(client, settings):
    settings.FEEDBACK_URL = "https://forms.example.gov.uk/waymark?from=banner&x=1"
    html = html_of(client.get("/"))
    assert 'href="https://forms.example.gov.uk/waymark?from=banner&amp;x=1"' in html


@pytest.mark.skipif("FEEDBACK_URL" in os.environ, reason="FEEDBACK_URL is set here")
def test_the_default_feedback_url_is_the_feedback_page():
    assert reverse("portal:feedback") == "/feedback/" == django_settings.FEEDBACK_URL


def test_the_pages_name_each_council_with_a_way_to_contact_it(client):
    council(
        name="Northshire Council",
        slug="northshire",
        contact_email="access@northshire.example.gov.uk",
        contact_phone="01632 960 001",
        website="https://northshire.example.gov.uk/",
    )
    council(name="Silent Council", slug="silent")  # no contact details: not listed
    for url in ("/accessibility/", "/privacy/", "/feedback/"):
        response = client.get(url)
        words = text_of(response)
        assert "Contact Northshire Council:" in words
        assert "Telephone: 01632 960 001" in words
        assert 'href="mailto:access@northshire.example.gov.uk"' in html_of(response)
        assert 'href="https://northshire.example.gov.uk/"' in html_of(response)
        assert "Silent Council" not in words


def test_the_accessibility_statement_follows_the_model_statement(client):
    words = text_of(client.get("/accessibility/"))
    for phrase in (
        "How accessible this service is",
        "What to do if you cannot access parts of this service",
        "Reporting accessibility problems with this service",
        "Enforcement procedure",
        "Equality and Human Rights Commission (EHRC)",
        "Equality Advisory and Support Service (EASS)",
        "Equality Commission for Northern Ireland",
        "Technical information about this service's accessibility",
        "Compliance status",
        "Web Content Accessibility Guidelines version 2.2 AA standard",
        "zoom in up to 400% without the text spilling off the screen",
        "works without JavaScript",
        "axe-core",
        "in English and in Welsh",
        "How we tested this service",
        "This statement was prepared on 1 December 2026.",
    ):
        assert phrase in words, phrase


def test_the_privacy_notice_covers_what_the_law_asks(client):
    words = text_of(client.get("/privacy/"))
    for phrase in (
        "The council that runs the service you used is the data controller",
        "evidence files you upload",
        "messages:",
        "payments:",
        "'public task', Article 6(1)(e)",
        "GOV.UK Notify",
        "GOV.UK Pay or Stripe",
        "How long we keep your data",
        "30 days",
        "Your rights",
        "Information Commissioner's Office (ICO)",
        "0303 123 1113",
    ):
        assert phrase in words, phrase


# --- Cookies -----------------------------------------------------------------------------


def test_the_cookies_page_lists_every_cookie_the_site_sets(client, settings):
    """Sets every cookie the way a citizen and a member of staff do, then finds each of
    their names in the cookies page's tables."""
    settings.STAFF_TWO_FACTOR = False
    organisation = council(name="Northshire Council", slug="northshire")
    case = new_case(organisation)
    seen = set()

    def visit(response):
        seen.update(response.cookies.keys())
        return response

    visit(client.get("/track/"))  # a form: the CSRF cookie
    visit(client.post("/track/", {"reference": case.reference, "postcode_or_email": "AB1 2CD"}))
    visit(client.post(f"/track/{case.process_id}/contact/", {"contact_preference": "sms"}))
    visit(client.get("/language/cy/?next=/"))
    staff = caseworker(organisation)
    visit(
        client.post(
            "/admin/login/?next=/admin/",
            {"username": staff.username, "password": "correct-horse-battery"},
        )
    )
    assert seen == set(cookie_names().values())

    client.cookies.pop("waymark_language")  # the page in English
    html = html_of(client.get("/cookies/")).replace("<wbr>", "")  # where a name may wrap
    for name in seen:
        assert f'<th scope="row" class="govuk-table__header">{name}</th>' in html, name
    assert "We do not use analytics cookies" in unescape(html)


def test_the_cookies_page_names_the_cookies_as_configured():
    assert cookie_names() == {
        "session": "sessionid",
        "csrf": "csrftoken",
        "language": "waymark_language",
        "messages": "messages",
        "staff_device": "waymark_staff_device",
    }


def test_the_cookies_page_says_how_long_each_cookie_lasts():
    """The page says 2 weeks and 1 year: if a lifetime changes, so must the page."""
    assert django_settings.SESSION_COOKIE_AGE == 14 * 24 * 60 * 60
    assert django_settings.CSRF_COOKIE_AGE == 52 * 7 * 24 * 60 * 60
    assert not django_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert staff_auth.DEVICE_MAX_AGE == 365 * 24 * 60 * 60


def test_the_language_cookie_lasts_a_year(client):
    response = client.get("/language/cy/?next=/")
    assert response.cookies[django_settings.LANGUAGE_COOKIE_NAME]["max-age"] == 365 * 24 * 3600


# --- Signing out -------------------------------------------------------------------------


def test_sign_out_is_offered_only_once_a_case_is_open(client):
    case = new_case(council())
    assert "/track/sign-out/" not in html_of(client.get("/"))
    open_case(client, case)
    html = html_of(client.get(f"/track/{case.process_id}/"))
    assert '<a class="govuk-service-navigation__link" href="/track/sign-out/">Sign out</a>' in html
    assert '<nav aria-label="Menu" class="govuk-service-navigation__wrapper">' in html
    assert "/track/sign-out/" in html_of(client.get("/cookies/"))


def test_signing_out_ends_access_to_the_case(client):
    case = new_case(council())
    open_case(client, case)
    old_key = client.session.session_key
    assert client.get(f"/track/{case.process_id}/").status_code == 200

    response = client.get("/track/sign-out/")

    assert response.status_code == 200
    assert heading(response) == "You have signed out"
    words = text_of(response)
    assert "you need its reference number and the details you gave us" in words
    assert 'href="/track/">Find your case</a>' in html_of(response)
    assert "no-store" in response["Cache-Control"]
    assert 'href="/track/sign-out/">Sign out' not in html_of(response)  # nothing left
    assert response.cookies[django_settings.SESSION_COOKIE_NAME].value == ""  # deleted
    assert access.SESSION_KEY not in client.session
    assert client.session.session_key != old_key
    after = client.get(f"/track/{case.process_id}/")
    assert after.status_code == 302
    assert after["Location"] == "/track/"


def test_signing_out_without_a_case_is_harmless(client):
    response = client.get("/track/sign-out/")
    assert response.status_code == 200
    assert heading(response) == "You have signed out"


def test_signing_out_works_in_welsh(client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "cy"
    response = client.get("/track/sign-out/")
    assert response.status_code == 200
    assert '<html lang="cy"' in html_of(response)


@pytest.mark.parametrize("method", ["head", "post"])
def test_only_a_get_signs_out(client, method):
    """A link checker's HEAD, or a stray POST, leaves the session alone."""
    case = new_case(council())
    open_case(client, case)
    assert getattr(client, method)("/track/sign-out/").status_code == 405
    assert client.get(f"/track/{case.process_id}/").status_code == 200
