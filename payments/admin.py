"""Payments in the admin, scoped to councils: requests with their provider events and
refunds, a refund page for editors, and the providers' webhook log. Nothing is edited
here directly: a refund goes through `payments.services.payment_refund`."""

import re
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from cases.admin.case_page import reference_search
from cases.admin.extensions import Attention, add_case_inline, add_dashboard_panel
from cases.admin.scoping import MemberReadOnlyInline, ScopedAdmin, can_edit
from cases.money import pounds
from payments.models import PaymentRequest, ProviderEvent, Refund
from payments.providers import ProviderError
from payments.services import PaymentError, payment_refund


def _change_url(payment: PaymentRequest) -> str:
    return reverse("admin:payments_paymentrequest_change", args=[payment.pk])


class NoEditing:
    """Read-only: payments change only through `payments.services`."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class Money:
    @admin.display(description="amount", ordering="amount_pence")
    def amount(self, row):
        return pounds(row.amount_pence)

    @admin.display(description="paid")
    def paid(self, row):
        return pounds(row.paid_pence)

    @admin.display(description="refunded", ordering="refunded_pence")
    def refunded(self, row):
        return pounds(row.refunded_pence)


class PaymentRequestInline(Money, MemberReadOnlyInline):
    model = PaymentRequest
    fk_name = "case"
    ordering = ["-created_at"]
    fields = ["created_at", "amount", "status", "provider", "paid", "refunded", "payment_page"]
    readonly_fields = flatten(fields)

    @admin.display(description="payment")
    def payment_page(self, row):
        return format_html('<a href="{}">Open payment</a>', _change_url(row))


add_case_inline(PaymentRequestInline)


def dashboard_panel(user, scoped) -> list:
    """The dashboard's line for fees still owed."""
    unpaid = scoped(
        PaymentRequest.objects.filter(status__in=PaymentRequest.PAYABLE_STATUSES),
        "case__organisation",
    )
    old = unpaid.filter(created_at__lt=timezone.now() - timedelta(days=7)).count()
    return [
        Attention(
            unpaid.count(),
            "unpaid payment requests",
            reverse("admin:payments_paymentrequest_changelist"),
            testid="unpaid",
            detail=f"{old} older than 7 days",
        )
    ]


add_dashboard_panel(dashboard_panel)


class ProviderEventInline(MemberReadOnlyInline):
    model = ProviderEvent
    fields = ["received_at", "provider", "type", "event_id", "outcome"]
    readonly_fields = flatten(fields)


class RefundInline(Money, MemberReadOnlyInline):
    model = Refund
    fields = ["created_at", "amount", "reason", "provider_refund_id", "created_by"]
    readonly_fields = flatten(fields)


class RefundForm(forms.Form):
    amount = forms.CharField(label="Amount to refund, in pounds", max_length=20)
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept on the case's record and shown to the applicant on their timeline.",
    )

    def __init__(self, *args, refundable_pence: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.refundable_pence = refundable_pence

    def clean_amount(self) -> int:
        text = self.cleaned_data["amount"].strip().removeprefix("£").strip().replace(",", "")
        if re.fullmatch(r"-[0-9]*\.?[0-9]+", text):
            raise forms.ValidationError("Enter an amount more than £0.00")
        if re.fullmatch(r"[0-9]{0,7}\.[0-9]{3,}", text):
            raise forms.ValidationError("Enter pounds and pence only, like 10.50")
        if not re.fullmatch(r"[0-9]{1,7}(\.[0-9]{1,2})?|\.[0-9]{1,2}", text):
            raise forms.ValidationError("Enter the amount in pounds, like 10.00")
        pence = int(Decimal(text) * 100)  # at most 9 digits: exact
        if pence <= 0:
            raise forms.ValidationError("Enter an amount more than £0.00")
        if pence > self.refundable_pence:
            raise forms.ValidationError(
                f"You can refund at most {pounds(self.refundable_pence)} of this payment"
            )
        return pence


@admin.register(PaymentRequest)
class PaymentRequestAdmin(NoEditing, Money, ScopedAdmin):
    council_field = "case__organisation"
    list_display = [
        "created_at",
        "case_reference",
        "amount",
        "status",
        "provider",
        "paid_at",
        "refunded",
        "provider_link",
        "refund_link",
    ]
    list_filter = ["status", "provider", ("case__organisation", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["case"]
    search_fields = ["case__process_id", "=provider_id", "=provider_payment_id"]
    date_hierarchy = "created_at"
    fields = [
        ("case", "reference", "description"),
        ("amount", "status", "provider", "provider_link"),
        ("provider_id", "provider_payment_id"),
        ("paid", "paid_at"),
        ("refunded", "refunded_at", "refund_link"),
        ("checkouts", "checkout_expires_at", "reminders_sent"),
        "last_error",
        ("created_at", "updated_at"),
    ]
    readonly_fields = flatten(fields)
    inlines = [ProviderEventInline, RefundInline]

    @admin.display(description="case", ordering="case__process_id")
    def case_reference(self, row):
        return row.case.reference

    @admin.display(description="at the provider")
    def provider_link(self, row):
        link = '<a href="{}" target="_blank" rel="noopener">{}</a>'
        if row.provider == "stripe" and row.provider_payment_id:
            url = f"https://dashboard.stripe.com/payments/{row.provider_payment_id}"
            return format_html(link, url, row.provider_payment_id)
        if row.provider == "govuk_pay" and row.provider_id:
            dashboard = "https://selfservice.payments.service.gov.uk/"
            return format_html(link + " (payment {})", dashboard, "GOV.UK Pay", row.provider_id)
        if row.provider == "local" and row.provider_id:
            url = reverse("payments:local-checkout", args=[row.provider_id])
            return format_html(link, url, "Local checkout")
        return row.provider_id or "–"

    @admin.display(description="refund")
    def refund_link(self, row):
        if row.is_settled and row.refundable_pence > 0:
            url = reverse("admin:payments_paymentrequest_refund", args=[row.pk])
            return format_html('<a href="{}">Refund</a>', url)
        return "–"

    def get_search_results(self, request, queryset, search_term):
        """A process ID matches however it was typed (case, spaces, hyphens)."""
        found = reference_search(queryset, search_term, "case__process_id")
        if found is not None:
            return found, False
        return super().get_search_results(request, queryset, search_term)

    def get_urls(self):
        view = self.admin_site.admin_view(self.refund_view)
        name = "payments_paymentrequest_refund"
        return [path("<uuid:object_id>/refund/", view, name=name), *super().get_urls()]

    def refund_view(self, request, object_id):
        payment = get_object_or_404(self.get_queryset(request).select_related("case"), pk=object_id)
        if not can_edit(request.user, payment.case.organisation_id):
            raise PermissionDenied
        if not (payment.is_settled and payment.refundable_pence > 0):
            self.message_user(
                request, "There is nothing to refund on this payment.", messages.WARNING
            )
            return redirect(_change_url(payment))
        initial = {"amount": f"{payment.refundable_pence / 100:.2f}"}
        form = RefundForm(
            request.POST or None, initial=initial, refundable_pence=payment.refundable_pence
        )
        if request.method == "POST" and form.is_valid():
            amount = form.cleaned_data["amount"]
            try:
                payment_refund(
                    payment_request=payment,
                    amount_pence=amount,
                    reason=form.cleaned_data["reason"],
                    user=request.user,
                )
            except PaymentError as exc:
                form.add_error(None, str(exc))
            except ProviderError as exc:
                form.add_error(
                    None,
                    f"The payment provider could not make the refund: {str(exc).rstrip('.')}. "
                    "Nothing has changed. Try again later.",
                )
            else:
                self.message_user(
                    request, f"Refunded {pounds(amount)} on {payment.case.reference}."
                )
                return redirect(_change_url(payment))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Refund the fee for {payment.case.reference}",
            "opts": self.opts,
            "payment": payment,
            "refundable": pounds(payment.refundable_pence),
            "form": form,
        }
        return render(request, "admin/payments/refund.html", context)


@admin.register(ProviderEvent)
class ProviderEventAdmin(NoEditing, ScopedAdmin):
    council_field = "payment_request__case__organisation"
    list_display = ["received_at", "provider", "type", "event_id", "outcome", "payment_request"]
    list_filter = ["provider", "type"]
    list_select_related = ["payment_request"]
    search_fields = ["=event_id", "type", "payment_request__case__process_id"]
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in ProviderEvent._meta.fields]
