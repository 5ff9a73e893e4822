"""`check --deploy`: every council with a service can send its messages and hear back."""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.db import DatabaseError

from config import secrets
from notify.views import MIN_TOKEN_LENGTH


@checks.register(checks.Tags.security, deploy=True)
def notify_credentials(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    from cases.models import Organisation

    try:
        councils = list(
            Organisation.objects.filter(service_configs__enabled=True)
            .distinct()
            .prefetch_related("service_configs")
        )
    except DatabaseError as exc:
        return [
            checks.Warning(
                f"Could not read the councils ({exc}). Run migrate first.", id="waymark.W201"
            )
        ]
    problems: list[checks.CheckMessage] = []
    for council in councils:
        services = ", ".join(
            c.get_service_display() for c in council.service_configs.all() if c.enabled
        )
        key = secrets.council_secret(secrets.NOTIFY_API_KEY, council.slug)
        if not key and not settings.LOCAL_BACKENDS:
            problems.append(
                checks.Error(
                    f"{council} ({services}) has no GOV.UK Notify API key: "
                    f"{secrets.variable(secrets.NOTIFY_API_KEY, council.slug)} (or "
                    f"{secrets.NOTIFY_API_KEY}) is not set, so its messages would wait unsent.",
                    id="waymark.E201",
                )
            )
        token = secrets.council_secret(secrets.NOTIFY_CALLBACK_TOKEN, council.slug)
        if key and len(token) < MIN_TOKEN_LENGTH:
            problems.append(
                checks.Error(
                    f"{council} ({services}) sends through GOV.UK Notify but "
                    f"{secrets.variable(secrets.NOTIFY_CALLBACK_TOKEN, council.slug)} (or "
                    f"{secrets.NOTIFY_CALLBACK_TOKEN}) is not set or is shorter than "
                    f"{MIN_TOKEN_LENGTH} characters, so no delivery receipt or text reply "
                    "would be accepted.",
                    id="waymark.E202",
                )
            )
    return problems
