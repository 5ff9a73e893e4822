"""Fuzzing Notify's callbacks: delivery receipts and inbound texts, authenticated and not."""

import json
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notify.models import Notification
from tests.factories import council, new_case
from tests.helpers import use_secrets
from tests.test_fuzz.conftest import check, snapshot
from tests.test_fuzz.strategies import FUZZ, json_object_like, raw_body, text

pytestmark = pytest.mark.django_db

TOKEN = "a-long-callback-token-for-fuzzing"
DELIVERY = "/notify/callbacks/northshire/delivery-status"
INBOUND = "/notify/callbacks/northshire/inbound-sms"


@pytest.fixture
def row(settings):
    use_secrets(settings, NOTIFY_CALLBACK_TOKEN_NORTHSHIRE=TOKEN)
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    organisation = council(slug="northshire", sms_inbound_number="+447700900000")
    return Notification.objects.get(case=new_case(organisation, contact="sms"))


def receipt(row) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "reference": str(row.pk),
        "to": row.recipient,
        "status": "delivered",
        "created_at": "2025-05-14T12:15:00.000000Z",
        "completed_at": "2025-05-14T12:15:30.000000Z",
        "sent_at": "2025-05-14T12:15:10.000000Z",
        "notification_type": "sms",
        "template_id": str(uuid.uuid4()),
        "template_version": 1,
    }


INBOUND_TEXT = {
    "id": "8e222534-7f05-4972-86e3-17c5d9f894e2",
    "source_number": "447911123456",
    "destination_number": "07700900000",
    "message": "FIXED",
    "date_received": "2025-05-14T12:15:30.000000Z",
}


def post(client, url, body: bytes, authorization: str | None = f"Bearer {TOKEN}"):
    headers = {"Authorization": authorization} if authorization is not None else {}
    return client.post(url, data=body, content_type="application/json", headers=headers)


@FUZZ
@given(data=st.data())
def test_delivery_receipts_never_cause_a_server_error(client, row, data):
    body = data.draw(st.one_of(json_object_like(receipt(row)).map(json.dumps), raw_body))
    before = snapshot()
    response = post(client, DELIVERY, body.encode() if isinstance(body, str) else body)
    check(response, before, what=("delivery", body))


@FUZZ
@given(body=st.one_of(json_object_like(INBOUND_TEXT).map(json.dumps), raw_body))
def test_inbound_texts_never_cause_a_server_error(client, row, body):
    before = snapshot()
    response = post(client, INBOUND, body.encode() if isinstance(body, str) else body)
    check(response, before, what=("inbound", body))


@FUZZ
@given(authorization=st.one_of(st.none(), text, text.map(lambda t: f"Bearer {t}")))
def test_any_authorization_header_is_a_401_or_accepted(client, row, authorization):
    before = snapshot()
    body = json.dumps(receipt(row)).encode()
    try:
        response = post(client, DELIVERY, body, authorization)
    except ValueError:  # a header no HTTP client could send (a newline): not a request
        return
    check(response, before, what=("authorization", authorization))
    assert response.status_code == (200 if authorization == f"Bearer {TOKEN}" else 401)
