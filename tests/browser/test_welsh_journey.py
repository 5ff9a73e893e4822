"""A Welsh speaker switches the portal to Cymraeg with the language toggle, finds their
case, follows it on the Welsh timeline and pays the fee with the local provider, all in
Welsh. axe-core checks every page on the way (lang="cy" included)."""

import pytest

from cases.models import PaymentProvider, Service
from cases.services import Actor, case_transition
from tests.browser.conftest import axe_violations
from tests.factories import council, new_case

ENGLISH = ("There is a problem", "Continue", "Reference number", "Back")


@pytest.fixture
def approved_case(admin_user):
    organisation = council(fee_pence=1000, name="Northshire Council", slug="northshire")
    organisation.service_configs.filter(service=Service.BLUE_BADGE).update(
        payment_provider=PaymentProvider.LOCAL
    )
    case = new_case(organisation)
    caseworker = Actor.caseworker(admin_user)
    case_transition(case=case, transition="start_assessment", actor=caseworker)
    return case_transition(case=case, transition="approve", actor=caseworker)


def assert_welsh_and_accessible(page):
    assert page.locator("html").get_attribute("lang") == "cy", page.url
    words = page.locator("body").inner_text()
    for phrase in ENGLISH:
        assert phrase not in words, (phrase, page.url)
    assert axe_violations(page) == [], page.url


def stage(page, slug: str) -> str | None:
    return page.locator(f'[data-stage="{slug}"]').get_attribute("data-status")


def test_a_welsh_speaker_finds_their_case_and_pays_in_welsh(
    page, live_server, settings, approved_case
):
    settings.SITE_URL = live_server.url

    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert axe_violations(page) == []
    page.get_by_role("link", name="Cymraeg").click()

    assert page.locator("h1").inner_text() == (
        "Gwneud cais, rhoi gwybod am broblem a dilyn eich achos"
    )
    assert page.get_by_role("link", name="English").get_attribute("hreflang") == "en"
    assert_welsh_and_accessible(page)
    page.get_by_role("button", name="Dod o hyd i'ch achos").click()

    assert page.locator("h1").inner_text() == "Dod o hyd i'ch achos"
    assert_welsh_and_accessible(page)
    page.get_by_label("Rhif cyfeirnod").fill(approved_case.reference.lower().replace("-", " "))
    page.get_by_label("Cod post, cyfeiriad e-bost neu rif ffôn symudol").fill("ab12cd")
    page.get_by_role("button", name="Parhau").click()

    # The timeline, with the workflow's Welsh stage names.
    assert page.locator("h1").inner_text() == "Wedi'i gymeradwyo: yn aros am eich taliad"
    assert stage(page, "received") == "done"
    assert stage(page, "payment") == "current"
    stages = page.locator(".moj-progress-bar").inner_text()
    for title in ("Cais wedi dod i law", "Asesiad", "Taliad", "Gwneud y bathodyn"):
        assert title in stages
    assert "Mae angen i chi wneud rhywbeth" in page.content()
    assert_welsh_and_accessible(page)
    page.get_by_role("link", name="Talu £10.00", exact=True).click()

    assert page.locator("h1").inner_text() == "Talu £10.00"
    assert page.title() == "Talu eich ffi – Waymark"
    assert_welsh_and_accessible(page)
    page.get_by_role("button", name="Parhau i dalu").click()

    assert "Nid oes unrhyw arian yn cael ei gymryd" in page.content()
    assert_welsh_and_accessible(page)
    page.get_by_role("button", name="Talu nawr").click()

    assert page.locator("h1").inner_text() == "Taliad wedi dod i law"
    assert approved_case.reference in page.locator(".govuk-panel").inner_text()
    assert_welsh_and_accessible(page)
    page.get_by_role("link", name="Gweld cynnydd eich achos").click()

    assert stage(page, "payment") == "done"
    assert stage(page, "badge") == "current"
    assert "Cawsom eich taliad" in page.locator(".moj-timeline").inner_text()
    assert_welsh_and_accessible(page)
    approved_case.refresh_from_db()
    assert approved_case.state == "approved"


def test_a_wrong_postcode_is_explained_in_welsh(page, live_server, approved_case):
    page.goto("/language/cy/?next=/track/")
    page.get_by_label("Rhif cyfeirnod").fill(approved_case.reference)
    page.get_by_label("Cod post, cyfeiriad e-bost neu rif ffôn symudol").fill("ZZ9 9ZZ")
    page.get_by_role("button", name="Parhau").click()

    summary = page.locator(".govuk-error-summary")
    assert summary.get_by_role("heading").inner_text() == "Mae problem"
    assert "Nid oeddem yn gallu dod o hyd i achos" in summary.inner_text()
    assert page.title().startswith("Gwall:")
    assert_welsh_and_accessible(page)
