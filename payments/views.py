"""The citizen's payment pages, the provider webhooks and the local provider's page."""

import logging

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cases.models import Organisation
from config.tasks import enqueue
from payments.models import LocalCheckout, PaymentRequest
from payments.providers import (
    CANCELLED,
    EXPIRED,
    FAILED,
    PENDING,
    UNKNOWN,
    InvalidSignature,
    MalformedEvent,
    NotConfigured,
    ProviderError,
    govuk_pay,
    stripe,
    webhook_secret,
)
from payments.services import (
    PaymentError,
    PaymentInFlight,
    payment_can_be_taken,
    payment_check_with_provider,
    payment_start_checkout,
    payment_webhook,
)

logger = logging.getLogger(__name__)


def _urls(request: PaymentRequest) -> dict[str, str]:
    return {
        "return_url": f"{settings.SITE_URL}/pay/{request.pk}/return/",
        "cancel_url": f"{settings.SITE_URL}/pay/{request.pk}/",
    }


@require_http_methods(["GET", "HEAD", "POST"])
def pay(request, pk):
    """GET: what is owed, with a button. POST: to the provider's checkout (reused if open)."""
    payment = get_object_or_404(PaymentRequest.objects.select_related("case__organisation"), pk=pk)
    context = {"payment": payment, "case": payment.case}
    if request.method == "POST":
        try:
            payment = payment_start_checkout(payment_request=payment, **_urls(payment))
        except NotConfigured:  # caseworkers have been told; the fee is still owed
            return render(request, "payments/unavailable.html", context, status=503)
        except PaymentInFlight:  # the last checkout may still be paid: never a second one
            return render(request, "payments/outcome.html", {**context, "outcome": "checking"})
        except ProviderError:
            return render(request, "payments/try_again.html", context, status=503)
        except PaymentError as exc:
            payment.refresh_from_db()
            return render(
                request, "payments/pay.html", {**context, "problem": str(exc)}, status=409
            )
        return HttpResponseRedirect(payment.checkout_url, status=303)
    if payment.is_payable and not payment_can_be_taken(payment):
        return render(request, "payments/unavailable.html", context, status=503)
    return render(request, "payments/pay.html", context)


# What the return page says for each thing the provider can report (our words for them).
OUTCOMES = {
    FAILED: "declined",
    CANCELLED: "cancelled",
    EXPIRED: "expired",
    UNKNOWN: "unknown",
    PENDING: "checking",
}


@require_safe
def pay_return(request, pk):
    """Back from the provider: ask the provider what happened; never trust the redirect.
    One page for each outcome, each saying what happens next."""
    payment = get_object_or_404(PaymentRequest.objects.select_related("case__organisation"), pk=pk)
    context = {"payment": payment, "case": payment.case}
    try:
        payment, state = payment_check_with_provider(payment_request=payment, source="return page")
    except ProviderError:
        return render(request, "payments/try_again.html", {**context, "checking": True}, status=503)
    context["payment"] = payment
    if payment.status in PaymentRequest.SETTLED_STATUSES:
        return render(request, "payments/paid.html", context)
    outcome = OUTCOMES.get(state.status if state else "", "checking")
    if payment.status == PaymentRequest.Status.CANCELLED or payment.case.is_closed:
        outcome = "not_needed"
    return render(request, "payments/outcome.html", {**context, "outcome": outcome})


def _webhook(request, council: str, provider: str, verify, header: str):
    """A provider's webhook to one council's URL, checked with that council's secret."""
    organisation = get_object_or_404(Organisation, slug=council)
    secret = webhook_secret(provider, organisation.slug)
    try:
        event = verify(request.body, request.headers.get(header, ""), secret)
    except InvalidSignature as exc:
        logger.warning("%s webhook for %s refused: %s", provider, council, exc)
        return JsonResponse({"error": "invalid signature"}, status=400)
    except MalformedEvent as exc:
        logger.warning("%s webhook for %s unusable: %s", provider, council, exc)
        return JsonResponse({"error": f"not an event we can use: {exc}"}, status=400)
    outcome = payment_webhook(provider=provider, organisation=organisation, event=event)
    return JsonResponse({"ok": True, "outcome": outcome})


@csrf_exempt
@require_POST
def stripe_webhook(request, council):
    return _webhook(request, council, "stripe", stripe.verify_webhook, "Stripe-Signature")


@csrf_exempt
@require_POST
def govuk_pay_webhook(request, council):
    return _webhook(request, council, "govuk_pay", govuk_pay.verify_webhook, "Pay-Signature")


@require_http_methods(["GET", "HEAD", "POST"])
def local_checkout(request, pk):
    """The local provider's hosted page: pay, decline or abandon (no real money). It exists
    only where LOCAL_BACKENDS is on (a laptop, a demo site)."""
    if not settings.LOCAL_BACKENDS:
        raise Http404("No such page")
    checkout = get_object_or_404(LocalCheckout.objects.select_related("payment_request"), pk=pk)
    if request.method == "POST":
        choice = request.POST.get("outcome")
        if choice not in ("paid", "failed", "abandoned"):
            raise Http404("No such choice")
        if choice == "abandoned":  # like leaving Stripe's page: the checkout stays usable
            return HttpResponseRedirect(checkout.cancel_url, status=303)
        with transaction.atomic():
            updated = LocalCheckout.objects.filter(pk=pk, status="created").update(status=choice)
            if updated:
                # Like a real provider, tell the webhook as well as redirecting the payer.
                transaction.on_commit(
                    lambda: enqueue("payments.tasks.local_webhook", str(pk), choice)
                )
        return HttpResponseRedirect(checkout.return_url, status=303)
    return render(request, "payments/local_checkout.html", {"checkout": checkout})
