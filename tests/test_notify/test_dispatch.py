"""Delivering notifications through the official GOV.UK Notify client, with only the far end
(Notify's HTTP API) faked by `responses`, so the real client code builds every request."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from unittest import mock

import jwt
import pytest
import requests
import responses
from django.utils import timezone
from responses import matchers

from cases import ratelimit
from cases.models import RateWindow
from notify import client as notify_client
from notify import dispatch, tasks
from notify.models import Notification, Status
from notify.tasks import queue_due_notifications
from notify.templates import TEMPLATES
from tests.factories import council, new_case
from tests.helpers import use_secrets

pytestmark = pytest.mark.django_db

BASE_URL = "https://notify.test"
SEND_URL = {channel: f"{BASE_URL}/v2/notifications/{channel}" for channel in ("email", "sms")}
SEND_URL["letter"] = f"{BASE_URL}/v2/notifications/letter"
LOOKUP_URL = f"{BASE_URL}/v2/notifications"
TEMPLATE_IDS = {
    "email": "f33517ff-2a88-4f6e-b855-c550268ce08a",
    "sms": "2b2f6a3d-8e0f-4d1c-9a47-3c51e1f3b0aa",
    "letter": "6f0c4b52-91d3-4c8e-b1a2-0e7d5a9c4e11",
}

BAD_REQUEST = {
    "status_code": 400,
    "errors": [
        {
            "error": "BadRequestError",
            "message": "Can't send to this recipient using a team-only API key",
        }
    ],
}
AUTH_ERROR = {
    "status_code": 403,
    "errors": [{"error": "AuthError", "message": "Invalid token: API key not found"}],
}
RATE_LIMITED = {
    "status_code": 429,
    "errors": [
        {
            "error": "RateLimitError",
            "message": "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
        }
    ],
}
SERVER_ERROR = {
    "status_code": 500,
    "errors": [{"error": "Exception", "message": "Internal server error"}],
}


@dataclass(frozen=True)
class NotifyAccount:
    service_id: str
    secret: str
    api_key: str


@pytest.fixture(autouse=True)
def _fresh_clients():
    """The client module caches one client per API key: every test starts without one."""
    notify_client._clients.clear()
    yield
    notify_client._clients.clear()


@pytest.fixture(autouse=True)
def _no_real_sleep(monkeypatch):
    """The limiter must never make these tests wait for real."""

    def refuse(seconds):
        raise AssertionError(f"the rate limiter tried to sleep {seconds:.2f}s for real")

    defaults = {**ratelimit.acquire.__kwdefaults__, "sleep": refuse}
    monkeypatch.setattr(ratelimit.acquire, "__kwdefaults__", defaults)


@pytest.fixture
def govuk(settings) -> NotifyAccount:
    service_id, secret = str(uuid.uuid4()), str(uuid.uuid4())
    api_key = f"waymark_test-{service_id}-{secret}"
    settings.NOTIFY_API_BASE_URL = BASE_URL
    use_secrets(settings, NOTIFY_API_KEY=api_key)
    return NotifyAccount(service_id=service_id, secret=secret, api_key=api_key)


@pytest.fixture
def fake_notify():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def council_with_templates(events=("application_received",), **kw):
    """A council whose service settings hold a Notify template ID per event and channel."""
    organisation = council(**kw)
    ids = {event: {ch: {"en": tid} for ch, tid in TEMPLATE_IDS.items()} for event in events}
    organisation.service_configs.update(notify_templates=ids)
    return organisation


def queued_row(organisation=None, **applicant) -> Notification:
    case = new_case(organisation or council_with_templates(), **applicant)
    return Notification.objects.get(case=case, event="application_received")


def accepted_answer(notify_id: str, reference: str) -> dict:
    return {
        "id": notify_id,
        "reference": reference,
        "content": {"subject": "s", "body": "b", "from_email": "council@notify.test"},
        "uri": f"{BASE_URL}/v2/notifications/{notify_id}",
        "template": {"id": TEMPLATE_IDS["email"], "version": 1, "uri": "x"},
    }


def lookup_answer(notifications: list[dict]) -> dict:
    return {
        "notifications": notifications,
        "links": {"current": f"{LOOKUP_URL}?reference=x", "next": None},
    }


def found(notify_id: str, reference: str, status: str) -> dict:
    return {
        "id": notify_id,
        "reference": reference,
        "status": status,
        "type": "email",
        "email_address": "ann@example.com",
    }


def posts(rsps) -> list:
    return [call for call in rsps.calls if call.request.method == "POST"]


def successful_posts(rsps) -> list:
    return [
        call
        for call in posts(rsps)
        if isinstance(call.response, requests.Response) and call.response.status_code == 201
    ]


def make_due(row: Notification) -> None:
    """Time passes: the retry is due."""
    Notification.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def assert_signed_by(request, account: NotifyAccount) -> None:
    scheme, _, token = request.headers["Authorization"].partition(" ")
    assert scheme == "Bearer"
    claims = jwt.decode(token, account.secret, algorithms=["HS256"])
    assert claims["iss"] == account.service_id
    assert abs(claims["iat"] - time.time()) < 60


def assert_sent(row: Notification, notify_id: str, attempts: int = 1) -> None:
    row.refresh_from_db()
    assert row.status == Status.CREATED
    assert row.notify_id == uuid.UUID(notify_id)
    assert row.attempts == attempts
    assert row.sent_at is not None
    assert row.unanswered is False
    assert row.next_attempt_at is None


# --- What each channel sends -------------------------------------------------------------


def test_an_email_is_posted_with_the_templates_personalisation(govuk, fake_notify, settings):
    organisation = council_with_templates()
    row = queued_row(organisation, contact="email")
    notify_id = str(uuid.uuid4())
    fake_notify.post(SEND_URL["email"], status=201, json=accepted_answer(notify_id, str(row.pk)))

    assert dispatch.deliver(str(row.pk)) == "sent"

    assert len(fake_notify.calls) == 1
    request = fake_notify.calls[0].request
    assert request.url == "https://notify.test/v2/notifications/email"
    body = json.loads(request.body)
    assert body == {
        "email_address": "ann@example.com",
        "template_id": TEMPLATE_IDS["email"],
        "personalisation": {
            "name": "Ann Example",
            "reference": row.case.reference,
            "track_url": row.personalisation["track_url"],
            "council": organisation.name,
            "caseworker_message": "",  # no caseworker wrote anything
            "council_contact": "",  # the council has no contact details set
        },
        "reference": str(row.id),
    }
    # The link opens the citizen's timeline directly: signed, for this case only.
    assert body["personalisation"]["track_url"].startswith(
        f"{settings.SITE_URL}/track/{row.case.process_id}/?t="
    )
    assert set(body["personalisation"]) == TEMPLATES["application_received"].placeholders("email")
    assert_signed_by(request, govuk)
    assert_sent(row, notify_id)


def test_a_text_message_is_posted_to_the_e164_number(govuk, fake_notify):
    organisation = council_with_templates()
    row = queued_row(organisation, contact="sms")
    notify_id = str(uuid.uuid4())
    fake_notify.post(SEND_URL["sms"], status=201, json=accepted_answer(notify_id, str(row.pk)))

    assert dispatch.deliver(str(row.pk)) == "sent"

    assert len(fake_notify.calls) == 1
    request = fake_notify.calls[0].request
    assert request.url == "https://notify.test/v2/notifications/sms"
    assert json.loads(request.body) == {
        "phone_number": "+447911123456",
        "template_id": TEMPLATE_IDS["sms"],
        "personalisation": {
            "council": organisation.name,
            "reference": row.case.reference,
            "short_url": row.personalisation["short_url"],
            "council_phone": "",
        },
        "reference": str(row.id),
    }
    assert row.personalisation["short_url"].startswith("http://localhost:8000/t/")
    assert_signed_by(request, govuk)
    assert_sent(row, notify_id)


def test_a_letter_is_posted_with_the_address_in_its_personalisation(govuk, fake_notify):
    row = queued_row(contact="letter")
    notify_id = str(uuid.uuid4())
    fake_notify.post(SEND_URL["letter"], status=201, json=accepted_answer(notify_id, str(row.pk)))

    assert dispatch.deliver(str(row.pk)) == "sent"

    assert len(fake_notify.calls) == 1
    request = fake_notify.calls[0].request
    assert request.url == "https://notify.test/v2/notifications/letter"
    body = json.loads(request.body)
    assert body["template_id"] == TEMPLATE_IDS["letter"]
    assert body["reference"] == str(row.id)
    personalisation = body["personalisation"]
    lines = [personalisation.get(f"address_line_{i}") for i in range(1, 8)]
    lines = [line for line in lines if line]
    assert lines == ["Ann Example", "1 High Street", "Northtown", "AB1 2CD"]
    assert len(lines) >= 3
    assert lines[-1] == "AB1 2CD"
    assert "address_line_5" not in personalisation
    template_keys = TEMPLATES["application_received"].placeholders("letter")
    assert set(personalisation) == template_keys | {f"address_line_{i}" for i in range(1, 5)}
    assert_signed_by(request, govuk)
    assert_sent(row, notify_id)


# --- Failures that will not go away ------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "answer", "error_type", "message"),
    [
        (400, BAD_REQUEST, "BadRequestError", BAD_REQUEST["errors"][0]["message"]),
        (403, AUTH_ERROR, "AuthError", AUTH_ERROR["errors"][0]["message"]),
    ],
)
def test_400_and_403_fail_for_good_after_one_call(
    govuk, fake_notify, status, answer, error_type, message
):
    row = queued_row()
    fake_notify.post(SEND_URL["email"], status=status, json=answer)

    assert dispatch.deliver(str(row.pk)) == "permanent-failure"

    row.refresh_from_db()
    assert row.status == Status.PERMANENT_FAILURE
    assert row.last_error_type == error_type
    assert message in row.last_error
    assert row.attempts == 1
    assert row.completed_at is not None
    assert row.notify_id is None
    assert len(fake_notify.calls) == 1

    assert dispatch.deliver(str(row.pk)) == "skipped"
    assert len(fake_notify.calls) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.PERMANENT_FAILURE, 1)


def test_a_missing_template_id_fails_for_good_without_calling_notify(govuk, fake_notify):
    row = queued_row(council())  # no template IDs in the service settings
    assert row.template_id == ""

    assert dispatch.deliver(str(row.pk)) == "permanent-failure"

    row.refresh_from_db()
    assert row.status == Status.PERMANENT_FAILURE
    assert row.last_error_type == "MissingTemplateId"
    assert "application_received" in row.last_error
    assert len(fake_notify.calls) == 0


# --- Failures worth another go -----------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "error_type", "message", "unanswered"),
    [
        ({"status": 500, "json": SERVER_ERROR}, "Exception", "Internal server error", False),
        (
            {"body": requests.exceptions.ReadTimeout("read timed out")},
            "ReadTimeout",
            "No answer from GOV.UK Notify",
            True,
        ),
    ],
    ids=["500", "timeout"],
)
def test_a_passing_failure_is_retried_later_and_sent_once(
    govuk, fake_notify, failure, error_type, message, unanswered
):
    row = queued_row()
    notify_id = str(uuid.uuid4())
    fake_notify.post(SEND_URL["email"], **failure)
    fake_notify.post(SEND_URL["email"], status=201, json=accepted_answer(notify_id, str(row.pk)))
    fake_notify.get(LOOKUP_URL, json=lookup_answer([]))

    before = timezone.now()
    assert dispatch.deliver(str(row.pk)) == "retry"
    after = timezone.now()

    row.refresh_from_db()
    assert row.status == Status.QUEUED
    assert row.attempts == 1
    assert before + timedelta(seconds=15) <= row.next_attempt_at <= after + timedelta(seconds=30)
    assert row.last_error_type == error_type
    assert message in row.last_error
    assert row.unanswered is unanswered
    assert row.completed_at is None
    assert len(posts(fake_notify)) == 1
    assert successful_posts(fake_notify) == []

    # Not due yet: a redelivered task does nothing.
    assert dispatch.deliver(str(row.pk)) == "skipped"
    assert len(fake_notify.calls) == 1

    RateWindow.objects.all().delete()  # any rate-limit pause is over by then
    make_due(row)
    assert dispatch.deliver(str(row.pk)) == "sent"

    assert len(posts(fake_notify)) == 2
    assert len(successful_posts(fake_notify)) == 1
    assert_sent(row, notify_id, attempts=2)


def test_a_429_is_no_attempt_and_pauses_the_key_briefly_for_every_worker(
    govuk, fake_notify, settings
):
    settings.NOTIFY_RATE_LIMIT_PAUSE_SECONDS = 3
    row = queued_row()
    fake_notify.post(SEND_URL["email"], status=429, json=RATE_LIMITED)
    key = notify_client.backend_for(row.organisation.slug).key_id

    now = int(time.time())
    before = timezone.now()
    assert dispatch.deliver(str(row.pk)) == "rate-limited"

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error_type) == (
        Status.QUEUED,
        0,
        "RateLimitError",
    )
    # Again as soon as the pause is over (with jitter, so the workers do not all go at once).
    assert before + timedelta(seconds=3) <= row.next_attempt_at
    assert row.next_attempt_at <= timezone.now() + timedelta(seconds=6)
    windows = list(RateWindow.objects.filter(key=key).order_by("window"))
    seconds = [w.window for w in windows]
    assert seconds == list(range(seconds[0], seconds[0] + 3))
    assert now <= seconds[0] <= now + 1
    assert {w.count for w in windows} == {settings.NOTIFY_SENDS_PER_SECOND}

    # Another send on the same key now waits until the paused seconds have passed.
    clock = [float(seconds[0]) + 0.5]
    slept = []

    def sleep(seconds_to_wait):
        slept.append(seconds_to_wait)
        clock[0] += seconds_to_wait

    ratelimit.acquire(
        key, limit=settings.NOTIFY_SENDS_PER_SECOND, clock=lambda: clock[0], sleep=sleep
    )
    assert len(slept) == 3
    assert int(clock[0]) == seconds[-1] + 1


def test_however_many_429s_come_a_message_is_sent_once_and_never_given_up(
    govuk, fake_notify, settings
):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    row = queued_row()
    notify_id = str(uuid.uuid4())
    for _ in range(5):
        fake_notify.post(SEND_URL["email"], status=429, json=RATE_LIMITED)
    fake_notify.post(SEND_URL["email"], status=201, json=accepted_answer(notify_id, str(row.pk)))

    outcomes = []
    for _ in range(6):
        RateWindow.objects.all().delete()  # each pause is over
        make_due(row)
        outcomes.append(dispatch.deliver(str(row.pk)))

    assert outcomes == ["rate-limited"] * 5 + ["sent"]
    assert len(successful_posts(fake_notify)) == 1
    assert_sent(row, notify_id, attempts=1)


def test_a_days_limit_reached_waits_an_hour_without_pausing_the_key(govuk, fake_notify, settings):
    row = queued_row()
    daily = {
        "status_code": 429,
        "errors": [
            {"error": "TooManyRequestsError", "message": "Exceeded send limits (50) for today"}
        ],
    }
    fake_notify.post(SEND_URL["email"], status=429, json=daily)

    assert dispatch.deliver(str(row.pk)) == "rate-limited"

    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.QUEUED, 0)
    wait = row.next_attempt_at - timezone.now()
    assert timedelta(minutes=59) < wait <= timedelta(hours=1)
    assert not RateWindow.objects.filter(count=settings.NOTIFY_SENDS_PER_SECOND).exists()


def test_no_send_slot_in_time_gives_the_message_back_untried(govuk, fake_notify, settings):
    settings.NOTIFY_ACQUIRE_WAIT_SECONDS = 0
    row = queued_row()
    key = notify_client.backend_for(row.organisation.slug).key_id
    ratelimit.pause(key, 5, limit=settings.NOTIFY_SENDS_PER_SECOND)

    assert dispatch.deliver(str(row.pk)) == "no-slot"

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error_type) == (
        Status.QUEUED,
        0,
        dispatch.NO_SEND_SLOT,
    )
    assert row.next_attempt_at <= timezone.now()  # due again at once
    assert len(fake_notify.calls) == 0


def test_the_wait_between_attempts_stops_doubling_at_its_cap(settings):
    settings.NOTIFY_RETRY_MAX_DELAY_SECONDS = 300
    waits = [dispatch.backoff(attempts, rng=lambda: 1.0) for attempts in range(1, 9)]
    assert [w.total_seconds() for w in waits] == [30, 60, 120, 240, 300, 300, 300, 300]
    assert dispatch.backoff(7, rng=lambda: 0.0) == timedelta(seconds=150)


def test_it_gives_up_after_the_maximum_number_of_attempts(govuk, fake_notify, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 3
    row = queued_row()
    fake_notify.post(SEND_URL["email"], status=500, json=SERVER_ERROR)

    outcomes = []
    for _ in range(3):
        outcomes.append(dispatch.deliver(str(row.pk)))
        make_due(row)

    assert outcomes == ["retry", "retry", "gave-up"]
    row.refresh_from_db()
    assert row.status == Status.TECHNICAL_FAILURE
    assert row.attempts == 3
    assert row.last_error.startswith("Gave up after 3 attempts")
    assert "Internal server error" in row.last_error
    assert row.completed_at is not None
    assert len(posts(fake_notify)) == 3

    assert dispatch.deliver(str(row.pk)) == "skipped"
    assert len(posts(fake_notify)) == 3


# --- No answer: Notify may have it -------------------------------------------------------


def test_after_a_timeout_a_message_notify_accepted_is_found_not_sent_again(govuk, fake_notify):
    row = queued_row()
    notify_id = str(uuid.uuid4())
    reference = str(row.pk)
    fake_notify.post(SEND_URL["email"], body=requests.exceptions.ReadTimeout("read timed out"))
    fake_notify.post(SEND_URL["email"], status=201, json=accepted_answer(str(uuid.uuid4()), ""))
    fake_notify.get(
        LOOKUP_URL,
        match=[matchers.query_param_matcher({"reference": reference})],
        json=lookup_answer([found(notify_id, reference, "sending")]),
    )

    assert dispatch.deliver(reference) == "retry"
    row.refresh_from_db()
    assert row.unanswered is True

    make_due(row)
    assert dispatch.deliver(reference) == "found"

    assert len(posts(fake_notify)) == 1
    assert successful_posts(fake_notify) == []
    lookups = [call for call in fake_notify.calls if call.request.method == "GET"]
    assert len(lookups) == 1
    assert lookups[0].request.params == {"reference": reference}
    assert_signed_by(lookups[0].request, govuk)
    row.refresh_from_db()
    assert row.notify_id == uuid.UUID(notify_id)
    assert row.attempts == 2
    assert row.unanswered is False
    assert row.sent_at is not None

    assert dispatch.deliver(reference) == "skipped"
    assert len(posts(fake_notify)) == 1


def test_a_receipt_that_lands_before_the_sends_timeout_keeps_the_message_delivered(
    govuk, fake_notify, client, settings
):
    """Notify took the message and sent its delivery receipt while our request was still
    waiting for an answer, which then timed out. The late timeout must not move the
    delivered message back to queued (and so to a resend)."""
    from notify.inbound import record_receipt

    row = queued_row()
    notify_id = uuid.uuid4()

    def notify_delivers_then_the_answer_is_lost(request):
        record_receipt(
            organisation=row.organisation,
            reference=row.pk,
            notify_id=notify_id,
            status="delivered",
            completed_at=timezone.now(),
        )
        raise requests.exceptions.ReadTimeout("read timed out")

    fake_notify.add_callback(
        responses.POST, SEND_URL["email"], callback=notify_delivers_then_the_answer_is_lost
    )

    assert dispatch.deliver(str(row.pk)) == "settled-meanwhile"

    row.refresh_from_db()
    assert (row.status, row.notify_id) == (Status.DELIVERED, notify_id)
    assert row.next_attempt_at is None
    assert queue_due_notifications() == 0  # nothing to send again
    assert dispatch.deliver(str(row.pk)) == "skipped"
    assert len(posts(fake_notify)) == 1


@pytest.mark.parametrize("failure", ["permanent", "gave-up"])
def test_no_failure_overwrites_a_receipt_that_came_first(govuk, fake_notify, settings, failure):
    from notify.inbound import record_receipt

    settings.NOTIFY_MAX_ATTEMPTS = 1
    row = queued_row()

    def delivered_then(request):
        record_receipt(
            organisation=row.organisation,
            reference=row.pk,
            notify_id=uuid.uuid4(),
            status="delivered",
            completed_at=timezone.now(),
        )
        if failure == "permanent":
            return (400, {}, json.dumps(BAD_REQUEST))
        return (500, {}, json.dumps(SERVER_ERROR))

    fake_notify.add_callback(responses.POST, SEND_URL["email"], callback=delivered_then)

    dispatch.deliver(str(row.pk))

    row.refresh_from_db()
    assert row.status == Status.DELIVERED
    assert not Notification.objects.filter(fallback_of=row).exists()


def test_a_council_without_a_notify_key_has_its_messages_wait_visibly(settings, fake_notify):
    """Outside LOCAL_BACKENDS no "delivered" comes from the local backend: the message
    waits in the outbox, saying why, and goes once the council's key is set."""
    settings.LOCAL_BACKENDS = False
    settings.NOTIFY_API_BASE_URL = BASE_URL
    row = queued_row()

    assert dispatch.deliver(str(row.pk)) == "waiting"

    row.refresh_from_db()
    assert (row.status, row.attempts, row.notify_id) == (Status.QUEUED, 0, None)
    assert row.last_error_type == "NotConfigured"
    assert f"NOTIFY_API_KEY_{row.organisation.slug.upper().replace('-', '_')}" in row.last_error
    assert row.next_attempt_at > timezone.now()
    assert len(fake_notify.calls) == 0

    use_secrets(settings, NOTIFY_API_KEY=f"waymark_test-{uuid.uuid4()}-{uuid.uuid4()}")
    notify_id = str(uuid.uuid4())
    fake_notify.post(SEND_URL["email"], status=201, json=accepted_answer(notify_id, str(row.pk)))
    make_due(row)
    assert dispatch.deliver(str(row.pk)) == "sent"
    assert_sent(row, notify_id)


def test_a_message_found_in_notifys_sending_state_leaves_the_claimed_state(govuk, fake_notify):
    row = queued_row()
    notify_id = str(uuid.uuid4())
    fake_notify.post(SEND_URL["email"], body=requests.exceptions.ReadTimeout("read timed out"))
    fake_notify.get(LOOKUP_URL, json=lookup_answer([found(notify_id, str(row.pk), "sending")]))
    dispatch.deliver(str(row.pk))
    make_due(row)

    assert dispatch.deliver(str(row.pk)) == "found"

    row.refresh_from_db()
    assert row.status == Status.CREATED


def test_after_a_timeout_a_message_notify_never_got_is_sent_once(govuk, fake_notify):
    row = queued_row()
    notify_id = str(uuid.uuid4())
    reference = str(row.pk)
    fake_notify.post(SEND_URL["email"], body=requests.exceptions.ReadTimeout("read timed out"))
    fake_notify.post(SEND_URL["email"], status=201, json=accepted_answer(notify_id, reference))
    fake_notify.get(
        LOOKUP_URL,
        match=[matchers.query_param_matcher({"reference": reference})],
        json=lookup_answer([]),
    )

    assert dispatch.deliver(reference) == "retry"
    make_due(row)
    assert dispatch.deliver(reference) == "sent"

    methods = [call.request.method for call in fake_notify.calls]
    assert methods == ["POST", "GET", "POST"]
    assert len(successful_posts(fake_notify)) == 1
    assert json.loads(posts(fake_notify)[1].request.body)["reference"] == reference
    assert_sent(row, notify_id, attempts=2)


# --- Exactly once, whatever happens to the worker ----------------------------------------


def test_a_redelivered_task_does_not_send_twice(govuk, fake_notify):
    row = queued_row()
    notify_id = str(uuid.uuid4())
    fake_notify.post(SEND_URL["email"], status=201, json=accepted_answer(notify_id, str(row.pk)))

    assert dispatch.deliver(str(row.pk)) == "sent"
    assert dispatch.deliver(str(row.pk)) == "skipped"

    assert len(posts(fake_notify)) == 1
    assert_sent(row, notify_id)


def test_a_row_left_sending_by_a_dead_worker_is_found_at_notify(govuk, fake_notify):
    row = queued_row()
    notify_id = str(uuid.uuid4())
    claimed = dispatch._claim(row.pk)  # the worker dies after claiming the row
    assert (claimed.status, claimed.attempts) == (Status.SENDING, 1)
    fake_notify.post(SEND_URL["email"], status=201, json=accepted_answer(str(uuid.uuid4()), ""))
    fake_notify.get(
        LOOKUP_URL,
        match=[matchers.query_param_matcher({"reference": str(row.pk)})],
        json=lookup_answer([found(notify_id, str(row.pk), "delivered")]),
    )

    assert dispatch.deliver(str(row.pk)) == "skipped"
    assert len(fake_notify.calls) == 0

    assert dispatch.settle_stuck(claimed) == "found"

    assert [call.request.method for call in fake_notify.calls] == ["GET"]
    row.refresh_from_db()
    assert row.notify_id == uuid.UUID(notify_id)
    assert row.status == Status.DELIVERED
    assert row.completed_at is not None
    assert dispatch.deliver(str(row.pk)) == "skipped"
    assert posts(fake_notify) == []


def test_a_row_left_sending_that_notify_never_got_is_queued_and_sent_once(govuk, fake_notify):
    row = queued_row()
    notify_id = str(uuid.uuid4())
    claimed = dispatch._claim(row.pk)
    fake_notify.post(SEND_URL["email"], status=201, json=accepted_answer(notify_id, str(row.pk)))
    fake_notify.get(LOOKUP_URL, json=lookup_answer([]))

    assert dispatch.deliver(str(row.pk)) == "skipped"
    assert dispatch.settle_stuck(claimed) == "requeued"

    row.refresh_from_db()
    assert (row.status, row.next_attempt_at, row.notify_id) == (Status.QUEUED, None, None)
    assert posts(fake_notify) == []

    assert dispatch.deliver(str(row.pk)) == "sent"
    assert dispatch.deliver(str(row.pk)) == "skipped"
    assert [call.request.method for call in fake_notify.calls] == ["GET", "POST"]
    assert_sent(row, notify_id, attempts=2)


def claimed_ago(row: Notification, seconds: int) -> Notification:
    """The row claimed by a worker that died `seconds` ago."""
    claimed = dispatch._claim(row.pk)
    Notification.objects.filter(pk=row.pk).update(
        last_attempt_at=timezone.now() - timedelta(seconds=seconds)
    )
    return claimed


def test_a_claim_run_out_is_taken_over_by_the_next_sweep_and_sent_once(
    govuk, fake_notify, settings, monkeypatch
):
    settings.NOTIFY_CLAIM_LEASE_SECONDS = 60
    dead = claimed_ago(queued_row(), 61)
    alive = claimed_ago(queued_row(), 30)  # its worker may still be sending it
    notify_id = str(uuid.uuid4())
    fake_notify.get(LOOKUP_URL, json=lookup_answer([]))
    fake_notify.post(SEND_URL["email"], status=201, json=accepted_answer(notify_id, str(dead.pk)))
    enqueued = []
    monkeypatch.setattr(tasks, "enqueue_delivery", enqueued.append)

    assert tasks.settle_expired_claims() == {"requeued": 1}

    assert enqueued == [dead.pk]  # sent again at once, not on the next minute's sweep
    assert dispatch.deliver(str(dead.pk)) == "sent"
    assert_sent(dead, notify_id, attempts=2)
    alive.refresh_from_db()
    assert alive.status == Status.SENDING
    assert [c.request.method for c in fake_notify.calls] == ["GET", "POST"]


def test_a_sweep_stops_at_its_time_budget_and_the_next_run_goes_on(govuk, fake_notify, settings):
    settings.NOTIFY_CLAIM_LEASE_SECONDS = 60
    rows = [claimed_ago(queued_row(), 120 + n) for n in range(3)]
    fake_notify.get(LOOKUP_URL, json=lookup_answer([]))

    settings.NOTIFY_SWEEP_SECONDS = 0
    assert tasks.settle_expired_claims() == {"left for the next run": 1}
    assert len(fake_notify.calls) == 0

    settings.NOTIFY_SWEEP_SECONDS = 30
    assert tasks.settle_expired_claims() == {"requeued": 3}
    assert {r.status for r in Notification.objects.filter(pk__in=[r.pk for r in rows])} == {
        Status.QUEUED
    }


# --- The local backend -------------------------------------------------------------------


def test_the_local_backend_marks_delivered_without_any_http(settings):
    settings.LOCAL_BACKENDS = True  # and no key for the council
    row = queued_row()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(SEND_URL["email"], status=201, json=accepted_answer(str(uuid.uuid4()), ""))
        assert dispatch.deliver(str(row.pk)) == "sent"
        assert len(rsps.calls) == 0

    row.refresh_from_db()
    assert row.status == Status.DELIVERED
    assert row.notify_id is not None
    assert row.attempts == 1
    assert row.completed_at is not None
    assert row.sent_at is not None


# --- A text that fails for good goes by email --------------------------------------------


def test_a_text_that_fails_for_good_is_sent_again_by_email(govuk, fake_notify):
    sms = queued_row(contact="sms")
    fake_notify.post(SEND_URL["sms"], status=400, json=BAD_REQUEST)

    assert dispatch.deliver(str(sms.pk)) == "permanent-failure"

    fallback = Notification.objects.get(fallback_of=sms)
    assert fallback.channel == "email"
    assert fallback.event == sms.event == "application_received"
    assert fallback.recipient == "ann@example.com"
    assert fallback.status == Status.QUEUED
    assert fallback.template_id == TEMPLATE_IDS["email"]
    assert fallback.case_id == sms.case_id


@pytest.mark.parametrize("reason", ["no email on the case", "email not enabled"])
def test_no_email_fallback_without_an_address_or_the_channel(govuk, fake_notify, reason):
    organisation = council_with_templates()
    if reason == "email not enabled":
        organisation.service_configs.update(enabled_channels=["sms", "letter"])
        sms = queued_row(organisation, contact="sms")
        assert sms.case.email == "ann@example.com"
    else:
        sms = queued_row(organisation, contact="sms", email="")
        assert sms.case.email == ""
    assert sms.channel == "sms"
    fake_notify.post(SEND_URL["sms"], status=400, json=BAD_REQUEST)

    assert dispatch.deliver(str(sms.pk)) == "permanent-failure"

    assert not Notification.objects.filter(fallback_of=sms).exists()
    assert Notification.objects.filter(case=sms.case).count() == 1


# --- The sweep that re-queues lost and due work ------------------------------------------


def test_the_sweep_queues_due_retries_and_lost_tasks_but_not_later_ones():
    organisation = council_with_templates()
    due, lost, later, fresh, done = (queued_row(organisation) for _ in range(5))
    now = timezone.now()
    Notification.objects.filter(pk=due.pk).update(
        next_attempt_at=now - timedelta(seconds=5), created_at=now - timedelta(minutes=3)
    )
    Notification.objects.filter(pk=lost.pk).update(
        next_attempt_at=None, created_at=now - timedelta(minutes=5)
    )
    Notification.objects.filter(pk=later.pk).update(
        next_attempt_at=now + timedelta(minutes=5), created_at=now - timedelta(minutes=10)
    )
    Notification.objects.filter(pk=fresh.pk).update(next_attempt_at=None, created_at=now)
    Notification.objects.filter(pk=done.pk).update(
        status=Status.CREATED, created_at=now - timedelta(minutes=10)
    )

    with mock.patch("notify.tasks.enqueue_delivery") as enqueue_delivery:
        assert queue_due_notifications() == 2

    assert [call.args[0] for call in enqueue_delivery.call_args_list] == [lost.pk, due.pk]


def test_the_checks_refuse_a_lease_a_live_worker_could_outlast_and_a_sweep_past_its_task(
    settings,
):
    from django.core.checks import run_checks

    def found() -> list[str]:
        return sorted(m.id for m in run_checks() if m.id in ("waymark.E203", "waymark.E204"))

    assert found() == []
    settings.NOTIFY_CLAIM_LEASE_SECONDS = 25  # 5 s for a slot and two 10 s calls: 25 s
    settings.NOTIFY_SWEEP_SECONDS = 50  # and Notify's 10 s: the task's 60 s
    assert found() == ["waymark.E203", "waymark.E204"]
