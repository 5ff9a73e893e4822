"""The vocabulary every workflow is written in: actors, bilingual text, stages and hooks.

A workflow is a proxy model of `cases.models.Case` (see `cases/workflows/__init__.py`).
Its `@transition` methods change only the case itself; everything around a transition
(locking, permission, the event record, notifications, payment requests) is done by
`cases.services`, which reads what each transition declares in its `custom=` metadata
(built with `step()` below).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django import forms
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language


class ActorKind(models.TextChoices):
    CITIZEN = "citizen", "Citizen"
    CASEWORKER = "caseworker", "Caseworker"
    PARTNER = "partner", "Partner system"
    SYSTEM = "system", "System"


CITIZEN = ActorKind.CITIZEN
CASEWORKER = ActorKind.CASEWORKER
PARTNER = ActorKind.PARTNER
SYSTEM = ActorKind.SYSTEM
STAFF = frozenset({CASEWORKER, PARTNER})


@dataclass(frozen=True)
class Text:
    """A piece of citizen-facing text in English and Welsh; str() picks the active language."""

    en: str
    cy: str

    def __str__(self) -> str:
        return self.cy if (get_language() or "").startswith("cy") else self.en

    def format(self, **values: Any) -> str:
        return str(self).format(**values)


@dataclass(frozen=True)
class Stage:
    """A step of the citizen's timeline. Several states may belong to one stage."""

    slug: str
    title: Text
    states: tuple[str, ...]
    doing: Text  # what is happening while the case is at this stage
    next: Text  # what happens next
    sla_days: int = 0  # working days the stage should take; 0: no deadline


@dataclass(frozen=True)
class Outcome:
    """A closed state that ends a case off the happy path (refused, withdrawn, …)."""

    state: str
    title: Text
    explanation: Text
    next: Text | None = None  # what the citizen can do now (ask for a review, …)


@dataclass(frozen=True)
class CitizenAction:
    """Something the citizen owes while the case is in a state (pay, send evidence, …)."""

    slug: str
    text: Text


@dataclass(frozen=True)
class Notify:
    """Hook: send the citizen the notification for `event`, on their chosen channel.

    With `when`, only if the transition left the case in that state.
    """

    event: str
    when: str | None = None


@dataclass(frozen=True)
class RequestPayment:
    """Hook: ask for the council's fee for this service (skipped when the fee is zero)."""

    when: str | None = None


@dataclass(frozen=True)
class CaseClosed:
    """Raised by `cases.services` (never declared) when a transition closes a case: apps
    that hold something open for it (a fee still owed) settle it."""


@dataclass(frozen=True)
class NotifyFollower:
    """Raised by `cases.services` (never declared): send one follower of a report the message
    for `event` (`follow_confirm`: the link that starts their updates)."""

    event: str
    follower_id: int


Hook = Notify | RequestPayment


@dataclass(frozen=True)
class SmsKeyword:
    """A text message word that runs one of the workflow's transitions as the citizen.

    `words` are matched after `notify.inbound.keyword` tidies the text ("Not fixed!" is
    "NOT FIXED"). With `confirm_words`, the first text only asks the citizen to confirm
    (with the `confirm_event` message) and one of those words, within the confirmation
    window, runs the transition. `with_message` passes the text on as the citizen's message.
    """

    words: frozenset[str]
    transition: str
    confirm_words: tuple[str, ...] = ()  # the first is the one the citizen is asked for
    confirm_event: str = ""
    with_message: bool = False


def sms_keyword(
    words: set[str],
    transition: str,
    *,
    confirm_words: tuple[str, ...] = (),
    confirm_event: str = "",
    with_message: bool = False,
) -> SmsKeyword:
    return SmsKeyword(
        frozenset(words), transition, tuple(confirm_words), confirm_event, with_message
    )


@dataclass(frozen=True)
class Scheduled:
    """A transition that happens with time: the nightly job runs `transition` as the system
    on every case of the workflow matching `due(today, now)` (a Q object)."""

    transition: str
    due: Callable[[date, datetime], Q]


@dataclass(frozen=True)
class Step:
    """What `cases.services` needs to know about a transition."""

    label: Text
    actors: frozenset[ActorKind]
    public: Text | None = None  # the line on the citizen's timeline; None: internal only
    hooks: tuple[Hook, ...] = ()
    form: type[StepForm] | None = None  # validates the data the transition takes
    reason_required: bool = False
    message: str = "none"  # a citizen-visible message: "none", "optional" or "required"
    destructive: bool = False  # ends the case off the happy path: staff confirm it first
    on_behalf: bool = False  # staff may do it only for the citizen, when they ask
    # Webhook event types the step is, besides "case.transitioned" (`cases.webhooks.events`)
    announces: tuple[str, ...] = ()


def step(
    label: Text,
    actors: set[ActorKind] | frozenset[ActorKind],
    *,
    public: Text | None = None,
    hooks: tuple[Hook, ...] = (),
    form: type[StepForm] | None = None,
    reason_required: bool = False,
    message: str = "none",
    destructive: bool = False,
    on_behalf: bool = False,
    announces: tuple[str, ...] = (),
) -> dict[str, Step]:
    """Builds the `custom=` value of a `@transition`."""
    return {
        "step": Step(
            label=label,
            actors=frozenset(actors),
            public=public,
            hooks=hooks,
            form=form,
            reason_required=reason_required,
            message=message,
            destructive=destructive,
            on_behalf=on_behalf,
            announces=announces,
        )
    }


class StepForm(forms.Form):
    """Base for the forms that validate a transition's data; they see the case."""

    def __init__(self, *args: Any, case: Any, **kwargs: Any) -> None:
        self.case = case
        super().__init__(*args, **kwargs)
