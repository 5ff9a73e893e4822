"""Notify's delivery receipts: only Notify may post them, and a receipt never moves a
notification backwards, whatever order or however often they arrive."""

import json
import logging
import uuid
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from notify.models import InboundSms, Notification
from tests.factories import council, new_case
from tests.helpers import use_secrets

pytestmark = pytest.mark.django_db

TOKEN = "a-long-callback-token-for-tests"
DELIVERY = "/notify/callbacks/northshire/delivery-status"
INBOUND = "/notify/callbacks/northshire/inbound-sms"
FIRST = "2025-05-14T12:15:30.000000Z"
FIRST_AT = datetime(2025, 5, 14, 12, 15, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _callback_token(settings):
    use_secrets(settings, NOTIFY_CALLBACK_TOKEN_NORTHSHIRE=TOKEN)


@pytest.fixture
def northshire():
    return council(slug="northshire", sms_inbound_number="+447700900000")


@pytest.fixture
def sms_row(northshire):
    """The text message a new case sends (queued, not yet sent)."""
    case = new_case(northshire, contact="sms")
    return Notification.objects.get(case=case, channel="sms")


def receipt(row, status, *, completed_at=FIRST, **overrides):
    return {
        "id": str(uuid.uuid4()),
        "reference": str(row.pk),
        "to": row.recipient,
        "status": status,
        "created_at": "2025-05-14T12:15:00.000000Z",
        "completed_at": completed_at,
        "sent_at": "2025-05-14T12:15:10.000000Z",
        "notification_type": row.channel,
        "template_id": str(uuid.uuid4()),
        "template_version": 1,
        **overrides,
    }


def post(client, body, *, url=DELIVERY, token=TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json", headers=headers)


def snapshot():
    return sorted(
        Notification.objects.values_list("pk", "status", "completed_at", "notify_id", "updated_at")
    )


def inbound_body():
    return {
        "id": str(uuid.uuid4()),
        "source_number": "447911123456",
        "destination_number": "07700900000",
        "message": "STOP",
        "date_received": FIRST,
    }


def test_the_urls_are_named_and_name_the_council():
    assert reverse("notify:delivery-status", args=["northshire"]) == DELIVERY
    assert reverse("notify:inbound-sms", args=["northshire"]) == INBOUND


@pytest.mark.parametrize("url", [DELIVERY, INBOUND])
def test_a_council_we_do_not_have_is_not_found(client, url):
    response = post(client, {}, url=url.replace("northshire", "nowhere"))
    assert response.status_code == 404


@pytest.mark.parametrize("url", [DELIVERY, INBOUND])
def test_another_councils_token_is_refused(client, settings, sms_row, url):
    council(slug="bryn-dewi")
    use_secrets(settings, NOTIFY_CALLBACK_TOKEN_BRYN_DEWI="bryn-dewis-own-long-token")
    body = receipt(sms_row, "delivered") if url == DELIVERY else inbound_body()
    before = snapshot()

    assert post(client, body, url=url, token="bryn-dewis-own-long-token").status_code == 401
    assert post(client, body, url=url.replace("northshire", "bryn-dewi")).status_code == 401
    assert snapshot() == before
    assert not InboundSms.objects.exists()


def test_a_receipt_to_one_council_never_touches_another_councils_message(client, settings, sms_row):
    bryn_dewi = council(slug="bryn-dewi")
    use_secrets(settings, NOTIFY_CALLBACK_TOKEN_BRYN_DEWI="bryn-dewis-own-long-token")
    theirs = Notification.objects.get(case=new_case(bryn_dewi, contact="sms"), channel="sms")
    before = snapshot()

    response = post(client, receipt(theirs, "delivered"))  # to Northshire's URL

    assert response.status_code == 200
    assert snapshot() == before


# --- Authentication ----------------------------------------------------------------------


@pytest.mark.parametrize("url", [DELIVERY, INBOUND])
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-the-right-token"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": "Bearer"},
        {"Authorization": TOKEN},
    ],
    ids=["missing", "wrong", "not-bearer", "empty", "no-scheme"],
)
def test_a_call_without_our_token_is_refused_and_changes_nothing(client, sms_row, url, headers):
    before = snapshot()
    body = receipt(sms_row, "delivered") if url == DELIVERY else inbound_body()

    response = client.post(
        url, data=json.dumps(body), content_type="application/json", headers=headers
    )

    assert response.status_code == 401
    assert "error" in response.json()
    assert response["WWW-Authenticate"] == "Bearer"
    assert snapshot() == before
    assert not InboundSms.objects.exists()


@pytest.mark.parametrize("url", [DELIVERY, INBOUND])
@pytest.mark.parametrize("configured", ["", "short", "123456789"])
def test_a_missing_or_short_token_setting_refuses_every_call(
    client, settings, sms_row, caplog, url, configured
):
    settings.COUNCIL_SECRETS = {"NOTIFY_CALLBACK_TOKEN": {"NORTHSHIRE": configured}}
    before = snapshot()
    body = receipt(sms_row, "delivered") if url == DELIVERY else inbound_body()

    with caplog.at_level(logging.ERROR, logger="notify.views"):
        response = post(client, body, url=url, token=configured)

    assert response.status_code == 401
    assert snapshot() == before
    assert not InboundSms.objects.exists()
    assert any(
        r.levelno == logging.ERROR and "NOTIFY_CALLBACK_TOKEN_NORTHSHIRE" in r.getMessage()
        for r in caplog.records
    )


@pytest.mark.parametrize("url", [DELIVERY, INBOUND])
def test_only_post_is_allowed(client, northshire, url):
    response = client.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 405


# --- Receipts ----------------------------------------------------------------------------


def test_a_receipt_records_the_status_its_time_and_notifys_id(client, sms_row):
    body = receipt(sms_row, "delivered")

    response = post(client, body)

    assert response.status_code == 200
    assert response.json() == {"ok": True}
    sms_row.refresh_from_db()
    assert sms_row.status == Notification.Status.DELIVERED
    assert sms_row.completed_at == FIRST_AT
    assert str(sms_row.notify_id) == body["id"]


def test_a_receipt_without_our_reference_is_found_by_notifys_id(client, sms_row):
    notify_id = uuid.uuid4()
    Notification.objects.filter(pk=sms_row.pk).update(notify_id=notify_id, status="created")

    response = post(client, receipt(sms_row, "delivered", id=str(notify_id), reference=None))

    assert response.status_code == 200
    sms_row.refresh_from_db()
    assert sms_row.status == Notification.Status.DELIVERED


def test_a_receipt_does_not_replace_a_notify_id_already_held(client, sms_row):
    notify_id = uuid.uuid4()
    Notification.objects.filter(pk=sms_row.pk).update(notify_id=notify_id)

    post(client, receipt(sms_row, "delivered"))

    sms_row.refresh_from_db()
    assert sms_row.notify_id == notify_id
    assert sms_row.status == Notification.Status.DELIVERED


def test_a_duplicate_receipt_changes_nothing(client, sms_row):
    body = receipt(sms_row, "delivered")
    post(client, body)

    response = post(client, {**body, "completed_at": "2025-05-15T09:00:00.000000Z"})

    assert response.status_code == 200
    sms_row.refresh_from_db()
    assert sms_row.status == Notification.Status.DELIVERED
    assert sms_row.completed_at == FIRST_AT


@pytest.mark.parametrize("later", ["sending", "created", "pending", "temporary-failure"])
def test_a_receipt_never_moves_a_delivered_message(client, sms_row, later):
    body = receipt(sms_row, "delivered")
    post(client, body)

    response = post(client, {**body, "status": later, "completed_at": None})

    assert response.status_code == 200
    sms_row.refresh_from_db()
    assert sms_row.status == Notification.Status.DELIVERED
    assert sms_row.completed_at == FIRST_AT


def test_an_interim_status_moves_a_message_on(client, sms_row):
    post(client, receipt(sms_row, "sending", completed_at=None))

    sms_row.refresh_from_db()
    assert sms_row.status == Notification.Status.CREATED  # Notify has it
    assert sms_row.completed_at is None


def test_a_receipt_for_a_message_we_do_not_know_is_accepted_and_ignored(client, sms_row):
    before = snapshot()

    response = post(client, receipt(sms_row, "delivered", reference=str(uuid.uuid4())))

    assert response.status_code == 200
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"{not json", "JSON object"),
        (b"\xff\xfe", "JSON object"),
        (json.dumps([1, 2]), "JSON object"),
        ({"status": "exploded"}, "Unknown status"),
        ({"status": None}, "Unknown status"),
        ({"status": "queued"}, "Unknown status"),
        ({"status": {"nested": "object"}}, "Unknown status"),
        ({"status": ["delivered"]}, "Unknown status"),
        ({"reference": None, "id": None}, "UUID"),
        ({"reference": "ST-1234", "id": "not-a-uuid"}, "UUID"),
        ({"reference": 12, "id": 34}, "UUID"),
    ],
)
def test_a_body_we_cannot_use_is_refused_with_a_plain_message(client, sms_row, body, says):
    before = snapshot()
    if isinstance(body, dict):
        body = {**receipt(sms_row, "delivered"), **body}

    response = post(client, body)

    assert response.status_code == 400
    assert says in response.json()["error"]
    assert snapshot() == before


def test_a_failed_text_goes_again_by_email_once_however_often_the_receipt_comes(client, sms_row):
    body = receipt(sms_row, "permanent-failure")

    assert post(client, body).status_code == 200
    assert post(client, body).status_code == 200

    sms_row.refresh_from_db()
    assert sms_row.status == Notification.Status.PERMANENT_FAILURE
    fallback = Notification.objects.get(fallback_of=sms_row)
    assert (fallback.channel, fallback.recipient) == ("email", "ann@example.com")
    assert fallback.event == sms_row.event
    assert Notification.objects.filter(case=sms_row.case).count() == 2


def test_a_delivered_message_is_never_left_flagged_unanswered(client, sms_row):
    """A send whose answer was lost is flagged "unanswered" (look it up before resending);
    once Notify says it is delivered, the flag goes."""
    Notification.objects.filter(pk=sms_row.pk).update(unanswered=True, status="queued")

    post(client, receipt(sms_row, "delivered"))

    sms_row.refresh_from_db()
    assert (sms_row.status, sms_row.unanswered) == ("delivered", False)
