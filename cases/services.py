"""The only way a case changes.

Every caller (portal, admin, API, payment webhooks, inbound SMS, scheduled jobs) uses
these functions. Each runs in one transaction: lock the case row, check the actor's
permission and the state machine, run the transition, save, append a CaseEvent and run
the transition's hooks through `cases.hooks` (outbox rows in `notify`, payment requests in
`payments`). Tasks are queued only when the transaction commits. Anything not allowed
raises a `CaseError` with a plain-English message, and nothing is written.

Locks: only the rows meant (`of=("self",)`: never the council's row, or every write of a
council would wait for every other), in one order everywhere — the case, then its payment
requests, then its notifications. The case lock is FOR NO KEY UPDATE: it holds off every
other change to the case, but not the rows that only point at it (an access log entry
while a citizen reads the timeline). A transaction that needs the case and one of those
takes `case_lock` first; one that needs only a payment request or a notification may lock
just that, provided it takes no case lock after it. (A job's own row — an inbound text
being processed — is locked before the cases it acts on; nothing locks it after a case.)
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_fsm import ConcurrentTransition, can_proceed

from cases import calendar, hooks, process_id, webhooks
from cases.actors import Actor, assignable_users, may_act_on
from cases.applicants import APPLICANT_FIELDS, clean_applicant
from cases.errors import (
    CaseConflict,
    CaseError,
    CaseNotAllowed,
    CasePermissionDenied,
    CaseStale,
    CaseValidationError,
)
from cases.models import Case, CaseEvent, ContactPreference, Follower, Organisation
from cases.workflows import workflow_class
from cases.workflows.base import ActorKind, CaseClosed, Notify, NotifyFollower, Step
from config.logging import current_request_id

logger = logging.getLogger(__name__)

__all__ = [  # the errors and the actor are part of this module's interface
    "Actor",
    "CaseConflict",
    "CaseError",
    "CaseNotAllowed",
    "CasePermissionDenied",
    "CaseStale",
    "CaseValidationError",
]


# --- Reading what a case allows ------------------------------------------------------


def step_of(case: Case, transition: str) -> Step | None:
    for candidate in case.get_all_state_transitions():
        if candidate.name == transition:
            return candidate.custom["step"]
    return None


def allowed_transitions(case: Case, actor: Actor | None = None) -> list[tuple[str, Step]]:
    """Transitions possible from the case's state (conditions met), for this actor if given."""
    if actor is not None and not may_act_on(actor, case):
        return []
    result = []
    for candidate in case.get_available_state_transitions():
        meta: Step = candidate.custom["step"]
        if actor is None or actor.kind in meta.actors:
            result.append((candidate.name, meta))
    return result


def _not_allowed(case: Case, transition: str, actor: Actor) -> CaseNotAllowed:
    meta = step_of(case, transition)
    label = str(meta.label) if meta else transition
    allowed = allowed_transitions(case, actor)
    if allowed:
        then = "From there you can: " + ", ".join(str(m.label) for _n, m in allowed) + "."
    elif case.is_closed:
        then = "The case is closed."
    else:
        then = "You cannot change it from there."
    return CaseNotAllowed(
        f"This case is '{case.state_label}', so '{label}' is not possible. {then}",
        allowed=[name for name, _m in allowed],
    )


def _expect_version(locked: Case, expected_version: int | None) -> None:
    """Refuses the change if the caller saw another version of the case (None: no check)."""
    if expected_version is not None and locked.version != expected_version:
        raise CaseStale(
            gettext(
                "Someone else changed this case while you were looking at it. It is now "
                "'%(state)s'. Check the case and try again."
            )
            % {"state": locked.state_label},
            current_version=locked.version,
        )


# --- Creating a case ---------------------------------------------------------------------


def case_create(
    *,
    organisation: Organisation,
    service: str,
    applicant: dict[str, Any],
    answers: dict[str, Any],
    actor: Actor,
    language: str = "en",
) -> Case:
    """Opens a case with a new process ID, records it and sends the acknowledgement."""
    workflow = workflow_class(service)
    if actor.kind == ActorKind.PARTNER and actor.organisation_id != organisation.pk:
        raise CasePermissionDenied("This API key cannot create cases for that council.")
    config = organisation.service_configs.filter(service=service).first()
    if config is None or not config.enabled:
        raise CaseValidationError({"service": [f"{organisation} does not offer this service"]})
    errors: dict[str, list[str]] = {
        field: ["Unknown field"] for field in sorted(set(applicant) - set(APPLICANT_FIELDS))
    }
    try:
        applicant = clean_applicant({k: v for k, v in applicant.items() if k in APPLICANT_FIELDS})
    except CaseValidationError as exc:
        errors.update(exc.errors)
    form = workflow.AnswersForm(data=answers)
    if not form.is_valid():
        errors.update({f"answers.{k}": [str(m) for m in v] for k, v in form.errors.items()})
    if errors:  # every problem at once, the applicant's and the answers'
        raise CaseValidationError(errors)

    now = timezone.now()
    with transaction.atomic():
        for _attempt in range(5):
            case = workflow(
                process_id=process_id.generate(workflow.PREFIX),
                organisation=organisation,
                service=service,
                state=workflow.INITIAL_STATE,
                language=language if language in ("en", "cy") else "en",
                answers={k: v for k, v in form.cleaned_data.items() if v not in (None, "")},
                created_at=now,
                **{k: applicant[k] for k in APPLICANT_FIELDS if k in applicant},
            )
            case.config = config
            _enter_stage(case, now)
            try:
                with transaction.atomic():  # a savepoint: a clash on the ID is retried
                    case.save(force_insert=True)
                break
            except IntegrityError:
                if not Case.objects.filter(process_id=case.process_id).exists():
                    raise
        else:  # pragma: no cover - five clashes in a row among 31**10 IDs
            raise CaseConflict(gettext("Could not allocate a reference number. Please try again."))
        event = _record(
            case,
            actor,
            kind=CaseEvent.Kind.CREATED,
            to_state=case.state,
            public=True,
            created_at=now,
        )
        _run_hooks(case, event, workflow.ON_CREATE)
    logger.info("case created", extra={"case": case.process_id, "service": service})
    return case


# --- Changing a case ---------------------------------------------------------------------


def case_lock(case: Case | int) -> Case:
    """The case, read afresh and locked (only its own row) until the transaction ends.
    The first lock of any transaction that changes a case and its payments or messages."""
    pk = case.pk if isinstance(case, Case) else case
    try:
        return (
            Case.objects.select_for_update(of=("self",), no_key=True)
            .select_related("organisation")
            .get(pk=pk)
        )
    except Case.DoesNotExist:
        raise CaseError("There is no such case.") from None


def _enter_stage(case: Case, now) -> None:
    """Keeps the denormalised stage, deadline and closed time in step with the state."""
    stage = case.stage_for_state(case.state)
    slug = stage.slug if stage else case.state
    if case.is_closed:
        case.closed_at = case.closed_at or now
        case.due_date = None
        case.overdue = False
    else:
        case.closed_at = None
    if slug != case.stage:
        case.stage = slug
        case.stage_entered_at = now
        case.overdue = False
        if not case.is_closed:
            days = case.config.stage_days(stage) if stage else 0
            case.due_date = calendar.add_working_days(now, days) if days else None
    if not case.is_closed:
        due_date = case.stage_due_date(stage, case.due_date)
        if due_date != case.due_date:
            case.due_date, case.overdue = due_date, False


def _record(case: Case, actor: Actor, **fields) -> CaseEvent:
    transaction.on_commit(partial(webhooks.announce, case.organisation_id))
    return CaseEvent.objects.create(
        case=case,
        case_version=case.version,
        actor_kind=actor.kind,
        actor_user=actor.user if actor.user is not None and actor.user.pk else None,
        actor_label=actor.label[:200],
        request_id=current_request_id() if current_request_id() != "-" else "",
        **fields,
    )


def _change_field(locked: Case, actor: Actor, field: str, value, *, kind, shown, reason=""):
    """Sets one field of a locked case, moves its version on and records the change."""
    previous = getattr(locked, field)
    setattr(locked, field, value)
    locked.version += 1
    locked.save(update_fields=[field, "version", "updated_at"])
    _record(
        locked,
        actor,
        kind=kind,
        from_state=locked.state,
        to_state=locked.state,
        reason=reason,
        data={"from": shown(previous), "to": shown(value)},
    )


def _run_hooks(case: Case, event: CaseEvent, declared, message: str = "") -> None:
    for hook in declared:
        if hook.when is None or hook.when == case.state:
            hooks.dispatch(hook, case=case, event=event, message=message)


def case_transition(
    *,
    case: Case | int,
    transition: str,
    actor: Actor,
    reason: str = "",
    message: str = "",
    data: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> Case:
    """Runs one transition of the case's workflow, with everything around it.

    `expected_version` is the version the caller saw (a form's hidden field, an API
    If-Match): if the case has changed since, nothing happens and CaseStale is raised.
    """
    reason, message = (reason or "").strip(), (message or "").strip()
    with transaction.atomic():
        locked = case_lock(case)
        if not may_act_on(actor, locked):
            raise CasePermissionDenied("You do not have permission to change this case.")
        meta = step_of(locked, transition)
        if meta is None:
            raise CaseNotAllowed(f"'{transition}' is not something a {locked.TITLE.en} can do.")
        if actor.kind not in meta.actors:
            who = ", ".join(sorted(kind.label.lower() for kind in meta.actors))
            raise CasePermissionDenied(f"Only a {who} can '{meta.label}'.")
        _expect_version(locked, expected_version)
        method = getattr(locked, transition)
        if not can_proceed(method):
            raise _not_allowed(locked, transition, actor)

        errors: dict[str, list[str]] = {}
        for name, value in (("reason", reason), ("message", message)):
            if "\x00" in value:
                errors[name] = ["Remove the character that is not text (a NUL)"]
        if meta.reason_required and not reason:
            errors["reason"] = ["Enter a reason"]
        if meta.message == "required" and not message:
            errors["message"] = ["Enter a message for the citizen"]
        if meta.message == "none" and message:
            errors["message"] = ["This change does not send the citizen a message"]
        kwargs: dict[str, Any] = {}
        if meta.form is not None:
            form = meta.form(data=data or {}, case=locked)
            if form.is_valid():
                kwargs = form.cleaned_data
            else:
                errors.update({k: [str(m) for m in v] for k, v in form.errors.items()})
        elif data:
            errors["data"] = ["This change takes no other information"]
        if errors:
            raise CaseValidationError(errors)

        from_state = locked.state
        now = timezone.now()
        method(**kwargs)
        _enter_stage(locked, now)
        locked.version += 1
        try:
            locked.save()
        except ConcurrentTransition:
            raise CaseConflict(
                gettext(
                    "Someone else changed this case at the same moment. Check it and try again."
                )
            ) from None

        event = _record(
            locked,
            actor,
            kind=CaseEvent.Kind.TRANSITION,
            transition=transition,
            from_state=from_state,
            to_state=locked.state,
            reason=reason,
            message=message,
            public=meta.public is not None,
            data={k: (v.process_id if isinstance(v, Case) else v) for k, v in kwargs.items()},
            created_at=now,
        )
        _run_hooks(locked, event, meta.hooks, message=message)
        if locked.is_closed and from_state not in locked.CLOSED_STATES:
            hooks.dispatch(CaseClosed(), case=locked, event=event, required=False)
    logger.info(
        "case transition",
        extra={"case": locked.process_id, "transition": transition, "to": locked.state},
    )
    return locked


def case_mark_overdue(*, case: Case | int, actor: Actor) -> Case | None:
    """Flags a case whose stage deadline has passed, and says so on its timeline."""
    with transaction.atomic():
        locked = case_lock(case)
        today = timezone.localdate()
        if locked.overdue or locked.is_closed or not locked.due_date or locked.due_date >= today:
            return None
        locked.overdue = True
        locked.version += 1  # what the case says has changed (an API client's ETag)
        locked.save(update_fields=["overdue", "version", "updated_at"])
        _record(
            locked,
            actor,
            kind=CaseEvent.Kind.OVERDUE,
            from_state=locked.state,
            to_state=locked.state,
            public=True,
            data={"due_date": locked.due_date.isoformat(), "stage": locked.stage},
        )
    return locked


def case_set_contact_preference(
    *,
    case: Case | int,
    preference: str,
    actor: Actor,
    reason: str = "",
    expected_version: int | None = None,
) -> Case:
    """Changes how the citizen is contacted (portal form, SMS STOP, caseworker on the phone)."""
    if preference not in ContactPreference.values:
        raise CaseValidationError(
            {"contact_preference": [gettext("Choose how you would like to be contacted")]}
        )
    with transaction.atomic():
        locked = case_lock(case)
        if not may_act_on(actor, locked):
            raise CasePermissionDenied("You do not have permission to change this case.")
        _expect_version(locked, expected_version)
        needs_for: dict[str, tuple[str, str]] = {
            ContactPreference.EMAIL: ("email", gettext("We do not have an email address for you")),
            ContactPreference.SMS: ("phone", gettext("We do not have a mobile number for you")),
            ContactPreference.LETTER: (
                "postcode",
                gettext("We do not have a postal address for you"),
            ),
        }
        needs = needs_for.get(preference)
        if needs and not getattr(locked, needs[0]):
            raise CaseValidationError({"contact_preference": [needs[1]]})
        if locked.contact_preference == preference:
            return locked
        _change_field(
            locked,
            actor,
            "contact_preference",
            preference,
            kind=CaseEvent.Kind.CONTACT_CHANGED,
            shown=lambda value: value,
            reason=reason,
        )
    return locked


def case_add_note(
    *, case: Case | int, actor: Actor, text: str, needs_attention: bool = False, data=None
) -> CaseEvent:
    """A note on the case's record (staff only), e.g. a citizen's text message that a
    caseworker should read."""
    text = (text or "").strip()
    if not text:
        raise CaseValidationError({"text": ["Enter a note"]})
    if "\x00" in text:
        raise CaseValidationError({"text": ["Remove the character that is not text (a NUL)"]})
    with transaction.atomic():
        locked = case_lock(case)
        if not may_act_on(actor, locked):
            raise CasePermissionDenied("You do not have permission to change this case.")
        return _record(
            locked,
            actor,
            kind=CaseEvent.Kind.NOTE,
            from_state=locked.state,
            to_state=locked.state,
            reason=text,
            data={**(data or {}), "needs_attention": needs_attention},
        )


def case_record_refund(
    *, case: Case | int, actor: Actor, amount_pence: int, reason: str, duplicate: bool = False
) -> CaseEvent:
    """Puts a refund on the case's timeline (payments.services makes the refund itself);
    `duplicate`: it gave back a second payment of a fee already paid."""
    with transaction.atomic():
        locked = case_lock(case)
        return _record(
            locked,
            actor,
            kind=CaseEvent.Kind.REFUNDED,
            from_state=locked.state,
            to_state=locked.state,
            reason=reason,
            public=True,
            data={"amount_pence": amount_pence, **({"duplicate": True} if duplicate else {})},
        )


def case_record_notification_failed(
    *, case: Case | int, channel: str, event: str, status: str
) -> CaseEvent:
    """A message to the citizen could not be delivered (`notify` says so once, when its
    status becomes a failure): a staff-only event, and `notification.failed` to webhooks.
    It changes nothing on the case, so it takes no lock (the message's row may be locked
    already, and the case is never locked after it)."""
    found = case if isinstance(case, Case) else Case.objects.get(pk=case)
    return _record(
        found,
        Actor.system("GOV.UK Notify"),
        kind=CaseEvent.Kind.NOTIFICATION_FAILED,
        from_state=found.state,
        to_state=found.state,
        data={"channel": channel, "event": event, "status": status},
    )


def case_assign(
    *, case: Case | int, assignee, actor: Actor, expected_version: int | None = None
) -> Case:
    """Gives the case to a caseworker of its council (or to nobody, with None)."""
    with transaction.atomic():
        locked = case_lock(case)
        if not may_act_on(actor, locked):
            raise CasePermissionDenied("You do not have permission to change this case.")
        _expect_version(locked, expected_version)
        if (
            assignee is not None
            and not assignable_users(locked.organisation_id).filter(pk=assignee.pk).exists()
        ):
            raise CaseValidationError(
                {"assigned_to": [f"{assignee} does not work for {locked.organisation}"]}
            )
        if locked.assigned_to_id == (assignee.pk if assignee else None):
            return locked
        _change_field(
            locked,
            actor,
            "assigned_to",
            assignee,
            kind=CaseEvent.Kind.ASSIGNED,
            shown=lambda user: user.get_username() if user else "",
        )
    return locked


def case_send_link(*, case: Case) -> None:
    """The citizen asked for the link to their case: it goes to the contact details on
    record, by their chosen channel (the `case_link` message)."""
    with transaction.atomic():
        hooks.dispatch(Notify("case_link"), case=case)


# --- Followers of a report ------------------------------------------------------------


def follower_add(*, case: Case, contact: str, language: str) -> Follower:
    """Someone asks for updates on a report: `contact` is an email address or a mobile
    number in E.164 form. They are sent a link to confirm; updates start once they do.
    Asking again sends the link again, unless they are already getting updates (then
    nothing is sent: no one can make a follower confirm twice)."""
    if not case.FOLLOWABLE:
        raise CaseNotAllowed(f"A {case.TITLE.en} cannot be followed.")
    email, phone = (contact, "") if "@" in contact else ("", contact)
    with transaction.atomic():
        follower, created = Follower.objects.get_or_create(
            case=case, email=email, phone=phone, defaults={"language": language}
        )
        if not created:
            if follower.is_active:
                return follower
            follower.language, follower.confirmed_at, follower.stopped_at = language, None, None
            follower.save(update_fields=["language", "confirmed_at", "stopped_at"])
        hooks.dispatch(NotifyFollower("follow_confirm", follower.pk), case=case)
    return follower


def follower_confirm(*, follower: Follower) -> None:
    """The follower confirmed from their link: updates start (if they had not stopped)."""
    Follower.objects.filter(pk=follower.pk, confirmed_at=None, stopped_at=None).update(
        confirmed_at=timezone.now()
    )


def follower_stop(*, follower: Follower) -> None:
    """The follower stopped their updates, from the link in any of them."""
    Follower.objects.filter(pk=follower.pk, stopped_at=None).update(stopped_at=timezone.now())
