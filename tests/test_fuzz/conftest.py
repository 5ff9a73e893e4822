"""The fuzz suite: property-based tests (Hypothesis) that every endpoint answers any input
with a 2xx, 3xx or 4xx — never a 5xx — and that input it refuses writes nothing."""

import pytest
from django.apps import apps

from tests.test_payments.conftest import awaiting_payment  # noqa: F401 - a fixture used here

# The tables that hold the product's data (sessions and the rate limiter's counters are
# not "data": a refused lookup is still counted).
DATA_MODELS = [
    "cases.Case",
    "cases.CaseEvent",
    "cases.Evidence",
    "cases.Draft",
    "cases.Follower",
    "cases.Membership",
    "cases.Organisation",
    "cases.ServiceConfig",
    "notify.Notification",
    "notify.InboundSms",
    "notify.Batch",
    "payments.PaymentRequest",
    "payments.ProviderEvent",
    "payments.Refund",
    "payments.LocalCheckout",
    "auth.User",
]


def snapshot() -> dict:
    """Every data row, by table: what a refused request must leave exactly as it was."""
    result = {}
    for label in DATA_MODELS:
        model = apps.get_model(label)
        result[label] = sorted(map(str, model.objects.values_list(flat=False)))
    return result


def check(response, before: dict, *, what: str) -> None:
    """No server error; and on a refusal (4xx), nothing written."""
    assert response.status_code < 500, (what, response.status_code, response.content[:2000])
    if response.status_code >= 400:
        after = snapshot()
        changed = {label for label in DATA_MODELS if after[label] != before[label]}
        assert not changed, (what, response.status_code, "wrote to", changed)


@pytest.fixture(autouse=True)
def _quiet_server_errors(settings):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
