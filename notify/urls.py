from django.urls import path

from notify import views

app_name = "notify"

urlpatterns = [
    path(
        "callbacks/<slug:council>/delivery-status",
        views.delivery_status,
        name="delivery-status",
    ),
    path("callbacks/<slug:council>/inbound-sms", views.inbound_sms, name="inbound-sms"),
]
