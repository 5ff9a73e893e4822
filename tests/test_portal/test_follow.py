"""Following a report someone else made: asked for on the "already reported" page, with an
email address or a mobile number; a link to confirm first (a page with a button, so a
mail scanner confirms nothing); then the report's news, in the follower's language, and
nothing of the reporter; a link in every update stops them."""

from __future__ import annotations

import re

import pytest

from cases import links
from cases.models import Case, Follower
from cases.services import Actor, case_transition
from notify.dispatch import apply_status
from notify.models import Notification
from notify.services import follower_notification
from notify.templates import FOLLOWER_UPDATES
from tests.factories import caseworker
from tests.test_cases.test_texts import DETAILS, LEFT_OVER
from tests.test_portal.test_report_map import BASE, northshire, open_report, post, where

__all__ = ["northshire"]  # the fixture, used by name

URL = re.compile(r"http://testserver(/follow/[^ ]+/(?:confirm|stop)/)")


@pytest.fixture
def report(northshire):
    return open_report(northshire, north=20, location="By the post box")


def reach_already_reported(client, report):
    post(client, "what", {"issue_type": "pothole"})
    post(client, "where", where())
    assert post(client, "nearby", {"nearby": report.process_id}).status_code == 302


def follow(client, report, contact="sam@example.com"):
    reach_already_reported(client, report)
    return client.post(BASE + "already-reported/", {"contact": contact})


def to_follower(**filters):
    return Notification.objects.filter(follower__isnull=False, **filters)


def link_in(notification, action) -> str:
    found = [path for path in URL.findall(notification.body) if path.endswith(f"/{action}/")]
    assert found, notification.body
    return found[0]


def move_on(report, transition, **data):
    editor = caseworker(report.organisation)
    return case_transition(
        case=report.pk, transition=transition, actor=Actor.caseworker(editor), data=data
    )


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "http://testserver"


def test_following_by_email_starts_only_once_confirmed_and_tells_only_the_news(client, report):
    response = follow(client, report)

    assert response.status_code == 200
    assert "Check your email" in response.text
    follower = Follower.objects.get()
    assert (follower.case, follower.email, follower.confirmed_at) == (
        report,
        "sam@example.com",
        None,
    )
    asked = to_follower().get()
    assert (asked.event, asked.channel, asked.recipient) == (
        "follow_confirm",
        "email",
        "sam@example.com",
    )
    assert report.reference in asked.body
    assert "By the post box" in asked.body

    # Nothing until confirmed: news of the report reaches only its reporter (who chose none).
    move_on(report, "inspect")
    assert to_follower(event="follow_update").count() == 0

    # Opening the link shows a button; it is the button that confirms.
    confirm = link_in(asked, "confirm")
    page = client.get(confirm)
    assert "Confirm you want updates about this report" in page.text
    follower.refresh_from_db()
    assert follower.confirmed_at is None
    assert "You will get updates about this report" in client.post(confirm).text
    follower.refresh_from_db()
    assert follower.confirmed_at is not None

    move_on(report, "schedule_repair", repair_date="2099-01-03")
    update = to_follower(event="follow_update").get()
    assert update.recipient == "sam@example.com"
    assert "A repair is booked for 3 January 2099." in update.body
    assert "Neighbour Smith" not in update.body + update.subject  # the reporter's name
    assert "/track/" not in update.body
    assert "/t/" not in update.body

    # Every update's link stops them, again with a button.
    stop = link_in(update, "stop")
    assert "Stop updates about this report?" in client.get(stop).text
    assert "You will not get any more updates" in client.post(stop).text
    move_on(report, "mark_fixed")
    assert to_follower(event="follow_update").count() == 1


def test_the_reporters_timeline_never_shows_a_followers_message(client, report, northshire):
    from cases.selectors import case_timeline

    follow(client, report)
    Follower.objects.update(confirmed_at="2026-12-01T10:00Z")
    move_on(report, "inspect")
    assert to_follower().count() == 2
    shown = case_timeline(report).notifications
    assert all(n.follower_id is None for n in shown)


def test_a_follower_by_text_gets_short_texts_and_no_email_fallback_to_the_reporter(client, report):
    response = follow(client, report, contact="07700 900 982")
    assert "Check your phone" in response.text
    asked = to_follower().get()
    assert (asked.channel, asked.recipient) == ("sms", "+447700900982")
    client.post(link_in(asked, "confirm"))
    move_on(report, "inspect")
    update = to_follower(event="follow_update").get()
    assert "An inspector has looked at it." in update.body
    assert update.fragments <= 2

    # A text that fails for good is not sent on to the reporter's email address.
    update.status = "sending"
    update.save()
    apply_status(update, "permanent-failure")
    assert not Notification.objects.filter(fallback_of=update).exists()


def test_a_welsh_follower_hears_in_welsh(client, report):
    client.cookies["waymark_language"] = "cy"
    follow(client, report)
    follower = Follower.objects.get()
    assert follower.language == "cy"
    assert "Cadarnhewch" in to_follower().get().subject
    Follower.objects.update(confirmed_at="2026-12-01T10:00Z")
    move_on(report, "inspect")
    move_on(report, "schedule_repair", repair_date="2099-01-03")
    update = to_follower(event="follow_update").order_by("created_at").last()
    assert "Mae atgyweiriad wedi'i drefnu ar gyfer 3 Ionawr 2099." in update.body


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("", "Enter an email address or a mobile number"),
        ("sam@", "Enter an email address in the correct format"),
        ("01632 960 001", "Enter a mobile phone number to get text messages"),
        ("x" * 300, "254 characters or fewer"),
    ],
)
def test_a_contact_that_is_not_one_is_refused_plainly(client, report, typed, error):
    response = follow(client, report, contact=typed)
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert error in response.text
    assert not Follower.objects.exists()


def test_asking_again_sends_the_link_again_within_limits_and_never_once_following(
    client, report, settings
):
    settings.LINK_REQUESTS_PER_REFERENCE = 2
    reach_already_reported(client, report)
    for _ in range(4):
        assert (
            "Check your email"
            in client.post(BASE + "already-reported/", {"contact": "sam@example.com"}).text
        )
    assert Follower.objects.count() == 1
    assert to_follower(event="follow_confirm").count() == 2  # the limit for the hour

    Follower.objects.update(confirmed_at="2026-12-01T10:00Z")
    settings.LINK_REQUESTS_PER_REFERENCE = 100
    client.post(BASE + "already-reported/", {"contact": "sam@example.com"})
    assert to_follower(event="follow_confirm").count() == 2  # already following


@pytest.mark.parametrize("token", ["1", "1.", "x.abc", "999999.abc", "1" * 40 + ".abc"])
def test_a_link_that_is_not_ours_is_not_found(client, report, token):
    assert client.get(f"/follow/{token}/confirm/").status_code == 404
    assert client.post(f"/follow/{token}/stop/").status_code == 404


def test_a_link_for_one_follower_does_not_open_another(client, report):
    follow(client, report)
    follower = Follower.objects.get()
    good = links.follow_link(follower, "stop").split("/follow/")[1].split("/")[0]
    pk, signature = good.split(".")
    assert links.follower_id(good) == follower.pk
    assert links.follower_id(f"{int(pk) + 1}.{signature}") is None


def test_links_sent_before_the_secret_key_is_rotated_keep_working(client, report, settings):
    follow(client, report)
    follower, case = Follower.objects.get(), Case.objects.get()
    stop = links.follow_link(follower, "stop").split("/follow/")[1].split("/")[0]
    short = links.short_link(case).split("/t/")[1]
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "rotated-" + old, [old]
    assert links.follower_id(stop) == follower.pk
    assert links.short_link_case(short) == case.process_id
    assert stop not in links.follow_link(follower, "stop")  # new links: the new key
    settings.SECRET_KEY_FALLBACKS = []  # once the old key is dropped, so are its links
    assert links.follower_id(stop) is None
    assert links.short_link_case(short) is None


def test_a_stopped_follower_cannot_be_confirmed_again_from_an_old_link(client, report):
    follow(client, report)
    asked, follower = to_follower().get(), Follower.objects.get()
    client.post(links.follow_link(follower, "stop").removeprefix("http://testserver"))
    client.post(link_in(asked, "confirm"))
    follower.refresh_from_db()
    assert follower.confirmed_at is None
    assert follower.stopped_at is not None


@pytest.mark.parametrize("language", ["en", "cy"])
@pytest.mark.parametrize("news_of", sorted(FOLLOWER_UPDATES))
def test_every_followers_message_is_filled_in_both_languages(report, language, news_of):
    Case.objects.filter(pk=report.pk).update(details=DETAILS)
    report.refresh_from_db()
    for channel, contact in (
        ("email", {"email": "sam@example.com"}),
        ("sms", {"phone": "+447700900982"}),
    ):
        follower = Follower.objects.create(case=report, language=language, **contact)
        sent = [
            follower_notification(follower, "follow_confirm", case=report),
            follower_notification(follower, "follow_update", case=report, news_of=news_of),
        ]
        for notification in sent:
            assert notification.channel == channel
            assert not LEFT_OVER.search(notification.subject + notification.body), notification.body
            assert report.reference in notification.body


def test_the_case_page_lists_the_reports_followers(client, report):
    follow(client, report)
    editor = caseworker(report.organisation)
    client.force_login(editor)
    page = client.get(f"/admin/cases/case/{report.pk}/change/").text
    assert "People following this report" in page
    assert "sam@example.com" in page
    assert "Not confirmed yet" in page


def test_only_a_service_that_may_be_followed_is(northshire):
    from cases.errors import CaseNotAllowed
    from cases.services import follower_add
    from tests.factories import new_case

    application = new_case(northshire)
    with pytest.raises(CaseNotAllowed):
        follower_add(case=application, contact="sam@example.com", language="en")
    assert not Follower.objects.exists()
