"""What GOV.UK Notify sends a council: delivery receipts, and citizens' text messages.

Receipts move one of the council's notifications on (never backwards: see
`notify.status`). A text message is stored once (Notify's ID is unique), routed by the
number it was sent to — a council's own inbound number, or it is held for a national
administrator — and processed by a worker after the request has answered. Only that
council's open cases with the sender's number are looked at:

- STOP stops texts on them (every one, or the one the text names);
- a word a workflow declares (`SMS_KEYWORDS`: FIXED, WITHDRAW, …) runs its transition
  through `cases.services`, as the citizen, on the one case it fits;
- anything else is a note for a caseworker on the case.

Where the text could be about several of the sender's cases and does not name one (by
its reference), nothing is done to any of them: the citizen is asked which one, and a
reply that is just the reference applies the earlier text to that case.
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
from cases.models import Case, CaseEvent, ContactPreference, Organisation
from cases.services import Actor
from cases.validators import normalise_phone
from cases.workflows.base import SmsKeyword
from config.tasks import enqueue
from notify.dispatch import apply_status
from notify.models import InboundSms, Notification, Status

logger = logging.getLogger(__name__)

Outcome = InboundSms.Outcome

# The statuses Notify reports (our own `queued` is not one of them).
NOTIFY_STATUSES = frozenset(Status.values) - {Status.QUEUED}

CONFIRM_WINDOW = timedelta(hours=48)  # to confirm a keyword, or to say which case
STOP = frozenset({"STOP"})
# Notify's timestamps are recent: anything outside these years is not one.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


# --- Delivery receipts -------------------------------------------------------------------


def as_uuid(value) -> uuid.UUID | None:
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def parse_time(value) -> datetime | None:
    """A timestamp from Notify (UTC, e.g. 2025-05-14T12:15:30.000000Z), or None when it is
    not one (malformed, or a year no message was sent in)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = parse_datetime(value)
    except (ValueError, OverflowError):
        return None
    if parsed is None or not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


def record_receipt(
    *,
    organisation: Organisation,
    reference: uuid.UUID | None,
    notify_id: uuid.UUID | None,
    status: str,
    completed_at,
) -> Notification | None:
    """Applies a delivery receipt to one of the council's notifications; None if it has no
    such message. Safe to run any number of times, in any order."""
    with transaction.atomic():
        rows = Notification.objects.select_for_update(of=("self",)).filter(
            organisation=organisation
        )
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


def phone_number(value: str) -> str:
    """A number as Notify gives it (e.g. 447700900111) in the form we store
    (+447700900111); "" if it is not a phone number."""
    number = (value or "").strip()
    if number.startswith("44"):
        number = "+" + number
    try:
        return normalise_phone(number)
    except ValidationError:
        return ""


def receive_sms(
    *,
    organisation: Organisation,
    notify_id: str,
    source_number: str,
    destination_number: str,
    message: str,
    received_at,
) -> tuple[InboundSms, bool]:
    """Stores a text message once, and queues its processing for when that commits; a text
    to a number that is not the council's inbound number is held, not processed.
    (The row, and whether it is new: a redelivery changes nothing.)"""
    destination = phone_number(destination_number)
    routed = (
        organisation
        if destination and destination == (organisation.sms_inbound_number or "")
        else None
    )
    held = (
        f"Held for a national administrator: sent to {destination_number or 'no number'}, "
        f"which is not {organisation}'s inbound number "
        f"({organisation.sms_inbound_number or 'none is set'})."
    )
    with transaction.atomic():
        inbound, created = InboundSms.objects.get_or_create(
            notify_id=notify_id,
            defaults={
                "organisation": routed,
                "source_number": source_number,
                "destination_number": destination_number,
                "message": message,
                "received_at": received_at or timezone.now(),
                "outcome": Outcome.PENDING if routed else Outcome.HELD,
                "action": "" if routed else held[:200],
            },
        )
        if created and routed:
            transaction.on_commit(
                partial(
                    enqueue,
                    "notify.inbound.process_inbound_sms",
                    inbound.pk,
                    name=f"inbound-sms-{inbound.pk}",
                )
            )
        elif created:
            logger.warning("inbound text held", extra={"inbound_sms": notify_id})
    return inbound, created


def process_inbound_sms(inbound_id: int) -> str:
    """The worker's task: acts on a text message once, however often it runs."""
    with transaction.atomic():
        inbound = (
            InboundSms.objects.select_for_update(of=("self",))
            .select_related("organisation")
            .filter(pk=inbound_id, outcome=Outcome.PENDING, organisation__isnull=False)
            .first()
        )
        if inbound is None:
            return "skipped"
        _save(inbound, handle(inbound))
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


def _save(inbound: InboundSms, result: Result) -> None:
    inbound.outcome = result.outcome
    inbound.action = result.action[:200]
    inbound.case = result.case
    inbound.save(update_fields=["outcome", "action", "case"])


def keyword(message: str) -> str:
    """The message in capitals with punctuation dropped and spaces squeezed: "Not fixed!"
    and "not-fixed" become "NOT FIXED"."""
    text = re.sub(r"[^\w\s]|_", "", re.sub(r"[-/]", " ", message or ""))
    return " ".join(text.upper().split())


def named_case(message: str, cases: list[Case]) -> tuple[Case | None, str]:
    """The one of `cases` whose reference the message gives (however it is spaced or
    hyphenated), and the message without it; (None, message) if it names none."""
    for case in cases:
        pattern = r"[\s.\-–]*".join(re.escape(char) for char in case.process_id)
        match = re.search(pattern, message, flags=re.IGNORECASE)
        if match:
            return case, (message[: match.start()] + " " + message[match.end() :]).strip()
    return None, message


def handle(inbound: InboundSms) -> Result:
    """Decides what a text message means for its sender's open cases at the council it
    was sent to, and does it."""
    number = phone_number(inbound.source_number)
    cases = (
        list(
            Case.objects.open()
            .filter(organisation=inbound.organisation, phone=number)
            .order_by("-created_at")
        )
        if number
        else []
    )
    if not cases:
        return Result(Outcome.UNMATCHED, "No open case at this council has this phone number.")
    named, rest = named_case(inbound.message, cases)
    if named is not None and not keyword(rest):
        earlier = _asked_earlier(inbound)
        if earlier is not None:  # "which case?" answered with a reference
            result = _decide(earlier, number, earlier.message, [named])
            _save(earlier, result)
            return Result(
                Outcome.ACTED,
                f"Said their earlier text was about {named.reference}: {result.action}",
                named,
            )
    return _decide(inbound, number, rest, [named] if named else cases)


def _decide(inbound: InboundSms, number: str, message: str, cases: list[Case]) -> Result:
    word = keyword(message)
    if word in STOP:
        return _stop(inbound, number, cases)
    problem = ""
    found, what = _keyword_matches(word, cases, number)
    if len(found) == 1:
        case, matched, confirming = found[0]
        if matched.confirm_words and not confirming:
            return _ask_to_confirm(inbound, number, case, matched)
        kwargs = {"message": message.strip()} if matched.with_message else {}
        return _transition(inbound, number, case, matched.transition, **kwargs)
    if what:
        problem = f"Texted {word} but {what}."
    if len(cases) == 1:
        return _needs_attention(inbound, number, cases[0], problem)
    return _ask_which(inbound, number, cases)


def _keyword_matches(word: str, cases: list[Case], number: str):
    """The (case, keyword, is-a-confirmation) a workflow word fits, among `cases`, and, if
    it fits none or several, why (for the caseworker's note)."""
    if not word:
        return [], ""
    fits, known = [], False
    for case in cases:
        for declared in case.SMS_KEYWORDS:
            if word in declared.confirm_words:
                known = True
                if _confirm_requested_recently(case, declared):
                    fits.append((case, declared, True))
            elif word in declared.words:
                known = True
                if _citizen_may(case, number, declared.transition):
                    fits.append((case, declared, False))
    if not known:
        return [], ""
    if not fits:
        return [], "no case is waiting for that answer"
    if len(fits) > 1:
        return fits, f"{len(fits)} cases could take it"
    return fits, ""


def _actor(case: Case, number: str) -> Actor:
    return Actor.citizen(case, f"text message from {number}")


def _citizen_may(case: Case, number: str, transition: str) -> bool:
    allowed = services.allowed_transitions(case, _actor(case, number))
    return any(name == transition for name, _step in allowed)


def _needs_attention(inbound: InboundSms, number: str, case: Case, problem: str) -> Result:
    """The message as a note on the case, flagged for a caseworker to read."""
    services.case_add_note(
        case=case,
        actor=_actor(case, number),
        text=inbound.message.strip() or "(an empty text message)",
        needs_attention=True,
        data={"inbound_sms": inbound.notify_id, **({"problem": problem} if problem else {})},
    )
    action = f"{problem} " if problem else ""
    return Result(Outcome.NEEDS_ATTENTION, f"{action}Added as a note on {case.reference}.", case)


def _reply(case: Case, event: str, note: CaseEvent | None, **values) -> Notification:
    from notify.services import case_values, create_notification

    return create_notification(
        case=case,
        event=event,
        channel="sms",
        personalisation={**case_values(case, ""), **values},
        case_event=note,
    )


def _ask_which(inbound: InboundSms, number: str, cases: list[Case]) -> Result:
    """Several cases could be meant: ask the citizen, acting on none of them yet."""
    references = ", ".join(case.reference for case in cases)
    _reply(cases[0], "which_case", None, references=references)
    return Result(Outcome.ASKED, f"Asked which of {references} the text is about.")


def _asked_earlier(inbound: InboundSms) -> InboundSms | None:
    """The sender's latest text the council asked "which case?" about, if still recent."""
    return (
        InboundSms.objects.select_for_update(of=("self",))
        .filter(
            organisation=inbound.organisation,
            source_number=inbound.source_number,
            outcome=Outcome.ASKED,
            received_at__gte=inbound.received_at - CONFIRM_WINDOW,
            received_at__lte=inbound.received_at,
        )
        .exclude(pk=inbound.pk)
        .order_by("-received_at")
        .first()
    )


def _stop(inbound: InboundSms, number: str, cases: list[Case]) -> Result:
    """STOP is about the phone, not one case: texts stop on every case it names or, if it
    names none, on every open case at the council that was texting this number."""
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


def _transition(inbound: InboundSms, number: str, case: Case, transition: str, **kw) -> Result:
    """Runs a citizen's transition; if the case does not allow it, a note instead."""
    try:
        services.case_transition(case=case, transition=transition, actor=_actor(case, number), **kw)
    except CaseError as exc:
        problem = f"Texted {keyword(inbound.message)}: {exc}"
        return _needs_attention(inbound, number, case, problem)
    step = services.step_of(case, transition)
    return Result(
        Outcome.ACTED, f"{step.label.en if step else transition}: {case.reference}.", case
    )


def _ask_to_confirm(inbound: InboundSms, number: str, case: Case, declared: SmsKeyword):
    note = services.case_add_note(
        case=case,
        actor=_actor(case, number),
        text=(
            f"Texted {keyword(inbound.message)}. Asked them to reply "
            f"{declared.confirm_words[0]} to confirm."
        ),
        data={
            "inbound_sms": inbound.notify_id,
            "confirm_transition": declared.transition,
            "confirm_requested_at": timezone.now().isoformat(),
        },
    )
    _reply(case, declared.confirm_event, note)
    return Result(
        Outcome.ACTED, f"Asked to confirm '{declared.transition}' on {case.reference}.", case
    )


def _confirm_requested_recently(case: Case, declared: SmsKeyword) -> bool:
    latest = (
        CaseEvent.objects.filter(
            case=case,
            kind=CaseEvent.Kind.NOTE,
            data__confirm_transition=declared.transition,
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is None:
        return False
    requested_at = parse_time(latest.data.get("confirm_requested_at"))
    return requested_at is not None and timezone.now() - requested_at <= CONFIRM_WINDOW
