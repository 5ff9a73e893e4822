"""Organisations, their service settings, cases and the append-only record of events."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin

from cases.workflows.base import (
    ActorKind,
    CitizenAction,
    Hook,
    Outcome,
    Scheduled,
    SmsKeyword,
    Stage,
    Text,
)

if TYPE_CHECKING:
    from django_fsm import Transition


class Service(models.TextChoices):
    BLUE_BADGE = "blue_badge", _("Blue Badge application")
    STREET_REPORT = "street_report", _("Street issue report")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")
    LETTER = "letter", _("Letter")


class ContactPreference(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")
    LETTER = "letter", _("Letter")
    NONE = "none", _("Do not contact me")


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    WELSH = "cy", "Cymraeg"


class PaymentProvider(models.TextChoices):
    LOCAL = "local", _("Local (development and demos)")
    STRIPE = "stripe", _("Stripe")
    GOVUK_PAY = "govuk_pay", _("GOV.UK Pay")


class Organisation(models.Model):
    """A council or other public body that runs services on Waymark."""

    name = models.CharField(_("name"), max_length=200)
    name_cy = models.CharField(_("name in Welsh"), max_length=200, blank=True)
    slug = models.SlugField(_("slug"), unique=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    address = models.TextField(_("postal address"), blank=True)
    sms_inbound_number = models.CharField(
        _("inbound text message number"),
        max_length=20,
        blank=True,
        unique=True,
        null=True,
        help_text=_(
            "The number citizens text (your GOV.UK Notify service's inbound number, e.g. "
            "07700900123). Texts to it act only on this council's cases."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from cases.validators import normalise_phone

        if self.sms_inbound_number:
            try:
                self.sms_inbound_number = normalise_phone(self.sms_inbound_number)
            except ValidationError as exc:
                raise ValidationError({"sms_inbound_number": exc.messages}) from None
        else:
            self.sms_inbound_number = None  # blank for many councils, unique when set

    @property
    def display_name(self) -> str:
        """The name in the language of the current request (Welsh when there is one)."""
        if get_language() == "cy" and self.name_cy:
            return self.name_cy
        return self.name


def _all_channels() -> list[str]:
    return [Channel.EMAIL, Channel.SMS, Channel.LETTER]


class ServiceConfig(models.Model):
    """How one organisation runs one service: fee, payment provider, deadlines, Notify."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="service_configs"
    )
    service = models.CharField(_("service"), max_length=40, choices=Service.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    fee_pence = models.PositiveIntegerField(
        _("fee in pence"), default=0, help_text=_("0 means no fee and no payment stage.")
    )
    payment_provider = models.CharField(
        _("payment provider"),
        max_length=20,
        choices=PaymentProvider.choices,
        default=PaymentProvider.GOVUK_PAY,
        help_text=_(
            "The council's keys for it are environment variables (see README: Configuration). "
            "Local takes no real money and works only where LOCAL_BACKENDS is on."
        ),
    )
    sla_days = models.JSONField(
        _("working days per stage"),
        default=dict,
        blank=True,
        help_text=_("Stage slug → working days. Stages left out use the workflow's default."),
    )
    notify_templates = models.JSONField(
        _("Notify template IDs"),
        default=dict,
        blank=True,
        help_text=_("Event → channel → language → Notify template ID."),
    )
    enabled_channels = models.JSONField(
        _("enabled channels"), default=_all_channels, help_text=_("email, sms, letter")
    )

    class Meta:
        verbose_name = _("service settings")
        verbose_name_plural = _("service settings")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "service"], name="one_config_per_service"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} – {self.get_service_display()}"

    def clean(self) -> None:
        from cases.workflows import workflow_class

        errors = {}
        unknown = set(self.enabled_channels or []) - set(Channel.values)
        if unknown:
            errors["enabled_channels"] = _("Unknown channels: %(c)s") % {
                "c": ", ".join(sorted(unknown))
            }
        stages = {stage.slug for stage in workflow_class(self.service).STAGES}
        bad = [
            key
            for key, days in (self.sla_days or {}).items()
            if key not in stages or not isinstance(days, int) or days < 0
        ]
        if bad:
            errors["sla_days"] = _(
                "Each key must be one of %(stages)s and each value a whole number of days "
                "(0 or more). Wrong: %(bad)s"
            ) % {"stages": ", ".join(sorted(stages)), "bad": ", ".join(sorted(bad))}
        if errors:
            raise ValidationError(errors)

    def stage_days(self, stage) -> int:
        return int((self.sla_days or {}).get(stage.slug, stage.sla_days))


class Role(models.TextChoices):
    ADMIN = "admin", _("Council admin")
    EDITOR = "editor", _("Editor")
    READ_ONLY = "read_only", _("Read only")


class Membership(models.Model):
    """A caseworker's role at one organisation. National administrators are superusers."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.EDITOR)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_role_per_council")
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.organisation} ({self.get_role_display()})"


class CaseQuerySet(models.QuerySet):
    def open(self):
        from cases.workflows import closed_states

        return self.exclude(state__in=closed_states())

    def for_service(self, service: str):
        return self.filter(service=service)


class Case(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """One application or report. Its workflow (a proxy model) holds the state machine.

    Rows read from the database come back as their workflow's class (see `from_db`), so
    `case.get_available_state_transitions()` and the stage list always fit the service.
    Change a case only through `cases.services`.
    """

    process_id = models.CharField(_("reference"), max_length=16, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="cases", verbose_name=_("council")
    )
    service = models.CharField(_("service"), max_length=40, choices=Service.choices)
    state = FSMField(_("state"), max_length=40, protected=True)
    stage = models.CharField(_("stage"), max_length=40)
    stage_entered_at = models.DateTimeField(_("stage entered"), default=timezone.now)
    due_date = models.DateField(_("due"), null=True, blank=True)
    overdue = models.BooleanField(_("overdue"), default=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    applicant_name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email address"), blank=True)
    phone = models.CharField(_("phone number"), max_length=20, blank=True)
    address_line_1 = models.CharField(_("address line 1"), max_length=200, blank=True)
    address_line_2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    town = models.CharField(_("town or city"), max_length=100, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True, db_index=True)
    contact_preference = models.CharField(
        _("contact preference"),
        max_length=10,
        choices=ContactPreference.choices,
        default=ContactPreference.EMAIL,
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.ENGLISH
    )

    answers = models.JSONField(_("answers"), default=dict, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assigned to"),
    )
    version = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("case")
        indexes = [
            models.Index(fields=["organisation", "service", "state"]),
            models.Index(fields=["organisation", "stage"]),
            models.Index(fields=["due_date"]),
        ]

    def __str__(self) -> str:
        from cases import process_id

        return process_id.format_display(self.process_id) if self.process_id else "new case"

    @classmethod
    def from_db(cls, db, field_names, values):
        from cases.workflows import WORKFLOWS

        if cls is Case and "service" in field_names:
            workflow = WORKFLOWS.get(values[field_names.index("service")])
            if workflow is not None:
                cls = workflow
        return super().from_db.__func__(cls, db, field_names, values)

    @property
    def reference(self) -> str:
        return str(self)

    @cached_property
    def config(self) -> ServiceConfig:
        """The council's settings for this service (defaults if it has none saved)."""
        found = ServiceConfig.objects.filter(
            organisation_id=self.organisation_id, service=self.service
        ).first()
        return found or ServiceConfig(organisation_id=self.organisation_id, service=self.service)

    def fee_pence(self) -> int:
        return self.config.fee_pence

    # --- The workflow contract ------------------------------------------------------
    # Every workflow (a proxy model of Case, see cases/workflows/) sets the first group;
    # `cases.workflows.register` refuses one that does not. The rest have defaults.
    SERVICE: ClassVar[str]
    PREFIX: ClassVar[str]  # the two letters its process IDs start with
    TITLE: ClassVar[Text]
    INITIAL_STATE: ClassVar[str]
    AnswersForm: ClassVar[type[forms.Form]]  # validates what the citizen (or API) sends
    STATE_LABELS: ClassVar[dict[str, Text]] = {}
    # Where the case is, in words, for the top of the citizen's timeline (by state).
    HEADLINES: ClassVar[dict[str, Text]] = {}
    STAGES: ClassVar[tuple[Stage, ...]] = ()  # the citizen's timeline, in order
    CLOSED_STATES: ClassVar[frozenset[str]] = frozenset()

    ON_CREATE: ClassVar[tuple[Hook, ...]] = ()  # hooks run when a case opens
    CREATED_TEXT: ClassVar[Text | None] = None  # the first line of the timeline
    OUTCOMES: ClassVar[tuple[Outcome, ...]] = ()  # closed states off the happy path
    CITIZEN_ACTIONS: ClassVar[dict[str, CitizenAction]] = {}  # what the citizen owes, by state
    PAYMENT_STAGE: ClassVar[str | None] = None  # left off the timeline when there is no fee
    # The transitions `payments` runs when the provider has news (None: nothing to run).
    ON_PAYMENT: ClassVar[str | None] = None
    ON_PAYMENT_UNKNOWN: ClassVar[str | None] = None
    ON_PAYMENT_EXPIRED: ClassVar[str | None] = None
    # The step staff are expected to take next in a state: offered first, as the main button.
    NEXT_STEPS: ClassVar[dict[str, str]] = {}
    SMS_KEYWORDS: ClassVar[tuple[SmsKeyword, ...]] = ()  # words a citizen may text
    SCHEDULED: ClassVar[tuple[Scheduled, ...]] = ()  # transitions that happen with time
    # Whether people other than the citizen may follow a case's news (a street report,
    # by someone who found it already reported): its messages `follow_confirm` and
    # `follow_update` are then the service's too.
    FOLLOWABLE: ClassVar[bool] = False

    if TYPE_CHECKING:
        # Added at class creation by the `state` FSMField (django-fsm), so mypy cannot see
        # them. Each transition's `custom["step"]` is the workflow's `Step`.
        def get_all_state_transitions(self) -> Iterator[Transition]: ...
        def get_available_state_transitions(self) -> Iterator[Transition]: ...

    @property
    def state_label(self):
        return self.STATE_LABELS.get(self.state, self.state)

    def message_values(self, language: str) -> dict[str, str]:
        """What this kind of case adds to the values anyone may be told about it in a
        message, in `language` (a street report: its problem and place)."""
        return {}

    def stage_for_state(self, state: str):
        """The timeline stage a state belongs to; None for an outcome such as refused."""
        for stage in self.STAGES:
            if state in stage.states:
                return stage
        return None

    def outcome_for_state(self, state: str):
        for outcome in self.OUTCOMES:
            if outcome.state == state:
                return outcome
        return None

    def visible_stages(self) -> list:
        """The stages this case goes through: no payment stage when the council is free."""
        if self.PAYMENT_STAGE and self.fee_pence() <= 0:
            return [stage for stage in self.STAGES if stage.slug != self.PAYMENT_STAGE]
        return list(self.STAGES)

    def stage_due_date(self, stage, default):
        """The deadline for the current stage; workflows may override (e.g. a repair date)."""
        return default

    @property
    def is_closed(self) -> bool:
        return self.state in self.CLOSED_STATES

    @property
    def address_lines(self) -> list[str]:
        return [
            line
            for line in (
                self.applicant_name,
                self.address_line_1,
                self.address_line_2,
                self.town,
                self.postcode,
            )
            if line
        ]


class CaseEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Case events are append-only: they cannot be updated.")

    def delete(self):
        raise TypeError("Case events are append-only: they cannot be deleted.")

    def public(self):
        return self.filter(public=True)


class TransactionId(models.Func):
    """The ID of the transaction inserting the row, on PostgreSQL; 0 on SQLite, whose
    writes are one at a time (so there, a row's ID is already its place in commit order).
    The change feed (`cases.feed`) uses it to put events in the order they committed."""

    output_field = models.BigIntegerField()

    def as_sql(self, compiler, connection, **extra):
        return "0", []

    def as_postgresql(self, compiler, connection, **extra):
        return "(pg_current_xact_id()::text::bigint)", []


class CaseEvent(models.Model):
    """One thing that happened to a case. Append-only: written once by `cases.services`."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        TRANSITION = "transition", _("Transition")
        OVERDUE = "overdue", _("Overdue")
        ASSIGNED = "assigned", _("Assigned")
        CONTACT_CHANGED = "contact_changed", _("Contact preference changed")
        NOTE = "note", _("Note")
        REFUNDED = "refunded", _("Refunded")
        NOTIFICATION_FAILED = "notification_failed", _("Message failed")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    transition = models.CharField(max_length=60, blank=True)
    from_state = models.CharField(max_length=40, blank=True)
    to_state = models.CharField(max_length=40, blank=True)
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="case_events",
    )
    actor_label = models.CharField(max_length=200, blank=True)
    reason = models.TextField(_("reason (staff only)"), blank=True)
    message = models.TextField(_("message to the citizen"), blank=True)
    public = models.BooleanField(default=False)
    data = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    case_version = models.PositiveIntegerField(default=0)  # the case's version just after
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    tx = models.BigIntegerField(db_default=TransactionId(), editable=False)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("case event")
        indexes = [
            models.Index(fields=["case", "created_at"]),
            models.Index(fields=["tx", "id"], name="caseevent_commit_order"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.kind} {self.transition} {self.from_state}→{self.to_state}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Case events are append-only: they cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Case events are append-only: they cannot be deleted.")


# The workflows are proxy models of Case: import them so Django (and the registry) has them.
from cases.workflows import blue_badge, street_report  # noqa: E402, F401


class Evidence(models.Model):
    """A file a citizen uploaded with an application or report (a PDF, JPEG or PNG).

    Stored with the default storage under evidence/; never served from a public URL.
    """

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("case")
    )
    file = models.FileField(_("file"), upload_to="evidence/%Y/%m/", max_length=255)
    original_name = models.CharField(_("original file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.original_name


class Follower(models.Model):
    """Someone who found the problem they came to report was already reported, and asked
    for updates on that report (FixMyStreet's alerts). Updates start once they confirm,
    from the link in the first message, and stop from the link in every one. They learn
    only what anyone may: the problem, the place and what is happening to it."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="followers", verbose_name=_("case")
    )
    email = models.EmailField(_("email address"), blank=True)
    phone = models.CharField(_("mobile number"), max_length=20, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.ENGLISH
    )
    created_at = models.DateTimeField(_("asked"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("follower")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(email="") & ~models.Q(phone=""))
                | (~models.Q(email="") & models.Q(phone="")),
                name="follower_has_one_contact",
            ),
            models.UniqueConstraint(
                fields=["case", "email", "phone"], name="one_follower_per_contact"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} follows {self.case_id}"

    @property
    def channel(self) -> str:
        return Channel.EMAIL if self.email else Channel.SMS

    @property
    def recipient(self) -> str:
        return self.email or self.phone

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.stopped_at is None


class Draft(models.Model):
    """An application saved part-way, to finish later from a link with its token.

    `answers` holds the journey as the portal keeps it in the session: the answers to each
    page and the files uploaded so far (stored under drafts/<token>/).
    """

    token = models.UUIDField(_("token"), unique=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="drafts", verbose_name=_("council")
    )
    service = models.CharField(_("service"), max_length=40, choices=Service.choices)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    expires_at = models.DateTimeField(_("expires"), db_index=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("saved application")

    def __str__(self) -> str:
        return f"{self.organisation} – {self.get_service_display()} ({self.token})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class AccessLog(models.Model):
    """Who looked at a case's personal data, when and how (changes are CaseEvents)."""

    class Action(models.TextChoices):
        VIEWED = "viewed", _("Viewed the case page")
        EXPORTED = "exported", _("Exported in a CSV file")
        CITIZEN_VIEWED = "citizen_viewed", _("Citizen viewed the timeline")
        DOWNLOADED = "downloaded", _("Downloaded evidence")
        API_READ = "api_read", _("Read through the API")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="access_log")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    api_key = models.ForeignKey(
        "cases.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")

    def __str__(self) -> str:
        return f"{self.user or 'citizen'} {self.action} {self.case_id} at {self.at:%Y-%m-%d %H:%M}"


class RateWindow(models.Model):
    """One counter of the shared rate limiter (`cases.ratelimit`): how many events `key`
    had in one numbered window, and when that window ends."""

    key = models.CharField(max_length=100)
    window = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)
    ends_at = models.BigIntegerField(db_index=True)  # epoch seconds: prunable from then on

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window"], name="one_count_per_key_window")
        ]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window}: {self.count}"


class StaffAccount(User):
    """A caseworker's account, as council admins manage it (the same row as auth's User)."""

    class Meta:
        proxy = True
        verbose_name = _("staff account")
        ordering = ["username"]


class FeedEntry(models.Model):
    """A case event's place in the change feed (`GET /api/v1/events`): `sequence` only
    grows, in the order the events committed, so a partner that read up to a sequence
    has every event before it. Written by `cases.feed.publish`, one run at a time."""

    sequence = models.BigAutoField(primary_key=True)
    event = models.OneToOneField(CaseEvent, on_delete=models.PROTECT, related_name="feed_entry")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    service = models.CharField(max_length=40, choices=Service.choices)

    class Meta:
        ordering = ["sequence"]
        indexes = [models.Index(fields=["organisation", "sequence"])]

    def __str__(self) -> str:
        return f"#{self.sequence}: event {self.event_id}"


class FeedState(models.Model):
    """One row: how far `cases.feed.publish` has got (every event of a transaction older
    than `done_below` — or, on SQLite, every event up to `last_event_id` — has its entry)."""

    done_below = models.BigIntegerField(default=0)
    last_event_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"feed published below transaction {self.done_below}, event {self.last_event_id}"


class ApiKey(models.Model):
    """A council's key for the partner API (`cases.api`): shown once when it is made, kept
    only as a SHA-256 of its secret. It acts as `Actor.partner` through `cases.services`,
    for its council only (and one service, if restricted), within its scopes."""

    class Scope(models.TextChoices):
        READ = "cases:read", "Read cases, their timelines, messages and payments"
        INTERNAL = "cases:internal", "Read the staff-only record (reasons, notes)"
        WRITE = "cases:write", "Create cases, add notes, assign, change contact preference"
        TRANSITION = "cases:transition", "Move cases on (run transitions)"
        WEBHOOKS = "webhooks:manage", "Manage webhook subscriptions"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="api_keys", verbose_name=_("council")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("Who uses it, e.g. 'CRM'."))
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    hashed_secret = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    service = models.CharField(
        _("only this service"),
        max_length=40,
        choices=Service.choices,
        blank=True,
        help_text=_("Leave blank for every service of the council."),
    )
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["organisation", "name"]
        verbose_name = _("API key")

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix})"

    @property
    def display_prefix(self) -> str:
        return f"wm_live_{self.prefix}"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > timezone.now()
        )


class IdempotencyRecord(models.Model):
    """What a POST with an `Idempotency-Key` answered, so a retry gets the same answer
    (`cases.api.idempotency`). `status` is null while the first request is in flight."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    body_sha256 = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True)
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="one_record_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.api_key_id}/{self.key}: {self.status or 'in flight'}"


# Models of the packages inside this app, imported so Django has them.
from cases.open311 import models as open311_models  # noqa: E402, F401
from cases.webhooks import models as webhook_models  # noqa: E402, F401
