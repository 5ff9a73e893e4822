"""What GOV.UK Notify sends us: delivery receipts, and citizens' text messages.

Receipts move a notification's status on (never backwards: see `dispatch.apply_status`).
A text message is stored once (Notify's ID is unique) and processed by a worker after the
request has answered: its sender's open cases are found by phone number and a few
keywords act on them through `cases.services`, as the citizen. Anything else, or a
keyword that cannot be acted on, becomes a note on the case for a caseworker to read.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cases import services
from cases.errors import CaseError
from cases.models import Case, CaseEvent, ContactPreference, Service
from cases.services import Actor
from cases.validators import normalise_phone
from cases.workflows.street_report import FIXED
from config.tasks import enqueue
from notify.dispatch import apply_status
from notify.models import InboundSms, Notification, Status

logger = logging.getLogger(__name__)

Outcome = InboundSms.Outcome

# The statuses Notify reports (our own `queued` is not one of them).
NOTIFY_STATUSES = frozenset(Status.values) - {Status.QUEUED}

WITHDRAW_CONFIRM_WINDOW = timedelta(hours=48)

STOP = frozenset({"STOP"})
FIXED_WORDS = frozenset({"FIXED", "YES"})
NOT_FIXED_WORDS = frozenset({"NOT FIXED", "NO"})
WITHDRAW = frozenset({"WITHDRAW"})
WITHDRAW_CONFIRM = frozenset({"WITHDRAW YES", "CONFIRM"})
WITHDRAW_TRANSITION = "withdraw"


# --- Delivery receipts -------------------------------------------------------------------


def as_uuid(value) -> uuid.UUID | None:
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def parse_time(value) -> datetime | None:
    """A timestamp from Notify (UTC, e.g. 2025-05-14T12:15:30.000000Z), or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


def record_receipt(
    *, reference: uuid.UUID | None, notify_id: uuid.UUID | None, status: str, completed_at
) -> Notification | None:
    """Applies a delivery receipt to its notification; None if we have no such message.
    Safe to run any number of times, in any order."""
    with transaction.atomic():
        rows = Notification.objects.select_for_update()
        row = rows.filter(pk=reference).first() if reference else None
        if row is None and notify_id:
            row = rows.filter(notify_id=notify_id).first()
        if row is None:
            return None
        if (
            row.notify_id is None
            and notify_id
            and not Notification.objects.filter(notify_id=notify_id).exists()
        ):
            Notification.objects.filter(pk=row.pk, notify_id__isnull=True).update(
                notify_id=notify_id
            )
            row.notify_id = notify_id
        apply_status(row, status, completed_at)
    return row


# --- Inbound text messages: receiving --------------------------------------------------


def receive_sms(
    *, notify_id: str, source_number: str, destination_number: str, message: str, received_at
) -> tuple[InboundSms, bool]:
    """Stores a text message once, and queues its processing for when that commits.
    (The row, and whether it is new: a redelivery changes nothing.)"""
    with transaction.atomic():
        inbound, created = InboundSms.objects.get_or_create(
            notify_id=notify_id,
            defaults={
                "source_number": source_number,
                "destination_number": destination_number,
                "message": message,
                "received_at": received_at or timezone.now(),
            },
        )
        if created:
            transaction.on_commit(
                partial(
                    enqueue,
                    "notify.inbound.process_inbound_sms",
                    inbound.pk,
                    name=f"inbound-sms-{inbound.pk}",
                )
            )
    return inbound, created


def process_inbound_sms(inbound_id: int) -> str:
    """The worker's task: acts on a text message once, however often it runs."""
    with transaction.atomic():
        inbound = (
            InboundSms.objects.select_for_update()
            .filter(pk=inbound_id, outcome=Outcome.PENDING)
            .first()
        )
        if inbound is None:
            return "skipped"
        result = handle(inbound)
        inbound.outcome = result.outcome
        inbound.action = result.action[:200]
        inbound.case = result.case
        inbound.save(update_fields=["outcome", "action", "case"])
    logger.info(
        "inbound text message processed",
        extra={"inbound_sms": inbound.notify_id, "outcome": inbound.outcome},
    )
    return inbound.outcome


# --- Inbound text messages: acting on them -----------------------------------------------


@dataclass(frozen=True)
class Result:
    outcome: str
    action: str
    case: Case | None = None


def keyword(message: str) -> str:
    """The message in capitals with punctuation dropped and spaces squeezed: "Not fixed!"
    and "not-fixed" become "NOT FIXED"."""
    text = re.sub(r"[^\w\s]|_", "", re.sub(r"[-/]", " ", message or ""))
    return " ".join(text.upper().split())


def sender_number(source_number: str) -> str:
    """Notify's source number (e.g. 447700900111) in the form cases store (+447700900111);
    "" if it is not a phone number."""
    number = (source_number or "").strip()
    if number.startswith("44"):
        number = "+" + number
    try:
        return normalise_phone(number)
    except ValidationError:
        return ""


def handle(inbound: InboundSms) -> Result:
    """Decides what a text message means for its sender's open cases, and does it."""
    number = sender_number(inbound.source_number)
    cases = list(Case.objects.open().filter(phone=number).order_by("-created_at")) if number else []
    if not cases:
        return Result(Outcome.UNMATCHED, "No open case has this phone number.")
    handler = _HANDLERS.get(keyword(inbound.message), _free_text)
    return handler(inbound, number, cases)


def _actor(case: Case, number: str) -> Actor:
    return Actor.citizen(case, f"text message from {number}")


def _needs_attention(inbound: InboundSms, number: str, cases: list[Case], problem: str) -> Result:
    """The message as a note on each case, flagged for a caseworker to read."""
    text = inbound.message.strip() or "(an empty text message)"
    for case in cases:
        services.case_add_note(
            case=case,
            actor=_actor(case, number),
            text=text,
            needs_attention=True,
            data={"inbound_sms": inbound.notify_id, **({"problem": problem} if problem else {})},
        )
    where = cases[0].reference if len(cases) == 1 else f"{len(cases)} cases"
    action = f"{problem} " if problem else ""
    return Result(Outcome.NEEDS_ATTENTION, f"{action}Added as a note on {where}.", cases[0])


def _free_text(inbound, number, cases) -> Result:
    return _needs_attention(inbound, number, cases, "")


def _stop(inbound, number, cases) -> Result:
    switched = []
    for case in cases:
        if case.contact_preference != ContactPreference.SMS:
            continue
        if case.email:
            preference = ContactPreference.EMAIL
        elif case.postcode and case.address_line_1:
            preference = ContactPreference.LETTER
        else:
            preference = ContactPreference.NONE
        services.case_set_contact_preference(
            case=case,
            preference=preference,
            actor=_actor(case, number),
            reason="Citizen texted STOP",
        )
        switched.append((case, preference))
    if not switched:
        return Result(Outcome.ACTED, "Texted STOP: no open case was sending texts.", cases[0])
    if len(switched) == 1:
        case, preference = switched[0]
        label = ContactPreference(preference).label
        return Result(Outcome.ACTED, f"Stopped texts on {case.reference}: now {label}.", case)
    return Result(Outcome.ACTED, f"Stopped texts on {len(switched)} cases.", switched[0][0])


def _fixed_report(inbound, number, cases) -> tuple[Case | None, Result | None]:
    """The one fixed street report a FIXED or NOT FIXED answers; else a note."""
    word = keyword(inbound.message)
    fixed = [c for c in cases if c.service == Service.STREET_REPORT and c.state == FIXED]
    if len(fixed) == 1:
        return fixed[0], None
    problem = (
        f"Texted {word} but no report is waiting for that answer."
        if not fixed
        else f"Texted {word} but {len(fixed)} reports are waiting for it."
    )
    return None, _needs_attention(inbound, number, cases, problem)


def _transition(inbound, number, case: Case, transition: str, action: str, **kw) -> Result:
    """Runs a citizen's transition; if the case does not allow it, a note instead."""
    try:
        services.case_transition(case=case, transition=transition, actor=_actor(case, number), **kw)
    except CaseError as exc:
        return _needs_attention(
            inbound, number, [case], f"Texted {keyword(inbound.message)}: {exc}"
        )
    return Result(Outcome.ACTED, action.format(reference=case.reference), case)


def _confirm_fixed(inbound, number, cases) -> Result:
    case, unresolved = _fixed_report(inbound, number, cases)
    if case is None:
        return unresolved
    return _transition(inbound, number, case, "confirm_fixed", "Closed {reference} as fixed.")


def _reopen(inbound, number, cases) -> Result:
    case, unresolved = _fixed_report(inbound, number, cases)
    if case is None:
        return unresolved
    return _transition(
        inbound,
        number,
        case,
        "reopen",
        "Reopened {reference}: not fixed.",
        message=inbound.message.strip(),
    )


def _can_withdraw(case: Case, number: str) -> bool:
    if case.service != Service.BLUE_BADGE:
        return False
    allowed = services.allowed_transitions(case, _actor(case, number))
    return any(name == WITHDRAW_TRANSITION for name, _step in allowed)


def _withdraw_request(inbound, number, cases) -> Result:
    from notify.services import case_values, create_notification

    candidates = [c for c in cases if _can_withdraw(c, number)]
    if len(candidates) != 1:
        problem = (
            "Texted WITHDRAW but has no application that can be withdrawn."
            if not candidates
            else f"Texted WITHDRAW but has {len(candidates)} applications."
        )
        return _needs_attention(inbound, number, cases, problem)
    case = candidates[0]
    note = services.case_add_note(
        case=case,
        actor=_actor(case, number),
        text="Texted WITHDRAW. Asked them to reply WITHDRAW YES to confirm.",
        data={
            "inbound_sms": inbound.notify_id,
            "withdraw_requested_at": timezone.now().isoformat(),
        },
    )
    create_notification(
        case=case,
        event="withdraw_confirm",
        channel="sms",
        personalisation=case_values(case, ""),  # the council's name and the reference
        case_event=note,
    )
    return Result(Outcome.ACTED, f"Asked to confirm withdrawal of {case.reference}.", case)


def _withdraw_requested_recently(case: Case) -> bool:
    latest = (
        CaseEvent.objects.filter(
            case=case, kind=CaseEvent.Kind.NOTE, data__has_key="withdraw_requested_at"
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is None:
        return False
    requested_at = parse_time(latest.data.get("withdraw_requested_at"))
    return requested_at is not None and timezone.now() - requested_at <= WITHDRAW_CONFIRM_WINDOW


def _withdraw_confirm(inbound, number, cases) -> Result:
    candidates = [
        c for c in cases if c.service == Service.BLUE_BADGE and _withdraw_requested_recently(c)
    ]
    if len(candidates) != 1:
        problem = (
            "Texted WITHDRAW YES without a withdrawal request in the last 48 hours."
            if not candidates
            else f"Texted WITHDRAW YES with {len(candidates)} withdrawal requests open."
        )
        return _needs_attention(inbound, number, cases, problem)
    return _transition(inbound, number, candidates[0], WITHDRAW_TRANSITION, "Withdrew {reference}.")


_HANDLERS = {
    **dict.fromkeys(STOP, _stop),
    **dict.fromkeys(FIXED_WORDS, _confirm_fixed),
    **dict.fromkeys(NOT_FIXED_WORDS, _reopen),
    **dict.fromkeys(WITHDRAW, _withdraw_request),
    **dict.fromkeys(WITHDRAW_CONFIRM, _withdraw_confirm),
}
