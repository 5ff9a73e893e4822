from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("pay/<uuid:pk>/", views.pay, name="pay"),
    path("pay/<uuid:pk>/return/", views.pay_return, name="return"),
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
    path("payments/local/<uuid:pk>/", views.local_checkout, name="local-checkout"),
]
