"""Payment requests: the council's fee, asked for by a transition and collected later."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import PaymentProvider


class PaymentRequest(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        PENDING = "pending", _("Pending")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        UNKNOWN = "unknown", _("Unknown")

    OPEN_STATUSES = (Status.REQUESTED, Status.PENDING, Status.UNKNOWN)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="payment_requests"
    )
    case_event = models.ForeignKey(
        "cases.CaseEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payment_requests",
    )
    amount_pence = models.PositiveIntegerField(_("amount in pence"))
    currency = models.CharField(max_length=3, default="GBP")
    description = models.CharField(_("description"), max_length=255)
    reference = models.CharField(_("reference"), max_length=64)
    provider = models.CharField(max_length=20, choices=PaymentProvider.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("payment request")

    def __str__(self) -> str:
        return f"£{self.amount_pence / 100:.2f} for {self.reference} ({self.status})"
