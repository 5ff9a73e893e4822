from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path, reverse

from cases.admin.staff_auth import ThrottledAuthenticationForm, staff_login, two_factor
from config.health import healthz


def api_root(request):
    """/api/: the versions there are (one, so far)."""
    return JsonResponse({"versions": {"1": request.build_absolute_uri(reverse("api:root"))}})


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/two-factor/", two_factor, name="two-factor"),
    path("admin/login/", staff_login),
    path("admin/", admin.site.urls),
    path("api/", api_root, name="api-root"),
    path("api/v1/", include("cases.api.urls")),
    path("open311/v2/", include("cases.open311.urls")),
    path("notify/", include("notify.urls")),
    path("", include("payments.urls")),
    path("", include("cases.portal.urls")),
]

admin.site.login_form = ThrottledAuthenticationForm
admin.site.site_header = "Waymark case work"
admin.site.site_title = "Waymark"
admin.site.index_title = "Cases, notifications and payments"

handler500 = "config.errors.server_error"
