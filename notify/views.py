"""The callbacks GOV.UK Notify makes to a council: delivery receipts and inbound texts.

Each council has its own Notify service, so its own callback URLs (naming it) and its own
bearer token (`NOTIFY_CALLBACK_TOKEN_<COUNCIL>`, see `config.secrets`). Both check the
token, check the body's shape and hand over to `notify.inbound`; they answer at once (the
work on a text message is queued). A 4xx is final (Notify retries only 5xx, 429 and
connection errors), so a body we cannot use gets 400 with a plain message, and a receipt
for a message the council does not have gets 200.
"""

from __future__ import annotations

import hmac
import json
import logging

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cases.models import Organisation
from config import secrets
from config.jsonsafe import storable
from notify import inbound

logger = logging.getLogger(__name__)

MIN_TOKEN_LENGTH = 10


def _error(message: str, status: int) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


def _unauthorised(request, organisation: Organisation) -> JsonResponse | None:
    """A 401 unless the request carries the council's callback token; None if it does."""
    expected = secrets.council_secret(secrets.NOTIFY_CALLBACK_TOKEN, organisation.slug)
    if len(expected) < MIN_TOKEN_LENGTH:
        logger.error(
            "Notify callback refused: %s is not set or is shorter than %d characters",
            secrets.variable(secrets.NOTIFY_CALLBACK_TOKEN, organisation.slug),
            MIN_TOKEN_LENGTH,
        )
        return _error("Callbacks are not configured.", 401)
    scheme, _, supplied = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        supplied.strip().encode(), expected.encode()
    ):
        logger.warning("Notify callback refused: missing or wrong bearer token")
        return _error("Missing or wrong bearer token.", 401)
    return None


def _json_object(request) -> dict | None:
    try:
        body = json.loads(request.body)
    except (UnicodeDecodeError, ValueError):
        return None
    return storable(body) if isinstance(body, dict) else None


@csrf_exempt
@require_POST
def delivery_status(request, council: str):
    """POST /notify/callbacks/<council>/delivery-status: a delivery receipt."""
    organisation = get_object_or_404(Organisation, slug=council)
    if refused := _unauthorised(request, organisation):
        return refused
    body = _json_object(request)
    if body is None:
        return _error("The body must be a JSON object.", 400)
    reference, notify_id = inbound.as_uuid(body.get("reference")), inbound.as_uuid(body.get("id"))
    if reference is None and notify_id is None:
        return _error("Give a reference or an id that is a UUID.", 400)
    status = body.get("status")
    if not isinstance(status, str) or status not in inbound.NOTIFY_STATUSES:
        return _error(f"Unknown status: {str(status)[:50]!r}.", 400)
    row = inbound.record_receipt(
        organisation=organisation,
        reference=reference,
        notify_id=notify_id,
        status=status,
        completed_at=inbound.parse_time(body.get("completed_at")),
    )
    if row is None:
        logger.warning(
            "delivery receipt for an unknown notification",
            extra={"reference": str(reference or ""), "notify_id": str(notify_id or "")},
        )
    return JsonResponse({"ok": True})


@csrf_exempt
@require_POST
def inbound_sms(request, council: str):
    """POST /notify/callbacks/<council>/inbound-sms: a text message a citizen sent."""
    organisation = get_object_or_404(Organisation, slug=council)
    if refused := _unauthorised(request, organisation):
        return refused
    body = _json_object(request)
    if body is None:
        return _error("The body must be a JSON object.", 400)
    for field, max_length in (("id", 64), ("source_number", 32)):
        value = body.get(field)
        if not isinstance(value, str) or not value.strip() or len(value.strip()) > max_length:
            return _error(f"'{field}' must be text of 1 to {max_length} characters.", 400)
    if not isinstance(body.get("message"), str):
        return _error("'message' must be text.", 400)
    destination = body.get("destination_number")
    inbound.receive_sms(
        organisation=organisation,
        notify_id=body["id"].strip(),
        source_number=body["source_number"].strip(),
        destination_number=destination.strip()[:32] if isinstance(destination, str) else "",
        message=body["message"],
        received_at=inbound.parse_time(body.get("date_received")),
    )
    return JsonResponse({"ok": True})
