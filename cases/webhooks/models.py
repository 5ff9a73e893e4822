"""Webhook subscriptions and the deliveries made to them (`cases.webhooks`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, FeedEntry, Organisation, Service


class EventType(models.TextChoices):
    CASE_CREATED = "case.created", _("Case created")
    CASE_TRANSITIONED = "case.transitioned", _("Case moved on (a transition)")
    CASE_ASSIGNED = "case.assigned", _("Case assigned")
    CASE_NOTE_ADDED = "case.note_added", _("Note added")
    CASE_OVERDUE = "case.overdue", _("Case overdue")
    PAYMENT_REQUESTED = "payment.requested", _("Payment requested")
    PAYMENT_PAID = "payment.paid", _("Payment paid")
    PAYMENT_REFUNDED = "payment.refunded", _("Payment refunded")
    NOTIFICATION_FAILED = "notification.failed", _("Message to the citizen failed")
    EVIDENCE_RECEIVED = "evidence.received", _("Evidence received")


class WebhookSubscription(models.Model):
    """A council's endpoint that is told of its cases' events, signed with `secret` (and,
    for a day after a rotation, with `previous_secret` too). `after_sequence` is how far
    through the change feed its deliveries have been made (`cases.webhooks.outbox`)."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="webhook_subscriptions",
        verbose_name=_("council"),
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("Who receives it, e.g. 'CRM'."))
    url = models.URLField(
        _("target URL"), max_length=500, help_text=_("HTTPS; events are POSTed to it as JSON.")
    )
    event_types = models.JSONField(_("event types"), default=list)
    service = models.CharField(
        _("only this service"),
        max_length=40,
        choices=Service.choices,
        blank=True,
        help_text=_("Leave blank for every service of the council."),
    )
    secret = models.CharField(max_length=80, editable=False)
    previous_secret = models.CharField(max_length=80, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    disabled_reason = models.CharField(_("why it was disabled"), max_length=300, blank=True)
    disabled_at = models.DateTimeField(_("disabled"), null=True, blank=True)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True, editable=False)
    warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    after_sequence = models.BigIntegerField(default=0, editable=False)
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
        verbose_name = _("webhook subscription")

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"


class WebhookDelivery(models.Model):
    """One event for one subscription: its payload, fixed when it was made, and where its
    delivery stands. `message_id` is the `webhook-id` header, the same on every attempt
    (a receiver's key for dropping repeats)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed (gave up)")

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    entry = models.ForeignKey(FeedEntry, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    sequence = models.BigIntegerField()  # the entry's: the order a case's events go in
    event_type = models.CharField(_("event type"), max_length=40, choices=EventType.choices)
    message_id = models.CharField(_("webhook-id"), max_length=80)
    payload = models.JSONField()
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last answer"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-sequence", "event_type"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "entry", "event_type"], name="one_delivery_per_event"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_due"),
            models.Index(fields=["subscription", "case", "sequence"], name="webhook_case_order"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.subscription_id}: {self.status}"


class WebhookAttempt(models.Model):
    """One POST of a delivery: when, what came back and how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField(_("at"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("answer"), null=True, blank=True)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), default=0)
    response_excerpt = models.CharField(_("answer's first bytes"), max_length=500, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("webhook attempt")

    def __str__(self) -> str:
        return (
            f"{self.delivery_id} at {self.at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"
        )
