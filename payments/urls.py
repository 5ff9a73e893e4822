from django.urls import path
from django.views.decorators.cache import never_cache

from payments import views

app_name = "payments"

urlpatterns = [
    # The citizen's payment pages name their case: never stored by a browser or a cache.
    path("pay/<uuid:pk>/", never_cache(views.pay), name="pay"),
    path("pay/<uuid:pk>/return/", never_cache(views.pay_return), name="return"),
    path(
        "payments/webhooks/stripe/<slug:council>",
        views.stripe_webhook,
        name="stripe-webhook",
    ),
    path(
        "payments/webhooks/govuk-pay/<slug:council>",
        views.govuk_pay_webhook,
        name="govuk-pay-webhook",
    ),
    path("payments/local/<uuid:pk>/", never_cache(views.local_checkout), name="local-checkout"),
]
