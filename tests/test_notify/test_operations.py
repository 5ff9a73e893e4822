"""What caseworkers and operators see and do with notifications: the admin outbox, retry
and cancel, the SMS allowance, and the template check against the Notify account."""

import io
import uuid
from datetime import UTC, date, datetime

import pytest
import responses
from django.core.management import CommandError, call_command

from cases.models import Role, ServiceConfig
from notify import client as notify_client
from notify.models import Notification, Status
from notify.services import notification_cancel, notification_retry, sms_allowance
from notify.templates import TEMPLATES
from tests.factories import caseworker, council, new_case
from tests.helpers import use_secrets

pytestmark = pytest.mark.django_db


def test_the_outbox_shows_what_the_citizen_receives_for_their_council_only(client):
    north, south = council(slug="north"), council(slug="south")
    mine = new_case(north).notifications.get()
    theirs = new_case(south, applicant_name="Zed Other").notifications.get()
    client.force_login(caseworker(north, role=Role.READ_ONLY))

    page = client.get("/admin/notify/notification/outbox/")

    assert page.status_code == 200
    assert mine.subject in page.text
    assert "Dear Ann Example" in page.text
    assert mine.case.reference in page.text
    assert theirs.case.reference not in page.text


def test_retry_and_cancel_through_the_admin_respect_roles(client):
    organisation = council()
    row = new_case(organisation).notifications.get()
    Notification.objects.filter(pk=row.pk).update(status=Status.PERMANENT_FAILURE)

    client.force_login(caseworker(organisation, role=Role.READ_ONLY))
    client.post(
        "/admin/notify/notification/",
        {"action": "retry", "_selected_action": [str(row.pk)]},
    )
    row.refresh_from_db()
    assert row.status == Status.PERMANENT_FAILURE

    assert not row.resends.exists()

    client.force_login(caseworker(organisation, role=Role.EDITOR))
    client.post(
        "/admin/notify/notification/",
        {"action": "retry", "_selected_action": [str(row.pk)]},
    )
    row.refresh_from_db()
    assert row.status == Status.PERMANENT_FAILURE  # a status never goes back
    resend = row.resends.get()
    assert (resend.status, resend.attempts, resend.body) == (Status.QUEUED, 0, row.body)
    assert (resend.recipient, resend.case_id) == (row.recipient, row.case_id)

    # Sending it again once more does not make a second copy.
    client.post(
        "/admin/notify/notification/",
        {"action": "retry", "_selected_action": [str(row.pk)]},
    )
    assert row.resends.count() == 1


def test_cancel_stops_only_messages_not_yet_sent():
    organisation = council()
    queued = new_case(organisation).notifications.get()
    sent = new_case(organisation).notifications.get()
    Notification.objects.filter(pk=sent.pk).update(status=Status.DELIVERED)

    assert notification_cancel(notification=queued) is True
    assert notification_cancel(notification=sent) is False
    queued.refresh_from_db()
    sent.refresh_from_db()
    assert (queued.status, sent.status) == (Status.CANCELLED, Status.DELIVERED)


def test_retry_refuses_a_delivered_message():
    row = new_case(council()).notifications.get()
    Notification.objects.filter(pk=row.pk).update(status=Status.DELIVERED)
    assert notification_retry(notification=row) is False


def test_sms_allowance_counts_fragments_in_the_financial_year_and_prices_the_rest(settings):
    settings.SMS_FREE_FRAGMENTS = 10
    organisation = council()
    row = new_case(organisation, contact="sms").notifications.get()
    base = {k: getattr(row, k) for k in ("case", "event", "channel", "recipient", "body")}

    def sent(on: datetime, fragments: int):
        Notification.objects.create(
            organisation=organisation, fragments=fragments, sent_at=on, **base
        )

    sent(datetime(2026, 3, 31, 12, tzinfo=UTC), 100)  # the year before
    sent(datetime(2026, 4, 1, 12, tzinfo=UTC), 8)
    sent(datetime(2027, 3, 30, 12, tzinfo=UTC), 7)
    sent(datetime(2027, 4, 1, 12, tzinfo=UTC), 50)  # the year after

    allowance = sms_allowance(organisation, on=date(2026, 11, 22))

    assert allowance["year"] == "2026/27"
    assert allowance["used"] == 15
    assert allowance["remaining"] == 0
    assert allowance["beyond"] == 5
    assert allowance["cost_pence"] == 12.0
    assert allowance["cost"] == "£0.12"


def test_allowance_page_lists_the_users_councils(client, admin_user):
    council(name="Northshire Council", slug="northshire")
    client.force_login(admin_user)
    page = client.get("/admin/notify/notification/allowance/")
    assert page.status_code == 200
    assert "Northshire Council" in page.text


@pytest.fixture
def notify_account(settings):
    settings.NOTIFY_API_BASE_URL = "https://notify.test"
    use_secrets(settings, NOTIFY_API_KEY=f"waymark_test-{uuid.uuid4()}-{uuid.uuid4()}")
    notify_client._clients.clear()
    yield
    notify_client._clients.clear()


@responses.activate
def test_check_notify_templates_reports_missing_wrong_type_and_placeholder_differences(
    notify_account,
):
    organisation = council(services=["street_report"])
    good, wrong_type, wrong_fields = (str(uuid.uuid4()) for _ in range(3))
    config = ServiceConfig.objects.get(organisation=organisation)
    config.enabled_channels = ["email"]
    config.notify_templates = {
        "report_received": {"email": {"en": good}},
        "report_fixed": {"email": {"en": wrong_type}},
        "repair_scheduled": {"email": {"en": wrong_fields}},
    }
    config.save()
    received = TEMPLATES["report_received"]
    responses.get(
        "https://notify.test/v2/templates",
        json={
            "templates": [
                {
                    "id": good,
                    "type": "email",
                    "subject": received.subject.en,
                    "body": received.body.en,
                },
                {"id": wrong_type, "type": "sms", "body": "((name)) ((reference))"},
                {
                    "id": wrong_fields,
                    "type": "email",
                    "subject": "Repair",
                    "body": "Dear ((name)), on ((date)). ((reference)) ((track_url)) ((council))",
                },
            ]
        },
    )

    with pytest.raises(CommandError):
        call_command("check_notify_templates", stdout=(out := io.StringIO()))

    report = out.getvalue()
    assert "report_received / email / en" not in report
    assert f"report_fixed / email / en: template {wrong_type} is a sms template" in report
    assert "repair_scheduled / email / en: placeholders differ" in report
    assert "repair_date" in report.split("missing in Notify: ")[1].split(";")[0]
    assert "not provided by Waymark: date" in report
    assert "report_inspected / email / en: no template ID configured" in report


def test_check_notify_templates_says_when_there_is_no_key():
    council(slug="nokey", services=["street_report"])
    with pytest.raises(CommandError):
        call_command(
            "check_notify_templates",
            "--council",
            "nokey",
            stdout=(out := io.StringIO()),
        )
    assert "no GOV.UK Notify API key (set NOTIFY_API_KEY_NOKEY)" in out.getvalue()


def test_the_notification_list_links_to_the_outbox_and_the_allowance(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/admin/notify/notification/")
    assert 'href="/admin/notify/notification/outbox/"' in page.text
    assert 'href="/admin/notify/notification/allowance/"' in page.text
    assert 'href="/admin/cases/case/dashboard/"' in client.get("/admin/cases/case/").text
