"""Payment requests (the council's fee, asked for by a transition), the providers' event
log, and refunds."""

import uuid
from datetime import timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import PaymentProvider
from cases.money import pounds


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

    # A citizen can still pay (again) in these: a failed or expired checkout is retried.
    OPEN_STATUSES = (Status.REQUESTED, Status.PENDING, Status.UNKNOWN)
    PAYABLE_STATUSES = (Status.REQUESTED, Status.PENDING, Status.FAILED, Status.EXPIRED)
    SETTLED_STATUSES = (Status.PAID, Status.REFUNDED, Status.PARTIALLY_REFUNDED)
    # Where each status may go next: nothing ever moves back from paid or refunded, and a
    # cancelled request only becomes paid when money arrives anyway (flagged for a refund).
    # `payments.services` writes every status through this table.
    MOVES: ClassVar[dict[str, set[str]]] = {
        Status.REQUESTED: {
            Status.PENDING,
            Status.PAID,
            Status.FAILED,
            Status.EXPIRED,
            Status.UNKNOWN,
            Status.CANCELLED,
        },
        Status.PENDING: {
            Status.PAID,
            Status.FAILED,
            Status.EXPIRED,
            Status.UNKNOWN,
            Status.CANCELLED,
        },
        Status.FAILED: {Status.PENDING, Status.PAID, Status.EXPIRED, Status.CANCELLED},
        Status.EXPIRED: {Status.PENDING, Status.PAID, Status.CANCELLED},
        Status.UNKNOWN: {Status.PAID, Status.FAILED, Status.CANCELLED},
        Status.CANCELLED: {Status.PAID},
        Status.PAID: {Status.PARTIALLY_REFUNDED, Status.REFUNDED},
        Status.PARTIALLY_REFUNDED: {Status.REFUNDED},
        Status.REFUNDED: set(),
    }

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
    # The provider's side: a Stripe Checkout Session or a GOV.UK Pay payment.
    provider_id = models.CharField(_("provider's ID"), max_length=255, blank=True, db_index=True)
    provider_payment_id = models.CharField(
        _("provider's payment ID"),
        max_length=255,
        blank=True,
        help_text=_("Stripe's payment intent, for refunds."),
    )
    checkout_ids = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Every checkout the provider issued for this request: only these can pay it."),
    )
    checkout_url = models.URLField(max_length=2000, blank=True)
    checkout_expires_at = models.DateTimeField(null=True, blank=True)
    checkouts = models.PositiveSmallIntegerField(
        default=0, help_text=_("Checkouts created: each new one gets a new idempotency key.")
    )
    paid_pence = models.PositiveIntegerField(default=0)
    paid_at = models.DateTimeField(null=True, blank=True)
    refunded_pence = models.PositiveIntegerField(default=0)
    refunded_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    # When reconciliation last asked the provider about it (`payments.tasks`).
    reconciled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("payment request")

    def __str__(self) -> str:
        return f"{self.amount_display} for {self.reference} ({self.get_status_display()})"

    @property
    def amount_display(self) -> str:
        return pounds(self.amount_pence)

    @property
    def is_payable(self) -> bool:
        return self.status in self.PAYABLE_STATUSES

    @property
    def is_settled(self) -> bool:
        return self.status in self.SETTLED_STATUSES

    @property
    def refundable_pence(self) -> int:
        return max(0, self.paid_pence - self.refunded_pence)

    @property
    def pay_by(self):
        """The day an unpaid fee is closed (the reminders and expiry job's rule)."""
        return timezone.localdate(self.created_at) + timedelta(days=settings.PAYMENT_EXPIRY_DAYS)

    @property
    def is_started(self) -> bool:
        """The citizen has a checkout open: they may be paying on it now."""
        return self.status == self.Status.PENDING and self.checkout_is_open()

    @property
    def is_being_checked(self) -> bool:
        """The provider could not say whether it has the money: the citizen must not be
        asked to pay again. (A checkout that has merely lapsed is asked about first when
        the citizen pays again: see payments.services.payment_start_checkout.)"""
        return self.status == self.Status.UNKNOWN

    def checkout_is_open(self, now=None) -> bool:
        """A checkout the citizen can still use: reuse it rather than create another."""
        now = now or timezone.now()
        return bool(
            self.status == self.Status.PENDING
            and self.checkout_url
            and self.checkout_expires_at
            and self.checkout_expires_at > now
        )


class ProviderEvent(models.Model):
    """Every webhook a provider sent a council, once: its ID is unique per council (each has
    its own account and webhook URL), so a redelivery is a no-op."""

    provider = models.CharField(max_length=20, choices=PaymentProvider.choices)
    organisation = models.ForeignKey(
        "cases.Organisation",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        help_text=_("The council whose webhook URL received it."),
    )
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    payment_request = models.ForeignKey(
        PaymentRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    payload = models.JSONField(default=dict)
    outcome = models.CharField(max_length=200, blank=True)
    flagged = models.BooleanField(
        default=False, help_text=_("It did not match what we asked for: a caseworker must look.")
    )
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "organisation", "event_id"], name="one_event_per_council_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.type} {self.event_id}"


class Refund(models.Model):
    payment_request = models.ForeignKey(
        PaymentRequest, on_delete=models.PROTECT, related_name="refunds"
    )
    duplicate_payment_id = models.CharField(
        max_length=255,
        blank=True,
        help_text=_("Set when this gave back a second payment of a fee already paid."),
    )
    amount_pence = models.PositiveIntegerField()
    reason = models.CharField(max_length=500)
    provider_refund_id = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"£{self.amount_pence / 100:.2f} refunded on {self.payment_request.reference}"


class LocalCheckout(models.Model):
    """The local provider's own record of a checkout (it plays the provider's part)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payment_request = models.ForeignKey(
        PaymentRequest, on_delete=models.CASCADE, related_name="local_checkouts"
    )
    idempotency_key = models.CharField(max_length=255, unique=True)
    amount_pence = models.PositiveIntegerField()
    status = models.CharField(
        max_length=20,
        default="created",
        choices=[
            ("created", _("Created")),
            ("paid", _("Paid")),
            ("failed", _("Failed")),
            ("abandoned", _("Abandoned")),
        ],
    )
    refunded_pence = models.PositiveIntegerField(default=0)
    return_url = models.URLField(max_length=2000)
    cancel_url = models.URLField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"local checkout {self.pk} ({self.status})"
