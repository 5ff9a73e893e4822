"""What a caseworker and a council's admin do around the cases, in Chromium: from the admin's
home to the dashboard and from each of its numbers to the cases it counts; finding a
message in the outbox by its reference however it is typed; linking the council's GOV.UK
Notify templates by name (Notify's API faked at the HTTP level, in this process, so the
real client reads it)."""

import uuid

import pytest
import responses
from playwright.sync_api import expect

from cases.models import Case, Role, ServiceConfig
from notify import client as notify_client
from notify.models import Notification
from tests.browser.conftest import sign_in
from tests.factories import caseworker, new_case
from tests.helpers import use_secrets
from tests.test_notify.test_linking import every_template, street_council


def test_from_the_home_page_to_the_dashboard_and_from_a_number_to_its_cases(page, north):
    sign_in(page, caseworker(north))
    overdue = [new_case(north) for _ in range(2)]
    new_case(north)
    Case.objects.filter(pk__in=[c.pk for c in overdue]).update(overdue=True)

    page.goto("/admin/")
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_test_id("overdue")).to_have_text("2")
    expect(page.get_by_test_id("open")).to_have_text("3")

    page.get_by_role("link", name="2 overdue").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    for case in overdue:
        expect(page.locator("#result_list")).to_contain_text(case.reference)


@pytest.mark.parametrize("typed", ["hyphens", "lower case without hyphens"])
def test_the_outbox_finds_a_message_by_its_reference_typed_any_way(page, north, typed):
    sign_in(page, caseworker(north))
    case, other = new_case(north), new_case(north)
    assert Notification.objects.filter(case=other).exists()
    reference = case.reference if typed == "hyphens" else case.process_id.lower()

    page.goto("/admin/notify/notification/")
    page.locator("#searchbar").fill(reference)
    page.get_by_role("button", name="Search").click()

    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(Notification.objects.filter(case=case).count())
    expect(page.locator("#result_list")).not_to_contain_text(other.reference)


@pytest.fixture
def notify_account(settings):
    settings.NOTIFY_API_BASE_URL = "https://notify.test"
    use_secrets(settings, NOTIFY_API_KEY=f"waymark_test-{uuid.uuid4()}-{uuid.uuid4()}")
    notify_client._clients.clear()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        yield fake
    notify_client._clients.clear()


def test_a_council_admin_links_the_notify_templates_by_name(page, transactional_db, notify_account):
    organisation = street_council(slug="eastshire", name="Eastshire Council")
    templates = every_template(organisation)
    notify_account.get("https://notify.test/v2/templates", json={"templates": templates})
    sign_in(page, caseworker(organisation, role=Role.ADMIN))

    page.goto(f"/admin/cases/organisation/{organisation.pk}/change/")
    page.get_by_role("link", name="Link Notify templates").click()
    expect(page.get_by_test_id("link-summary")).to_contain_text(
        f"{len(templates)} templates expected: {len(templates)} linked"
    )
    page.get_by_role("button", name="Save these template IDs").click()

    expect(page.locator(".messagelist")).to_contain_text(
        f"Saved the Notify template IDs of Eastshire Council: {len(templates)}"
    )
    saved = ServiceConfig.objects.get(organisation=organisation).notify_templates
    received = next(t for t in templates if t["name"] == "waymark report_received email en")
    assert saved["report_received"]["email"]["en"] == received["id"]
