"""The notification outbox: one row for every message Waymark means to send."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Channel, Language


class Notification(models.Model):
    """A message to a citizen about their case, written in the same transaction as the
    change that caused it, and delivered afterwards by a worker."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        PERMANENT_FAILURE = "permanent-failure", _("Permanent failure")
        TEMPORARY_FAILURE = "temporary-failure", _("Temporary failure")
        TECHNICAL_FAILURE = "technical-failure", _("Technical failure")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="notifications")
    case_event = models.ForeignKey(
        "cases.CaseEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
    )
    event = models.CharField(_("event"), max_length=60)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=320)
    language = models.CharField(max_length=2, choices=Language.choices, default="en")
    personalisation = models.JSONField(default=dict)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("notification")

    def __str__(self) -> str:
        return f"{self.event} by {self.get_channel_display()} to {self.recipient}"
