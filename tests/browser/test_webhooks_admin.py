"""A council admin subscribes a receiving system in the admin, copies the signing secret
from the one page that shows it, and the receiver verifies what it is sent with it; then
reads the delivery log, sends a delivery again, rotates the secret and replays a day —
each by pressing what the admin offers, and every page without accessibility problems."""

import re

from django.utils import timezone
from playwright.sync_api import expect
from standardwebhooks import Webhook

from cases.models import Role
from cases.webhooks import outbox
from cases.webhooks.models import WebhookDelivery
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import caseworker, new_case
from tests.test_webhooks.conftest import receiver  # noqa: F401 - the fixture

LIST = "/admin/cases/webhooksubscription/"


def test_a_council_admin_subscribes_redelivers_rotates_and_replays(
    page,
    north,
    receiver,  # noqa: F811 - the fixture
    settings,
):
    settings.WEBHOOKS_LOCAL_TARGETS = True  # the receiver is on loopback, as on a laptop
    sign_in(page, caseworker(north, role=Role.ADMIN))

    page.goto(f"{LIST}add/")
    assert axe_violations(page) == []
    page.get_by_label("Name").fill("CRM")
    page.get_by_label("Target URL").fill(receiver.url)
    page.get_by_label("Case created").check()
    page.get_by_label("Note added").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("h1")).to_have_text("Copy the signing secret now")
    assert axe_violations(page) == []
    secret = page.get_by_test_id("webhook-secret").input_value()
    assert secret.startswith("whsec_")

    case = new_case(north)
    outbox.pump()
    [got] = receiver.received
    event = Webhook(secret).verify(got.body, got.headers)
    assert (event["type"], event["case"]["id"]) == ("case.created", case.process_id)

    page.goto(LIST)
    assert axe_violations(page) == []
    page.get_by_role("link", name="CRM", exact=True).click()
    expect(page.get_by_label("Name")).to_have_value("CRM")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Deliveries", exact=True).click()
    expect(page.locator("#result_list")).to_contain_text(event["id"])
    assert axe_violations(page) == []
    page.get_by_role("link", name=event["id"]).click()
    expect(page.locator(".inline-related")).to_contain_text("204")  # the attempt's answer
    assert axe_violations(page) == []

    page.go_back()
    page.locator("input[name=_selected_action]").first.check()
    page.locator("select[name=action]").select_option("redeliver")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_contain_text("1 deliveries queued again.")
    outbox.pump()
    assert [r.headers["webhook-id"] for r in receiver.received] == [event["id"]] * 2

    page.goto(LIST)
    page.locator("input[name=_selected_action]").first.check()
    page.locator("select[name=action]").select_option("rotate_secret")
    page.get_by_role("button", name="Go").click()
    expect(page.locator("h1")).to_have_text("Copy the new signing secrets now")
    assert axe_violations(page) == []
    rotated = page.get_by_test_id("webhook-secret").input_value()
    assert rotated.startswith("whsec_")
    assert rotated != secret

    page.goto(LIST)
    page.get_by_role("link", name="CRM", exact=True).click()
    page.get_by_role("link", name="Send the events of some days again").click()
    expect(page.locator("h1")).to_have_text("Replay events to CRM")
    assert axe_violations(page) == []
    today = timezone.localdate()
    for field in ("since", "until"):
        page.locator(f"#id_{field}_0").fill(str(today.day))
        page.locator(f"#id_{field}_1").fill(str(today.month))
        page.locator(f"#id_{field}_2").fill(str(today.year))
    page.get_by_role("button", name="Send them again").click()
    expect(page.locator(".messagelist")).to_contain_text("1 deliveries to CRM queued.")
    outbox.pump()
    last = receiver.received[-1]
    assert Webhook(rotated).verify(last.body, last.headers)["id"] == event["id"]
    assert Webhook(secret).verify(last.body, last.headers)["id"] == event["id"]  # for a day
    assert re.fullmatch(r"evt_\d+_case_created", event["id"])
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.DELIVERED
