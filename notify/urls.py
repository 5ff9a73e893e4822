from django.urls import path

from notify import views

app_name = "notify"

urlpatterns = [
    path("callbacks/delivery-status", views.delivery_status, name="delivery-status"),
    path("callbacks/inbound-sms", views.inbound_sms, name="inbound-sms"),
]
