from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from config.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-docs"),
    path("notify/", include("notify.urls")),
    path("", include("payments.urls")),
    path("", include("cases.portal.urls")),
]

admin.site.site_header = "Waymark case work"
admin.site.site_title = "Waymark"
admin.site.index_title = "Cases, notifications and payments"
