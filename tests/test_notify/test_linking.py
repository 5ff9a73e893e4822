"""Linking a council's GOV.UK Notify templates by name: the report, the command and the
admin page, against a fake Notify account served to the real client."""

import io
import re
import uuid

import pytest
import responses
from django.core.management import CommandError, call_command

from cases.models import Role, ServiceConfig
from notify import client as notify_client
from notify.linking import (
    NoNotifyKey,
    Status,
    link_report,
    normalise_name,
    save_links,
    service_events,
    template_name,
)
from notify.templates import TEMPLATES
from tests.factories import caseworker, council
from tests.helpers import use_secrets

pytestmark = pytest.mark.django_db

BASE = "https://notify.test"
TYPE = {"email": "email", "sms": "sms", "letter": "letter"}


@pytest.fixture
def notify_account(settings):
    settings.NOTIFY_API_BASE_URL = BASE
    use_secrets(settings, NOTIFY_API_KEY=f"waymark_test-{uuid.uuid4()}-{uuid.uuid4()}")
    notify_client._clients.clear()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        yield fake
    notify_client._clients.clear()


def notify_template(event, channel, language, *, name=None, **changes):
    """A template as Notify's API returns it, made right from the registry."""
    subject, body = TEMPLATES[event].texts(channel, language)
    return {
        "id": str(uuid.uuid4()),
        "name": name if name is not None else template_name(event, channel, language),
        "type": TYPE[channel],
        "subject": subject or None,
        "body": body,
        "version": 1,
        **changes,
    }


def serve(fake, templates):
    fake.get(f"{BASE}/v2/templates", json={"templates": templates})


def every_template(organisation, **kw):
    """A correct template for every row the council needs (its services and channels)."""
    found = []
    for config in organisation.service_configs.filter(enabled=True):
        for event in service_events(config.service):
            for channel in config.enabled_channels:
                for language in ("en", "cy"):
                    found.append((event, channel, language))
    return [notify_template(*row, **kw) for row in dict.fromkeys(found)]


def street_council(channels=("email",), **kw):
    organisation = council(services=["street_report"], **kw)
    ServiceConfig.objects.filter(organisation=organisation).update(enabled_channels=list(channels))
    return organisation


def by_key(report):
    return {(r.event, r.channel, r.language): r for r in report.rows}


def test_the_name_is_derived_from_the_registry_and_compared_loosely():
    assert template_name("application_received", "sms", "cy") == (
        "waymark application_received sms cy"
    )
    loose = ["Waymark Application Received SMS CY", "  WAYMARK application__received  sms cy "]
    for name in loose:
        assert normalise_name(name) == normalise_name("waymark application_received sms cy")
    assert normalise_name("waymark application_received sms en") != normalise_name(loose[0])


def test_the_events_of_each_service_come_from_its_workflow():
    street = service_events("street_report")
    badge = service_events("blue_badge")
    assert "report_fixed" in street
    assert "report_fixed" not in badge
    assert {"application_received", "payment_reminder", "withdraw_confirm"} <= set(badge)
    assert "payment_reminder" not in street
    assert {"follow_confirm", "follow_update"} <= set(street)  # a report's followers'
    assert "follow_update" not in badge
    for shared in ("which_case", "announcement"):  # sent outside any workflow
        assert shared in street
        assert shared in badge
    assert set(street) | set(badge) == set(TEMPLATES)


def test_templates_are_matched_by_name_whatever_the_case_and_spacing(notify_account):
    organisation = street_council(channels=("email", "sms"))
    templates = every_template(organisation)
    expected = {}
    for template in templates:
        event, channel, language = template["name"].split(" ")[1:]
        expected[event, channel, language] = template["id"]
        template["name"] = "  " + template["name"].upper().replace("_", "  ") + " "
    serve(notify_account, templates)

    report = link_report(organisation)

    assert report.problems == []
    assert {key: row.template_id for key, row in by_key(report).items()} == expected
    mapping = report.mapping()
    assert mapping["report_fixed"]["sms"]["cy"] == expected["report_fixed", "sms", "cy"]
    assert len(notify_account.calls) == 1  # the account is read once


def test_wrong_type_and_different_placeholders_are_reported_and_not_linked(notify_account):
    organisation = street_council()
    templates = every_template(organisation)
    wrong_type = next(t for t in templates if t["name"] == "waymark report_fixed email en")
    wrong_type.update(type="sms", subject=None)
    fields = next(t for t in templates if t["name"] == "waymark repair_scheduled email en")
    fields["body"] = fields["body"].replace("((repair_date))", "((date))")
    missing = [t for t in templates if t["name"] == "waymark report_inspected email cy"]
    templates.remove(missing[0])
    serve(notify_account, templates)

    rows = by_key(link_report(organisation))

    assert rows["report_fixed", "email", "en"].status == Status.WRONG_TYPE
    assert "sms template, not email" in rows["report_fixed", "email", "en"].detail
    placeholders = rows["repair_scheduled", "email", "en"]
    assert placeholders.status == Status.PLACEHOLDERS_DIFFER
    assert placeholders.detail == "missing in Notify: repair_date; not provided by Waymark: date"
    assert rows["report_inspected", "email", "cy"].status == Status.MISSING
    assert not rows["report_inspected", "email", "cy"].required  # Welsh is optional
    assert rows["report_fixed", "email", "en"].required
    report = link_report(organisation)
    assert {(r.event, r.language) for r in report.problems} == {
        ("report_fixed", "en"),
        ("repair_scheduled", "en"),
        ("report_inspected", "cy"),
    }
    mapping = report.mapping()
    assert "en" not in mapping["report_fixed"]["email"]
    assert "en" not in mapping["repair_scheduled"]["email"]
    assert "cy" not in mapping["report_inspected"]["email"]
    assert mapping["report_received"]["email"]["en"]


def test_two_templates_with_the_same_name_are_not_linked(notify_account):
    organisation = street_council()
    templates = every_template(organisation)
    templates.append(
        notify_template("report_received", "email", "en", name="WAYMARK report received email en")
    )
    serve(notify_account, templates)

    row = by_key(link_report(organisation))["report_received", "email", "en"]

    assert row.status == Status.DUPLICATE
    assert "2 templates have this name" in row.detail
    assert not row.template_id


def test_without_a_key_the_account_cannot_be_read(settings):
    organisation = street_council(slug="bryn-dewi")
    with pytest.raises(NoNotifyKey) as raised:
        link_report(organisation)  # the tests run with LOCAL_BACKENDS on: the local backend
    assert raised.value.variable == "NOTIFY_API_KEY_BRYN_DEWI"
    settings.LOCAL_BACKENDS = False
    with pytest.raises(NoNotifyKey):
        link_report(organisation)  # no backend at all


def test_saving_writes_each_service_its_events_and_keeps_what_the_account_lacks(notify_account):
    organisation = council()  # Blue Badge and street reports, every channel
    badge = ServiceConfig.objects.get(organisation=organisation, service="blue_badge")
    street = ServiceConfig.objects.get(organisation=organisation, service="street_report")
    kept = str(uuid.uuid4())
    badge.notify_templates = {
        "application_refused": {"letter": {"en": kept}},
        "custom_extra": {"email": {"en": "left alone"}},
    }
    badge.save()
    templates = [
        t
        for t in every_template(organisation)
        if t["name"] != "waymark application_refused letter en"
    ]
    serve(notify_account, templates)

    report = link_report(organisation)
    values = sum(len(service_events(c.service)) * 3 * 2 for c in (badge, street))
    assert save_links(report) == values - 1  # all but the letter the account lacks

    badge.refresh_from_db()
    street.refresh_from_db()
    assert badge.notify_templates["application_refused"]["letter"]["en"] == kept
    assert badge.notify_templates["custom_extra"] == {"email": {"en": "left alone"}}
    assert "report_fixed" in street.notify_templates
    assert "report_fixed" not in badge.notify_templates
    assert "application_received" not in street.notify_templates
    ids = report.mapping()["which_case"]["sms"]["cy"]
    assert badge.notify_templates["which_case"]["sms"]["cy"] == ids
    assert street.notify_templates["which_case"]["sms"]["cy"] == ids

    # Saving again changes nothing; clearing removes only what was not linked.
    assert save_links(link_report(organisation)) == 0
    assert save_links(link_report(organisation), clear_missing=True) == 1
    badge.refresh_from_db()
    assert "en" not in badge.notify_templates["application_refused"]["letter"]
    assert badge.notify_templates["custom_extra"] == {"email": {"en": "left alone"}}


def test_the_command_reports_and_writes_only_with_apply(notify_account):
    organisation = street_council(slug="northshire")
    templates = every_template(organisation)
    templates = [t for t in templates if t["name"] != "waymark report_inspected email en"]
    serve(notify_account, templates)
    config = ServiceConfig.objects.get(organisation=organisation)

    with pytest.raises(CommandError, match="1 required template"):
        call_command(
            "link_notify_templates", "--council", "northshire", stdout=(out := io.StringIO())
        )

    report = out.getvalue()
    assert "MISSING" in report
    assert "report_inspected / email / en: 'waymark report_inspected email en'" in report
    assert "required" in report
    assert re.search(r"linked +report_received / email / en: .* \[new\]", report)
    assert "Nothing saved: run again with --apply" in report
    config.refresh_from_db()
    assert config.notify_templates == {}

    with pytest.raises(CommandError):
        call_command(
            "check_notify_templates", "--council", "northshire", stdout=(before := io.StringIO())
        )

    with pytest.raises(CommandError, match="1 required template"):
        call_command(
            "link_notify_templates",
            "--council",
            "northshire",
            "--apply",
            stdout=(out := io.StringIO()),
        )
    assert f"Saved: {len(templates)} template ID(s) changed." in out.getvalue()
    config.refresh_from_db()
    assert config.notify_templates["report_received"]["email"]["en"] == next(
        t["id"] for t in templates if t["name"] == "waymark report_received email en"
    )

    with pytest.raises(CommandError):
        call_command(
            "check_notify_templates", "--council", "northshire", stdout=(after := io.StringIO())
        )
    before, after = problems(before.getvalue()), problems(after.getvalue())
    assert len(before) > 1
    # The check and the link agree: only the template the account lacks is left.
    assert [line.split(": ", 1)[1] for line in after] == [
        "report_inspected / email / en: no template ID configured"
    ]


def test_the_command_succeeds_when_everything_is_linked(notify_account):
    organisation = street_council(slug="southshire")
    serve(notify_account, every_template(organisation))
    call_command(
        "link_notify_templates", "--council", "southshire", "--apply", stdout=io.StringIO()
    )
    call_command("link_notify_templates", "--council", "southshire", stdout=(out := io.StringIO()))
    assert "Nothing to save" in out.getvalue()
    call_command("check_notify_templates", "--council", "southshire", stdout=(out := io.StringIO()))
    assert "templates match" in out.getvalue()


def test_the_command_without_a_key_or_with_a_notify_error(notify_account, settings):
    street_council(slug="westshire")
    notify_account.get(
        f"{BASE}/v2/templates",
        status=403,
        json={"status_code": 403, "errors": [{"error": "AuthError", "message": "Invalid token"}]},
    )
    with pytest.raises(CommandError, match="could not read the Notify account: Invalid token"):
        call_command("link_notify_templates", "--council", "westshire", stdout=io.StringIO())

    settings.COUNCIL_SECRETS = {}
    with pytest.raises(CommandError, match="set NOTIFY_API_KEY_WESTSHIRE"):
        call_command("link_notify_templates", "--council", "westshire", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No council"):
        call_command("link_notify_templates", "--council", "nowhere", stdout=io.StringIO())


def problems(report: str) -> list[str]:
    """The problem lines check_notify_templates printed."""
    return [line for line in report.splitlines() if line.startswith("  - ")]


def page_url(organisation):
    return f"/admin/notify/notification/link-templates/{organisation.slug}/"


def test_a_council_admin_links_the_templates_from_the_admin(client, notify_account):
    organisation = street_council(slug="eastshire", name="Eastshire Council")
    templates = every_template(organisation)
    wrong = next(t for t in templates if t["name"] == "waymark report_fixed email en")
    wrong["type"] = "letter"
    serve(notify_account, templates)
    client.force_login(caseworker(organisation, role=Role.ADMIN))

    page = client.get(page_url(organisation))

    assert page.status_code == 200
    assert '<table id="link-templates"' in page.text
    for heading in ("Event", "Channel", "Language", "Status", "Template name expected"):
        assert f'<th scope="col">{heading}</th>' in page.text
    assert "waymark report_received email en" in page.text
    assert wrong["id"] in page.text
    assert "wrong type" in page.text
    assert "Save these template IDs" in page.text
    config = ServiceConfig.objects.get(organisation=organisation)
    assert config.notify_templates == {}

    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', page.text).group(1)
    saved = client.post(page_url(organisation), {"fingerprint": fingerprint}, follow=True)

    assert saved.status_code == 200
    assert f"Saved the Notify template IDs of Eastshire Council: {len(templates) - 1}" in saved.text
    config.refresh_from_db()
    received = next(t for t in templates if t["name"] == "waymark report_received email en")
    assert config.notify_templates["report_received"]["email"]["en"] == received["id"]
    assert "en" not in config.notify_templates["report_fixed"]["email"]


def test_saving_what_was_not_shown_saves_nothing(client, notify_account):
    organisation = street_council(slug="midshire")
    serve(notify_account, every_template(organisation))
    client.force_login(caseworker(organisation, role=Role.ADMIN))

    page = client.post(page_url(organisation), {"fingerprint": "stale"})

    assert page.status_code == 200
    assert "nothing was saved" in page.text
    assert ServiceConfig.objects.get(organisation=organisation).notify_templates == {}


def test_only_that_councils_admins_and_national_administrators_may_link(
    client, notify_account, admin_user
):
    mine, theirs = street_council(slug="mine"), street_council(slug="theirs")
    serve(notify_account, every_template(theirs))
    client.force_login(caseworker(mine, role=Role.ADMIN))

    assert client.get(page_url(theirs)).status_code == 404
    assert client.post(page_url(theirs), {"fingerprint": "x"}).status_code == 404
    assert client.get("/admin/notify/notification/link-templates/nowhere/").status_code == 404

    client.force_login(caseworker(theirs, role=Role.EDITOR))
    assert client.get(page_url(theirs)).status_code == 403
    assert client.post(page_url(theirs), {"fingerprint": "x"}).status_code == 403
    assert ServiceConfig.objects.get(organisation=theirs).notify_templates == {}
    assert len(notify_account.calls) == 0  # nobody got as far as the account

    client.force_login(admin_user)
    assert client.get(page_url(theirs)).status_code == 200


# The council page's form warns about the website field's URLField (Django 6 will assume
# https): not this page's concern.
@pytest.mark.filterwarnings("ignore:The default scheme will be changed")
def test_the_council_page_links_to_the_linking_page(client):
    organisation = street_council(slug="linkshire")
    client.force_login(caseworker(organisation, role=Role.ADMIN))
    page = client.get(f"/admin/cases/organisation/{organisation.pk}/change/")
    assert page.status_code == 200
    assert f'href="{page_url(organisation)}">Link Notify templates</a>' in page.text


def test_the_council_list_action_opens_the_page_of_one_council(client, admin_user):
    organisation = street_council(slug="northtown")
    other = street_council(slug="southtown")
    client.force_login(admin_user)
    action = {"action": "link_notify_templates", "_selected_action": [str(organisation.pk)]}

    answer = client.post("/admin/cases/organisation/", action)

    assert answer.status_code == 302
    assert answer.url == page_url(organisation)
    action["_selected_action"].append(str(other.pk))
    answer = client.post("/admin/cases/organisation/", action, follow=True)
    assert "Tick one council" in answer.text


def test_the_admin_page_says_which_variable_to_set_without_a_key(client):
    organisation = street_council(slug="bryn-dewi")
    client.force_login(caseworker(organisation, role=Role.ADMIN))

    page = client.get(page_url(organisation))

    assert page.status_code == 200
    assert "has no GOV.UK Notify API key: set NOTIFY_API_KEY_BRYN_DEWI" in page.text
    assert "Save these template IDs" not in page.text


def test_a_notify_error_is_shown_and_nothing_is_saved(client, notify_account):
    organisation = street_council(slug="upshire")
    notify_account.get(
        f"{BASE}/v2/templates",
        status=403,
        json={"status_code": 403, "errors": [{"error": "AuthError", "message": "Invalid token"}]},
    )
    client.force_login(caseworker(organisation, role=Role.ADMIN))

    page = client.post(page_url(organisation), {"fingerprint": "x"})

    assert page.status_code == 200
    assert "GOV.UK Notify account: Invalid token. Nothing was saved." in page.text
    assert ServiceConfig.objects.get(organisation=organisation).notify_templates == {}
