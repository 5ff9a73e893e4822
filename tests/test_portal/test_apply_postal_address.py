"""The Blue Badge is posted: everyone is asked where to post it (once, for letter choosers,
whose letters go there too), check your answers shows it, and the start page and check
your answers state the council's fee (or that the badge is free). The street report still
asks for an address only for letters."""

from __future__ import annotations

import re

import pytest

from cases.models import Case
from tests.factories import council
from tests.test_portal.test_apply import (
    BASE,
    PDF,
    answer_up_to,
    assert_error,
    heading,
    journey,
    page,
    upload,
)

ADDRESS = {"address_line_1": "1 High Street", "town": "Northtown", "postcode": "ab1 2cd"}


@pytest.fixture
def northshire(db):
    return council(slug="northshire", name="Northshire Council")


@pytest.fixture
def charging(db):
    return council(slug="northshire", name="Northshire Council", fee_pence=1000)


def rows(html: str) -> dict[str, str]:
    """Check your answers: each row's key and its value, as text."""
    found = re.findall(
        r'<dt class="govuk-summary-list__key">(.*?)</dt>\s*'
        r'<dd class="govuk-summary-list__value">(.*?)</dd>',
        html,
        re.S,
    )
    return {key.strip(): re.sub(r"<br>", "\n", value).strip() for key, value in found}


@pytest.mark.parametrize(
    ("channel", "details", "data"),
    [
        ("email", "contact-email", {"email": "ann@example.com"}),
        ("sms", "contact-mobile", {"phone": "07700 900 982"}),
    ],
)
def test_email_and_text_choosers_are_asked_where_to_post_the_badge(
    client, northshire, channel, details, data
):
    answer_up_to(client, "name")
    assert page(client, "contact", {"contact_preference": channel})["Location"] == (
        f"{BASE}{details}/"
    )
    assert page(client, details, data)["Location"] == BASE + "contact-address/"

    shown = client.get(BASE + "contact-address/")
    html = shown.content.decode()
    assert heading(shown) == "Where should we post the badge?"
    assert re.search(r"<title>Where should we post the badge\? – ", html)
    assert f'<a href="{BASE}{details}/" class="govuk-back-link' in html
    assert "We will post your badge to this address." in html
    assert 'aria-describedby="postal-address-hint"' in html
    for name in ("address_line_1", "address_line_2", "town", "postcode"):
        assert f'name="{name}"' in html
    # The pages after it wait for it.
    assert client.get(BASE + "evidence/")["Location"] == BASE + "contact-address/"

    assert page(client, "contact-address", ADDRESS)["Location"] == BASE + "evidence/"
    assert journey(client)["answers"]["contact-address"]["postcode"] == "AB1 2CD"


def test_the_postal_address_has_the_address_forms_errors(client, northshire):
    answer_up_to(client, "name")
    page(client, "contact", {"contact_preference": "email"})
    page(client, "contact-email", {"email": "ann@example.com"})
    response = page(client, "contact-address", {})
    assert_error(response, "Enter postcode", "id_postcode")
    assert_error(response, "Enter town or city", "id_town")


def test_a_letter_chooser_is_asked_for_the_address_once(client, northshire):
    answer_up_to(client, "contact")
    shown = client.get(BASE + "contact-address/")
    assert heading(shown) == "Where should we post the badge?"
    assert (
        "We will post your badge, and our letters about your application, to this address."
        in shown.content.decode()
    )
    assert page(client, "contact-address", ADDRESS)["Location"] == BASE + "evidence/"
    answer_up_to(client, "evidence")

    html = client.get(BASE + "check-answers/").content.decode()
    summary = rows(html)
    assert summary["How we contact you"] == "Letter"
    assert "Address" not in summary  # shown once, as where the badge is posted
    assert summary["Badge posted to"] == "1 High Street\nNorthtown\nAB1 2CD"
    assert html.count(f'href="{BASE}contact-address/">Change') == 1
    assert 'Change<span class="govuk-visually-hidden"> where we post the badge</span>' in html


def test_check_answers_shows_where_the_badge_is_posted_for_an_email_chooser(client, northshire):
    answer_up_to(client, "name")
    page(client, "contact", {"contact_preference": "email"})
    page(client, "contact-email", {"email": "ann@example.com"})
    page(client, "contact-address", {**ADDRESS, "address_line_2": "Flat 2"})
    page(client, "evidence", {"action": "continue", "files": upload("award.pdf", PDF)})

    summary = rows(client.get(BASE + "check-answers/").content.decode())
    assert summary["How we contact you"] == "Email"
    assert summary["Email address"] == "ann@example.com"
    assert summary["Badge posted to"] == "1 High Street\nFlat 2\nNorthtown\nAB1 2CD"

    client.post(BASE + "check-answers/")
    case = Case.objects.get()
    assert (case.contact_preference, case.email) == ("email", "ann@example.com")
    assert (case.address_line_1, case.address_line_2, case.town, case.postcode) == (
        "1 High Street",
        "Flat 2",
        "Northtown",
        "AB1 2CD",
    )


def test_a_free_badge_is_said_to_be_free(client, northshire):
    html = client.get(BASE).content.decode()
    assert "The badge is free." in html
    assert "The badge costs" not in html
    answer_up_to(client, "evidence")
    check = client.get(BASE + "check-answers/").content.decode()
    assert rows(check)["Fee"] == "Free"
    # The fee is not an answer: it has no Change link.
    assert re.search(
        r'govuk-summary-list__row--no-actions">\s*<dt class="govuk-summary-list__key">Fee</dt>',
        check,
    )


def test_the_councils_fee_is_on_the_start_page_and_check_answers(client, charging):
    html = client.get(BASE).content.decode()
    assert "The badge costs £10.00. You pay after your application is approved." in html
    assert "The badge is free" not in html
    answer_up_to(client, "evidence")
    summary = rows(client.get(BASE + "check-answers/").content.decode())
    assert summary["Fee"] == "£10.00, paid after your application is approved"


def test_the_street_report_still_asks_for_an_address_only_for_letters(client, northshire):
    for slug, data in (
        ("what", {"issue_type": "pothole"}),
        ("where", {"location": "Outside 3 Mill Lane"}),
        ("photo", {"action": "continue"}),
        ("name", {"applicant_name": "Sam Reporter"}),
    ):
        assert client.post(f"/report/northshire/{slug}/", data).status_code == 302
    email = client.post("/report/northshire/contact/", {"contact_preference": "email"})
    assert email["Location"] == "/report/northshire/contact-email/"
    done = client.post("/report/northshire/contact-email/", {"email": "sam@example.com"})
    assert done["Location"] == "/report/northshire/check-answers/"
    letter = client.post("/report/northshire/contact/", {"contact_preference": "letter"})
    assert letter["Location"] == "/report/northshire/contact-address/"
    assert heading(client.get(letter["Location"])) == "What is your address?"
