"""Screenshots for the README: the citizen's timeline (desktop, phone, Welsh), the
caseworker's case page and the dashboard. They are written to SCREENSHOTS_DIR when it is
set (`SCREENSHOTS_DIR=docs/screenshots make test PYTEST_ARGS=-k screenshots`), otherwise
to a temporary folder: either way the pages must render and pass axe-core."""

import os
from pathlib import Path

import pytest

from cases.services import Actor, case_transition
from tests.browser.conftest import axe_violations
from tests.factories import council, new_case


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_timeline(page, case, language="en"):
    if language == "cy":
        page.goto("/language/cy/?next=/track/")
    page.goto("/track/")
    page.locator("#id_reference").fill(case.reference)
    page.locator("#id_postcode_or_email").fill("AB1 2CD")
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def test_timeline_screenshots(page, live_server, settings, admin_user, shots):
    settings.SITE_URL = live_server.url
    organisation = council(fee_pence=1000, name="Northshire Council", slug="northshire")
    case = new_case(organisation, applicant_name="Aisha Khan")
    caseworker = Actor.caseworker(admin_user)
    case_transition(
        case=case,
        transition="request_evidence",
        actor=caseworker,
        message="Please send a copy of your PIP award letter.",
    )
    case_transition(case=case, transition="receive_evidence", actor=Actor.citizen(case))
    case_transition(case=case, transition="start_assessment", actor=caseworker)
    case_transition(case=case, transition="approve", actor=caseworker)

    page.set_viewport_size({"width": 1100, "height": 900})
    open_timeline(page, case)
    assert page.locator('[data-stage="payment"]').get_attribute("data-status") == "current"
    assert axe_violations(page) == []
    page.screenshot(path=str(shots / "timeline.png"), full_page=True)

    page.set_viewport_size({"width": 400, "height": 800})
    page.screenshot(path=str(shots / "timeline-mobile.png"), full_page=True)
    assert (shots / "timeline.png").stat().st_size > 10_000


def test_welsh_timeline_screenshot(page, live_server, settings, admin_user, shots):
    settings.SITE_URL = live_server.url
    organisation = council(name="Bryn Dewi County Council", name_cy="Cyngor Sir Bryn Dewi")
    case = new_case(organisation, applicant_name="Gwen Morgan")
    from cases.models import Case

    Case.objects.filter(pk=case.pk).update(language="cy")
    case_transition(case=case, transition="start_assessment", actor=Actor.caseworker(admin_user))
    page.set_viewport_size({"width": 1100, "height": 900})
    open_timeline(page, case, language="cy")
    assert page.locator("html").get_attribute("lang") == "cy"
    assert axe_violations(page) == []
    page.screenshot(path=str(shots / "timeline-welsh.png"), full_page=True)


def test_case_work_screenshots(page, live_server, settings, shots):
    from cases.models import Role, Service
    from tests.browser.conftest import sign_in
    from tests.factories import caseworker, make_case

    organisation = council(fee_pence=1000, name="Northshire Council", slug="northshire")
    editor = caseworker(organisation, role=Role.EDITOR, first_name="Sam", last_name="Patel")
    case = new_case(organisation, applicant_name="Aisha Khan")
    for state in ("in_assessment", "awaiting_payment", "approved"):
        make_case(organisation, Service.BLUE_BADGE, state)
    for state in ("reported", "inspected", "repair_scheduled"):
        make_case(organisation, Service.STREET_REPORT, state)
    sign_in(page, editor)
    page.set_viewport_size({"width": 1280, "height": 1000})

    page.goto(f"/admin/cases/case/{case.pk}/change/")
    assert axe_violations(page) == []
    page.screenshot(path=str(shots / "admin-case-page.png"), full_page=True)
    page.goto("/admin/cases/case/dashboard/")
    assert axe_violations(page) == []
    page.screenshot(path=str(shots / "admin-dashboard.png"), full_page=True)
