from django.contrib import admin
from django.urls import include, path, reverse
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from cases.admin.staff_auth import ThrottledAuthenticationForm, staff_login, two_factor
from config.health import healthz


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request):
    """The API's front door: where its description and documentation live."""
    return Response(
        {
            "schema": request.build_absolute_uri(reverse("api-schema")),
            "documentation": request.build_absolute_uri(reverse("api-docs")),
        }
    )


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/two-factor/", two_factor, name="two-factor"),
    path("admin/login/", staff_login),
    path("admin/", admin.site.urls),
    path("api/", api_root, name="api-root"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-docs"),
    path("notify/", include("notify.urls")),
    path("", include("payments.urls")),
    path("", include("cases.portal.urls")),
]

admin.site.login_form = ThrottledAuthenticationForm
admin.site.site_header = "Waymark case work"
admin.site.site_title = "Waymark"
admin.site.index_title = "Cases, notifications and payments"
