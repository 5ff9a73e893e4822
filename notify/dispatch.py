"""Delivering one notification, exactly once, whatever fails on the way.

The row is claimed (status `sending`, one more attempt) and committed *before* Notify is
called. A claim is a lease of NOTIFY_CLAIM_LEASE_SECONDS: longer than a live worker holds
one (a bounded wait for a send slot, then at most two calls to Notify of NOTIFY_TIMEOUT
each), so a row still `sending` after it belongs to a worker that died or hung, and the
sweep (`notify.tasks.settle_expired_claims`) settles it by looking its reference up at
Notify. A send with no answer is looked up the same way before it is tried again.

400 and 403 are permanent; 5xx and no answer are retried with exponential backoff and
jitter (up to NOTIFY_RETRY_MAX_DELAY_SECONDS between attempts), at most
NOTIFY_MAX_ATTEMPTS times. A 429 is not an attempt: Notify refused to look at the
message, so it goes again as soon as the key's pause is over (a day's limit reached: in
an hour). Every status is written through `notify.status.move`, so it only moves forward:
a receipt that arrives while the send is still waiting for its answer is never undone by
that answer.

A council without a Notify key (and no local backend, outside LOCAL_BACKENDS) is not
sent for: its messages stay queued, with the reason on the row, and are tried again
every few minutes until the key is set.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cases import ratelimit
from config import secrets
from notify import status as statuses
from notify.client import Accepted, NotifyFailure, backend_for
from notify.models import FINAL_STATUSES, RANK, Notification, Status

logger = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 30
NOT_CONFIGURED_WAIT = timedelta(minutes=10)
DAILY_LIMIT_WAIT = timedelta(hours=1)
DAILY_LIMIT = "TooManyRequestsError"  # Notify's 429 for a day's limit (not the minute's)
WAITING_FOR_KEY = "NotConfigured"  # the last_error_type of a message its council cannot send
NO_SEND_SLOT = "NoSendSlot"  # the last_error_type of one given back for want of a slot


def backoff(attempts: int, rng=random.random) -> timedelta:
    """Exponential backoff with jitter: between half and all of 30 s × 2^(attempts-1),
    that doubling stopped at NOTIFY_RETRY_MAX_DELAY_SECONDS."""
    ceiling = min(
        settings.NOTIFY_RETRY_MAX_DELAY_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1)
    )
    return timedelta(seconds=ceiling * (0.5 + rng() / 2))


def _claim(notification_id) -> Notification | None:
    """Marks the row as being sent, if it is queued and due; None otherwise."""
    now = timezone.now()
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("organisation")
            .filter(pk=notification_id, status=Status.QUEUED)
            .first()
        )
        if row is None or (row.next_attempt_at and row.next_attempt_at > now):
            return None
        row.attempts += 1
        row.last_attempt_at = now
        if not statuses.move(
            row.pk, Status.SENDING, attempts=row.attempts, last_attempt_at=now
        ):  # pragma: no cover - the row is locked and queued
            return None
        row.status = Status.SENDING
    return row


def _give_back(row: Notification, wait: timedelta, error_type: str, error: str) -> bool:
    """Gives back the claim on a row, untried (its attempt not counted), with the reason on
    the row; it is tried again after `wait`. False if a receipt settled it meanwhile."""
    return bool(
        statuses.move(
            row.pk,
            Status.QUEUED,
            attempts=row.attempts - 1,
            next_attempt_at=timezone.now() + wait,
            last_error_type=error_type[:100],
            last_error=error,
        )
    )


def _wait_for_key(row: Notification) -> str:
    """A council that cannot send yet: tried again in a few minutes."""
    variable = secrets.variable(secrets.NOTIFY_API_KEY, row.organisation.slug)
    _give_back(
        row,
        NOT_CONFIGURED_WAIT,
        WAITING_FOR_KEY,
        f"Waiting: {row.organisation} has no GOV.UK Notify API key ({variable} is not set). "
        "The message will be sent once it is.",
    )
    return "waiting"


def _accepted(row: Notification, accepted: Accepted) -> None:
    """Notify has the message: keep its ID, and move on from `sending` unless a receipt
    has already moved the row further."""
    now = timezone.now()
    Notification.objects.filter(pk=row.pk).update(
        notify_id=accepted.notify_id, sent_at=now, unanswered=False, next_attempt_at=None
    )
    # Notify's own "sending" (handed to the network) is further along than our "sending"
    # (claimed by a worker): anything not past our claim counts as accepted.
    status = (
        accepted.status if RANK.get(accepted.status, 0) > RANK[Status.SENDING] else Status.CREATED
    )
    statuses.move(row.pk, status)


def _failed(row: Notification, failure: NotifyFailure, backend_key: str) -> str:
    now = timezone.now()
    fields = {
        "last_error_type": failure.error_type[:100],
        "last_error": failure.message,
        "updated_at": now,
    }
    if failure.permanent:
        if statuses.move(row.pk, Status.PERMANENT_FAILURE, unanswered=False, **fields):
            row.refresh_from_db()
            fall_back_to_email(row)
        return "permanent-failure"
    if failure.rate_limited:
        if failure.error_type == DAILY_LIMIT:
            wait = DAILY_LIMIT_WAIT
        else:
            pause = settings.NOTIFY_RATE_LIMIT_PAUSE_SECONDS
            ratelimit.pause(backend_key, pause, limit=settings.NOTIFY_SENDS_PER_SECOND)
            wait = timedelta(seconds=pause * (1 + random.random()))
        moved = _give_back(row, wait, failure.error_type or "RateLimitError", failure.message)
        return "rate-limited" if moved else "settled-meanwhile"
    if row.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        statuses.move(
            row.pk,
            Status.TECHNICAL_FAILURE,
            unanswered=failure.unanswered,
            **{**fields, "last_error": f"Gave up after {row.attempts} attempts. {failure.message}"},
        )
        return "gave-up"
    # Only our own claim is given back: a receipt that came meanwhile stands.
    moved = statuses.move(
        row.pk,
        Status.QUEUED,
        next_attempt_at=now + backoff(row.attempts),
        unanswered=failure.unanswered or row.unanswered,
        **fields,
    )
    return "retry" if moved else "settled-meanwhile"


def deliver(notification_id) -> str:
    """Sends one notification if it is queued and due. Safe to call any number of times."""
    row = _claim(notification_id)
    if row is None:
        return "skipped"
    backend = backend_for(row.organisation.slug)
    if backend is None:
        return _wait_for_key(row)
    if not backend.is_local and not row.template_id:
        failure = NotifyFailure(
            f"No GOV.UK Notify template ID is set for '{row.event}' ({row.channel}, "
            f"{row.language}) in the council's service settings.",
            status_code=400,
            error_type="MissingTemplateId",
        )
        return _failed(row, failure, backend.key_id)
    try:
        if row.unanswered:
            # The last attempt got no answer: Notify may already have it.
            found = backend.find(str(row.pk))
            if found is not None:
                _accepted(row, found)
                return "found"
        if not ratelimit.acquire(
            backend.key_id,
            limit=settings.NOTIFY_SENDS_PER_SECOND,
            within=settings.NOTIFY_ACQUIRE_WAIT_SECONDS,
        ):
            _give_back(
                row,
                timedelta(0),
                NO_SEND_SLOT,
                f"No send slot on this key within {settings.NOTIFY_ACQUIRE_WAIT_SECONDS} s: "
                "sent on the next round.",
            )
            return "no-slot"
        accepted = backend.send(
            channel=row.channel,
            recipient=row.recipient,
            template_id=row.template_id,
            personalisation=row.personalisation,
            reference=str(row.pk),
        )
    except NotifyFailure as failure:
        logger.warning(
            "notification %s not sent: %s %s", row.pk, failure.status_code, failure.message
        )
        return _failed(row, failure, backend.key_id)
    _accepted(row, accepted)
    return "sent"


def apply_status(row: Notification, status: str, completed_at=None) -> bool:
    """Records a status from Notify, never moving backwards; True if it changed. Notify's
    own "sending" (handed to the network) means Notify has the message: accepted."""
    if status == Status.SENDING:
        status = Status.CREATED
    if status == Status.QUEUED:  # ours, never Notify's
        return False
    fields = {"completed_at": completed_at} if completed_at and status in FINAL_STATUSES else {}
    updated = statuses.move(row.pk, status, **fields)  # unknown statuses do not move
    if updated:
        row.status = status
        if status == Status.PERMANENT_FAILURE:
            fall_back_to_email(row)
    return bool(updated)


def fall_back_to_email(row: Notification) -> Notification | None:
    """A text that failed for good goes again by email, if we know the citizen's address."""
    from notify.services import case_values, create_notification

    case = row.case
    if (
        row.channel != "sms"
        or case is None
        or row.follower_id is not None  # the citizen's address is not the follower's
        or not case.email
        or "email" not in (case.config.enabled_channels or [])
        or Notification.objects.filter(fallback_of=row).exists()
    ):
        return None
    fallback = create_notification(
        case=case,
        event=row.event,
        channel="email",
        personalisation={
            **case_values(case, row.personalisation.get("message", "")),
            **row.personalisation,
        },
        case_event=row.case_event,
        fallback_of=row,
    )
    logger.info("text message %s failed; sent by email instead as %s", row.pk, fallback.pk)
    return fallback


def settle_stuck(row: Notification) -> str:
    """For a row left in `sending` (a worker died) or awaiting a receipt for too long:
    asks Notify what happened, and queues it again only if Notify never got it."""
    backend = backend_for(row.organisation.slug)
    if backend is None:
        return "unknown"  # no key to ask Notify with
    try:
        if row.status == Status.SENDING and row.notify_id is None:
            found = backend.find(str(row.pk))
            if found is None:
                statuses.move(row.pk, Status.QUEUED, next_attempt_at=None, unanswered=False)
                return "requeued"
            _accepted(row, found)
            return "found"
        if row.notify_id:
            return "updated" if apply_status(row, backend.status(str(row.notify_id))) else "same"
    except NotifyFailure as failure:
        logger.warning("could not ask Notify about %s: %s", row.pk, failure.message)
        return "unknown"
    return "same"
