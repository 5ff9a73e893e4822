"""Shared set-up for the payment tests: a Blue Badge case awaiting its fee, made through
the real services, and the settings each provider needs (only the far end is faked)."""

import pytest

from cases.models import Case, Service
from cases.services import Actor, case_transition
from payments.models import PaymentRequest
from tests.factories import council, new_case


@pytest.fixture
def awaiting_payment(admin_user):
    """Returns make(provider, language="en") → (case, payment request) for a case the
    council approved with a £10.00 fee, paid through `provider`."""

    def make(provider: str, *, language: str = "en"):
        organisation = council(fee_pence=1000)
        organisation.service_configs.filter(service=Service.BLUE_BADGE).update(
            payment_provider=provider
        )
        case = new_case(organisation)
        if language != "en":
            Case.objects.filter(pk=case.pk).update(language=language)
        actor = Actor.caseworker(admin_user)
        case_transition(case=case.pk, transition="start_assessment", actor=actor)
        case = case_transition(case=case.pk, transition="approve", actor=actor)
        assert case.state == "awaiting_payment"
        request = PaymentRequest.objects.get(case=case)
        assert (request.provider, request.status, request.amount_pence) == (
            provider,
            "requested",
            1000,
        )
        return case, request

    return make


@pytest.fixture
def site(settings):
    settings.SITE_URL = "http://testserver"
    return settings


@pytest.fixture
def stripe_settings(site, monkeypatch):
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_123")
    site.STRIPE_API_BASE = "https://stripe.test"
    site.STRIPE_WEBHOOK_SECRET = "whsec_test"
    return site


@pytest.fixture
def pay_settings(site, monkeypatch):
    monkeypatch.setenv("GOVUK_PAY_API_KEY", "api_test_abc123")
    site.GOVUK_PAY_API_BASE = "https://pay.test"
    site.GOVUK_PAY_WEBHOOK_SECRET = "pay-secret"
    return site


@pytest.fixture
def sync_tasks(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    return settings
