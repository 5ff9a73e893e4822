"""/open311/v2/: each method by its address, `.xml` or `.json`; any other address under it
is a 404 in the format its suffix asks for."""

from django.urls import path, re_path, register_converter
from django.views.decorators.cache import never_cache

from cases.open311 import views

app_name = "open311"


class FormatConverter:
    regex = "xml|json"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "open311_format")

urlpatterns = [
    path("discovery.<open311_format:fmt>", views.discovery, name="discovery"),
    path("services.<open311_format:fmt>", views.service_list, name="services"),
    path("services/<str:code>.<open311_format:fmt>", views.service_definition, name="service"),
    path("requests.<open311_format:fmt>", views.service_requests, name="requests"),
    path(
        "requests/<str:request_id>.<open311_format:fmt>",
        views.service_request,
        name="request",
    ),
    path("tokens/<str:token>.<open311_format:fmt>", views.token, name="token"),
    path(
        "servicerequestupdates.<open311_format:fmt>",
        views.service_request_updates,
        name="updates",
    ),
    path("media/<str:token>", never_cache(views.media), name="media"),
    re_path(r"", views.unknown),
]
