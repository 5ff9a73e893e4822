"""Finding a case: a reference and a second factor, the same answer for every miss, a
rate limit, and signed links from messages."""

import pytest

from cases.links import signed_link
from cases.models import AccessLog
from tests.factories import council, new_case

pytestmark = pytest.mark.django_db

NOT_FOUND = "We could not find a case with that reference number and postcode or email address"


@pytest.fixture
def case():
    return new_case(council())


def find(client, reference, second, address="10.0.0.1"):
    return client.post(
        "/track/",
        {"reference": reference, "postcode_or_email": second},
        REMOTE_ADDR=address,
    )


@pytest.mark.parametrize("second", ["ab12cd", "AB1 2CD", "ANN@example.com"])
def test_the_reference_and_the_postcode_or_email_open_the_timeline(client, case, second):
    typed = case.reference.lower().replace("-", " ")
    response = find(client, typed, second)
    assert response.status_code == 302
    assert response["Location"] == f"/track/{case.process_id}/"
    timeline = client.get(response["Location"])
    assert case.reference in timeline.text
    assert AccessLog.objects.filter(case=case, action="citizen_viewed").count() == 1


def test_a_wrong_second_factor_and_an_unknown_reference_get_the_same_answer(client, case):
    wrong_factor = find(client, case.reference, "ZZ9 9ZZ")
    unknown = find(client, "BB-4K7M-Q9XA-W3R", "AB1 2CD")

    for response in (wrong_factor, unknown):
        assert response.status_code == 400
        assert NOT_FOUND in response.text
        assert case.reference not in response.text.replace(f'value="{case.reference}"', "")
    assert client.get(f"/track/{case.process_id}/")["Location"] == "/track/"


def test_a_mistyped_reference_is_explained_without_a_lookup(client):
    response = find(client, "BB-4K7M-Q9XA-W3S", "AB1 2CD")
    assert "it looks like a character is wrong or two are swapped" in response.text


def test_the_rate_limit_engages_per_reference(client, case, settings):
    settings.TRACK_ATTEMPTS_PER_REFERENCE = 3
    for attempt in range(3):
        assert find(client, case.reference, "ZZ9 9ZZ", f"10.0.1.{attempt}").status_code == 400
    blocked = find(client, case.reference, "AB1 2CD", "10.0.1.9")
    assert blocked.status_code == 429
    assert "You have tried too many times" in blocked.text


def test_the_rate_limit_engages_per_address(client, case, settings):
    settings.TRACK_ATTEMPTS_PER_IP = 3
    for _ in range(3):
        find(client, "BB-4K7M-Q9XA-W3R", "ZZ9 9ZZ", "10.0.2.1")
    assert find(client, case.reference, "AB1 2CD", "10.0.2.1").status_code == 429
    assert find(client, case.reference, "AB1 2CD", "10.0.2.2").status_code == 302


def test_a_signed_link_opens_the_timeline_and_a_tampered_one_does_not(client, case):
    link = signed_link(case).split("localhost:8000")[-1]
    opened = client.get(link)
    assert opened["Location"] == f"/track/{case.process_id}/"
    assert client.get(opened["Location"]).status_code == 200

    stranger = client.__class__()
    tampered = link[:-2] + ("aa" if not link.endswith("aa") else "bb")
    assert stranger.get(tampered)["Location"] == "/track/"
    other = new_case(council(slug="other"))
    borrowed = link.replace(case.process_id, other.process_id, 1)
    assert stranger.get(borrowed)["Location"] == "/track/"


def test_the_timeline_is_never_stored_by_a_browser_or_a_shared_cache(client, case):
    opened = client.get(client.get(signed_link(case).split("localhost:8000")[-1])["Location"])
    assert opened.status_code == 200
    assert "no-store" in opened["Cache-Control"]
    assert "private" in opened["Cache-Control"]


def test_a_stranger_locking_the_reference_does_not_lock_the_owner_out(client, case, settings):
    """Guesses by someone else use up the reference's lookups for 15 minutes; the owner's
    link in any of our messages still opens the case at once."""
    from django.test import Client

    settings.TRACK_ATTEMPTS_PER_REFERENCE = 3
    for attempt in range(5):
        find(client, case.reference, "ZZ9 9ZZ", f"10.0.3.{attempt}")
    assert find(client, case.reference, "AB1 2CD", "10.0.3.9").status_code == 429

    owner = Client()
    opened = owner.get(signed_link(case).split("localhost:8000")[-1], REMOTE_ADDR="10.0.3.9")
    assert opened["Location"] == f"/track/{case.process_id}/"
    assert owner.get(opened["Location"]).status_code == 200


# --- Citizens who chose text messages ----------------------------------------------------


@pytest.fixture
def texting(db):
    """A case whose citizen gave only a mobile number: no email, no postcode."""
    return new_case(
        council(slug="textshire"), contact="sms", email="", postcode="", address_line_1="", town=""
    )


@pytest.mark.parametrize(
    "typed", ["07911 123456", "07911123456", "+44 7911 123456", "447911123456"]
)
def test_the_mobile_number_opens_the_case_however_it_is_typed(client, texting, typed):
    response = find(client, texting.reference, typed)
    assert response["Location"] == f"/track/{texting.process_id}/"


def test_another_number_does_not(client, texting):
    assert find(client, texting.reference, "07700 900123").status_code == 400


def send_link(client, reference, address="10.0.5.1"):
    return client.post("/track/send-link/", {"reference": reference}, REMOTE_ADDR=address)


def test_send_me_a_link_texts_the_short_link_and_the_link_opens_the_case(client, texting):
    from django.test import Client

    from notify.models import Notification

    before = Notification.objects.count()
    response = send_link(client, texting.reference.lower())

    assert response.status_code == 200
    assert "we have sent a link" in response.text
    sent = Notification.objects.exclude(pk__in=[]).order_by("-created_at").first()
    assert Notification.objects.count() == before + 1
    assert (sent.event, sent.channel, sent.recipient) == ("case_link", "sms", "+447911123456")
    link = sent.personalisation["short_url"]
    assert link in sent.body
    opened = Client().get(link.split("localhost:8000")[-1])
    assert opened["Location"] == f"/track/{texting.process_id}/"


def test_send_me_a_link_answers_the_same_for_a_reference_that_does_not_exist(client, texting):
    from notify.models import Notification

    before = Notification.objects.count()
    real = send_link(client, texting.reference)
    made_up = send_link(client, "BB-4K7M-Q9XA-W3R")

    assert real.status_code == made_up.status_code == 200
    assert real.text.replace(texting.reference, "REF") == made_up.text.replace(
        "BB-4K7M-Q9XA-W3R", "REF"
    )
    assert Notification.objects.count() == before + 1


def test_send_me_a_link_sends_a_few_links_an_hour_and_then_quietly_none(client, texting, settings):
    from notify.models import Notification

    settings.LINK_REQUESTS_PER_REFERENCE = 2
    before = Notification.objects.count()
    answers = [send_link(client, texting.reference, f"10.0.6.{n}") for n in range(4)]

    assert {a.status_code for a in answers} == {200}
    assert Notification.objects.count() == before + 2  # the owner's phone is not flooded


def test_send_me_a_link_still_works_when_lookups_of_the_reference_are_blocked(
    client, texting, settings
):
    from notify.models import Notification

    settings.TRACK_ATTEMPTS_PER_REFERENCE = 2
    for attempt in range(4):
        find(client, texting.reference, "ZZ9 9ZZ", f"10.0.7.{attempt}")
    assert find(client, texting.reference, "07911 123456", "10.0.7.9").status_code == 429

    before = Notification.objects.count()
    assert send_link(client, texting.reference, "10.0.7.10").status_code == 200
    assert Notification.objects.count() == before + 1


@pytest.mark.parametrize("tamper", ["signature", "reference", "time"])
def test_a_tampered_short_link_opens_nothing(client, texting, tamper):
    from cases.links import short_link

    token = short_link(texting).rsplit("/", 1)[1]
    reference, stamp, signature = token.split(".")
    if tamper == "signature":
        signature = ("A" if signature[0] != "A" else "B") + signature[1:]
    elif tamper == "reference":
        reference = new_case(council(slug="other"), contact="sms").process_id
    else:
        stamp = stamp[:-1] + ("a" if stamp[-1] != "a" else "b")
    response = client.get(f"/t/{reference}.{stamp}.{signature}")
    assert response["Location"] == "/track/"


def test_an_old_short_link_has_expired(client, texting):
    import time

    from cases.links import LINK_MAX_AGE, short_link

    old = short_link(texting, now=time.time() - LINK_MAX_AGE - 60).rsplit("/", 1)[1]
    assert client.get(f"/t/{old}")["Location"] == "/track/"
