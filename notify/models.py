"""The notification outbox: one row for every message Waymark means to send."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Channel, Language


class Status(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    CREATED = "created", _("Accepted by Notify")
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted for printing")
    DELIVERED = "delivered", _("Delivered")
    SENT = "sent", _("Sent (international)")
    RECEIVED = "received", _("Posted")
    PERMANENT_FAILURE = "permanent-failure", _("Permanent failure")
    TEMPORARY_FAILURE = "temporary-failure", _("Temporary failure")
    TECHNICAL_FAILURE = "technical-failure", _("Technical failure")
    CANCELLED = "cancelled", _("Cancelled")


FINAL_STATUSES = frozenset(
    {
        Status.DELIVERED,
        Status.SENT,
        Status.RECEIVED,
        Status.PERMANENT_FAILURE,
        Status.TEMPORARY_FAILURE,
        Status.TECHNICAL_FAILURE,
        Status.CANCELLED,
    }
)
FAILED_STATUSES = frozenset(
    {Status.PERMANENT_FAILURE, Status.TEMPORARY_FAILURE, Status.TECHNICAL_FAILURE}
)
# How far along a status is: a receipt never moves a notification backwards.
RANK: dict[str, int] = {
    Status.QUEUED: 0,
    Status.SENDING: 1,
    Status.CREATED: 2,
    Status.PENDING: 3,
    Status.ACCEPTED: 3,
    **{status: 9 for status in FINAL_STATUSES},
}


class NotificationQuerySet(models.QuerySet):
    def failed(self):
        return self.filter(status__in=FAILED_STATUSES)

    def in_flight(self):
        return self.exclude(status__in=FINAL_STATUSES)


class Notification(models.Model):
    """A message to a citizen, written in the same transaction as the change that caused
    it and delivered afterwards by a worker. Its UUID is the `reference` given to Notify,
    so an attempt whose answer was lost can be looked up instead of sent twice."""

    Status = Status

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        "cases.Organisation", on_delete=models.PROTECT, related_name="notifications"
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
    )
    case_event = models.ForeignKey(
        "cases.CaseEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
    )
    # A message to someone following the case (a report), not to the citizen: never shown
    # on the citizen's timeline.
    follower = models.ForeignKey(
        "cases.Follower",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
    )
    batch = models.ForeignKey(
        "notify.Batch",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    fallback_of = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="fallback"
    )
    resend_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resends",
        help_text=_("The failed message a caseworker sent again as this one."),
    )
    event = models.CharField(_("event"), max_length=60)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=320)
    language = models.CharField(max_length=2, choices=Language.choices, default="en")
    personalisation = models.JSONField(default=dict)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    body = models.TextField(_("message"), blank=True)
    fragments = models.PositiveSmallIntegerField(_("SMS fragments"), default=0)

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    template_id = models.CharField(_("Notify template"), max_length=36, blank=True)
    notify_id = models.UUIDField(_("Notify ID"), null=True, blank=True, unique=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    unanswered = models.BooleanField(
        default=False, help_text=_("The last attempt got no answer: look it up before resending.")
    )
    last_error_type = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} by {self.get_channel_display()} to {self.recipient}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class Batch(models.Model):
    """A CSV of recipients for one template, validated in full before anything is queued."""

    class Status(models.TextChoices):
        VALIDATING = "validating", _("Checking the file")
        INVALID = "invalid", _("Has errors")
        READY = "ready", _("Ready to send")
        QUEUING = "queuing", _("Queuing")
        QUEUED = "queued", _("Queued")

    organisation = models.ForeignKey(
        "cases.Organisation", on_delete=models.PROTECT, related_name="notification_batches"
    )
    event = models.CharField(_("template"), max_length=60)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    language = models.CharField(max_length=2, choices=Language.choices, default="en")
    file = models.FileField(upload_to="batches/")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.VALIDATING)
    rows = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text=_("The first errors, by row."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("batch send")

    def __str__(self) -> str:
        return f"{self.event} to {self.rows} recipients ({self.get_status_display()})"


class InboundSms(models.Model):
    """A text message a citizen sent us, as Notify delivered it."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Not processed yet")
        ACTED = "acted", _("Acted on")
        NEEDS_ATTENTION = "attention", _("Needs a caseworker")
        ASKED = "asked", _("Asked which case it is about")
        UNMATCHED = "unmatched", _("No open case for this number")
        HELD = "held", _("Held: sent to a number that is not the council's")

    notify_id = models.CharField(max_length=64, unique=True)
    organisation = models.ForeignKey(
        "cases.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inbound_sms",
        help_text=_("The council whose inbound number it was sent to (none: held)."),
    )
    source_number = models.CharField(max_length=32)
    destination_number = models.CharField(max_length=32, blank=True)
    message = models.TextField()
    received_at = models.DateTimeField()
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="inbound_sms"
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.PENDING)
    action = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("inbound text message")

    def __str__(self) -> str:
        return f"{self.source_number}: {self.message[:40]}"
