"""Shared set-up for the payment tests: a Blue Badge case awaiting its fee, made through
the real services, and the settings each provider needs (only the far end is faked)."""

import pytest

from cases.models import Case, Organisation, Service
from cases.services import Actor, case_transition
from payments.models import PaymentRequest
from tests.factories import council, new_case
from tests.helpers import use_secrets

COUNCIL = "northshire"  # the council every case here belongs to (its webhook URLs name it)


@pytest.fixture
def awaiting_payment(admin_user):
    """Returns make(provider, language="en") → (case, payment request) for a case the
    council (Northshire) approved with a £10.00 fee, paid through `provider`."""

    def make(provider: str, *, language: str = "en"):
        organisation = Organisation.objects.filter(slug=COUNCIL).first() or council(
            fee_pence=1000, slug=COUNCIL
        )
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
def stripe_settings(site):
    use_secrets(
        site,
        STRIPE_SECRET_KEY_NORTHSHIRE="sk_test_123",
        STRIPE_WEBHOOK_SECRET_NORTHSHIRE="whsec_test",
    )
    site.STRIPE_API_BASE = "https://stripe.test"
    return site


@pytest.fixture
def pay_settings(site):
    use_secrets(
        site,
        GOVUK_PAY_API_KEY_NORTHSHIRE="api_test_abc123",
        GOVUK_PAY_WEBHOOK_SECRET_NORTHSHIRE="pay-secret",
    )
    site.GOVUK_PAY_API_BASE = "https://pay.test"
    return site


@pytest.fixture
def sync_tasks(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    return settings
