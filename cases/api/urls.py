"""/api/v1/: the partner API's addresses."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from cases.api import views, webhooks
from cases.api.extensions import CASE_RESOURCES

app_name = "api"

CASE = "cases/<str:case_id>"
WEBHOOK = "webhooks/<int:pk>"

urlpatterns = [
    path("", views.Root.as_view(), name="root"),
    path("problems", views.Problems.as_view(), name="problems"),
    path("schema/", SpectacularAPIView.as_view(api_version="1"), name="schema"),
    path("docs/", SpectacularRedocView.as_view(url_name="api:schema"), name="docs"),
    path("docs/swagger/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="swagger"),
    path("services", views.ServiceList.as_view(), name="services"),
    path("cases", views.CaseList.as_view(), name="cases"),
    path(CASE, views.CaseDetail.as_view(), name="case"),
    path(f"{CASE}/timeline", views.CaseTimeline.as_view(), name="case-timeline"),
    path(f"{CASE}/events", views.CaseEvents.as_view(), name="case-events"),
    path(f"{CASE}/transitions", views.CaseTransitions.as_view(), name="case-transitions"),
    path(
        f"{CASE}/transitions/<str:name>",
        views.CaseTransitionRun.as_view(),
        name="case-transition",
    ),
    path(f"{CASE}/notes", views.CaseNotes.as_view(), name="case-notes"),
    path(f"{CASE}/assignee", views.CaseAssignee.as_view(), name="case-assignee"),
    path(
        f"{CASE}/contact-preference",
        views.CaseContactPreference.as_view(),
        name="case-contact-preference",
    ),
    *(
        path(f"{CASE}/{name}", views.case_resource_view(resource), name=f"case-{name}")
        for name, resource in sorted(CASE_RESOURCES.items())
    ),
    path("events", views.EventFeed.as_view(), name="events"),
    path("webhooks", webhooks.SubscriptionList.as_view(), name="webhooks"),
    path(WEBHOOK, webhooks.SubscriptionDetail.as_view(), name="webhook"),
    path(f"{WEBHOOK}/rotate-secret", webhooks.SubscriptionRotate.as_view(), name="webhook-rotate"),
    path(f"{WEBHOOK}/replay", webhooks.SubscriptionReplay.as_view(), name="webhook-replay"),
    path(f"{WEBHOOK}/deliveries", webhooks.DeliveryList.as_view(), name="webhook-deliveries"),
    path(
        f"{WEBHOOK}/deliveries/<int:delivery_id>",
        webhooks.DeliveryDetail.as_view(),
        name="webhook-delivery",
    ),
    path(
        f"{WEBHOOK}/deliveries/<int:delivery_id>/redeliver",
        webhooks.DeliveryRedeliver.as_view(),
        name="webhook-redeliver",
    ),
]
