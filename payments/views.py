"""The citizen's payment pages, the provider webhooks and the local provider's page."""

import logging

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from config.tasks import enqueue
from payments.models import LocalCheckout, PaymentRequest
from payments.providers import InvalidSignature, ProviderError, govuk_pay, stripe
from payments.services import (
    PaymentError,
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
    payment = get_object_or_404(PaymentRequest.objects.select_related("case"), pk=pk)
    context = {"payment": payment, "case": payment.case}
    if request.method == "POST":
        try:
            payment = payment_start_checkout(payment_request=payment, **_urls(payment))
        except ProviderError:
            return render(request, "payments/try_again.html", context, status=503)
        except PaymentError as exc:
            payment.refresh_from_db()
            return render(
                request, "payments/pay.html", {**context, "problem": str(exc)}, status=409
            )
        return HttpResponseRedirect(payment.checkout_url, status=303)
    return render(request, "payments/pay.html", context)


@require_safe
def pay_return(request, pk):
    """Back from the provider: ask the provider what happened; never trust the redirect."""
    payment = get_object_or_404(PaymentRequest.objects.select_related("case"), pk=pk)
    context = {"payment": payment, "case": payment.case}
    try:
        payment = payment_check_with_provider(payment_request=payment, source="return page")
    except ProviderError:
        return render(request, "payments/try_again.html", {**context, "checking": True}, status=503)
    context["payment"] = payment
    if payment.status in PaymentRequest.SETTLED_STATUSES:
        return render(request, "payments/paid.html", context)
    return render(request, "payments/pay.html", {**context, "not_paid": True})


def _webhook(request, provider: str, verify, header: str):
    try:
        event = verify(request.body, request.headers.get(header, ""))
    except InvalidSignature as exc:
        logger.warning("%s webhook refused: %s", provider, exc)
        return JsonResponse({"error": "invalid signature"}, status=400)
    outcome = payment_webhook(provider=provider, event=event)
    return JsonResponse({"ok": True, "outcome": outcome})


@csrf_exempt
@require_POST
def stripe_webhook(request):
    return _webhook(request, "stripe", stripe.verify_webhook, "Stripe-Signature")


@csrf_exempt
@require_POST
def govuk_pay_webhook(request):
    return _webhook(request, "govuk_pay", govuk_pay.verify_webhook, "Pay-Signature")


@require_http_methods(["GET", "HEAD", "POST"])
def local_checkout(request, pk):
    """The local provider's hosted page: pay, decline or abandon (no real money)."""
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
