"""`Idempotency-Key` on the API's POSTs (the IETF httpapi draft, as Stripe and GOV.UK Pay
do it): the first request with a key runs and its answer is kept for a day; a retry with
the same key and the same request gets that answer again (`Idempotent-Replayed: true`);
the same key with a different request is refused (422); one still running, 409 with
`Retry-After`. Keys are per API key. A server error is not kept, so a retry runs again
(the failed request wrote nothing: each write is one transaction)."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from functools import wraps

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.response import Response

from cases.api.errors import ProblemError
from cases.models import IdempotencyRecord
from config.jsonsafe import storable

KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces
KEEP = timedelta(hours=24)
ABANDONED = timedelta(minutes=5)  # a request "in flight" this long has died
KEPT_HEADERS = ("Location", "ETag")


def idempotent(method):
    """Wraps a view's `post`."""

    @wraps(method)
    def wrapper(view, request, *args, **kwargs):
        text = request.headers.get("Idempotency-Key")
        if text is None:
            return method(view, request, *args, **kwargs)
        if not KEY.match(text):
            raise ProblemError(
                "invalid",
                "Idempotency-Key must be 1 to 255 printable ASCII characters, with no spaces.",
            )
        digest = hashlib.sha256(request.body).hexdigest()
        record = _claim(request, text, digest)
        if not isinstance(record, IdempotencyRecord):
            return record  # the kept answer
        try:
            response = method(view, request, *args, **kwargs)
        except Exception as exc:  # answered as the API answers it, and kept if not a 5xx
            response = view.handle_exception(exc)
        if response.status_code >= 500:
            record.delete()
        else:
            IdempotencyRecord.objects.filter(pk=record.pk).update(
                status=response.status_code,
                response=storable(response.data),  # a refusal may quote a NUL back
                headers={h: response[h] for h in KEPT_HEADERS if h in response},
            )
        return response

    return wrapper


def _claim(request, text: str, digest: str) -> IdempotencyRecord | Response:
    """The new record this request runs under, or the answer a retry gets."""
    fields = {"method": request.method, "path": request.path, "body_sha256": digest}
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(api_key=request.auth, key=text, **fields)
        except IntegrityError:
            pass
        found = IdempotencyRecord.objects.filter(api_key=request.auth, key=text).first()
        if found is None:
            continue  # pruned in between: claim it afresh
        if (found.method, found.path, found.body_sha256) != tuple(fields.values()):
            raise ProblemError(
                "idempotency_mismatch",
                "This Idempotency-Key was first used with a different request. Use a new key "
                "for a new request.",
            )
        if found.status is None:
            if timezone.now() - found.created_at > ABANDONED:
                IdempotencyRecord.objects.filter(pk=found.pk, status=None).delete()
                continue
            raise ProblemError(
                "idempotency_in_flight",
                "The first request with this Idempotency-Key has not finished. Try again soon.",
                retry_after=1,
            )
        replay = Response(found.response, status=found.status, headers=found.headers)
        replay["Idempotent-Replayed"] = "true"
        if found.status >= 400:
            replay.content_type = "application/problem+json"
        return replay
    raise ProblemError("idempotency_in_flight", "Try again soon.", retry_after=1)


def prune() -> int:
    """Forgets answers older than a day (a scheduled job)."""
    cutoff = timezone.now() - KEEP
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
