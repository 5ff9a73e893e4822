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


@checks.register()
def notify_timings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A claim must outlast what a live worker does with it, and a sweep its task's time."""
    problems: list[checks.CheckMessage] = []
    held = settings.NOTIFY_ACQUIRE_WAIT_SECONDS + 2 * settings.NOTIFY_TIMEOUT
    if held >= settings.NOTIFY_CLAIM_LEASE_SECONDS:
        problems.append(
            checks.Error(
                f"NOTIFY_CLAIM_LEASE_SECONDS ({settings.NOTIFY_CLAIM_LEASE_SECONDS}) must be "
                f"longer than a worker can hold a claim: NOTIFY_ACQUIRE_WAIT_SECONDS + 2 × "
                f"NOTIFY_TIMEOUT = {held:g} s. Otherwise a message still being sent could be "
                "taken over and sent twice.",
                id="waymark.E203",
            )
        )
    timeout = settings.Q_CLUSTER["timeout"]
    if timeout <= settings.NOTIFY_SWEEP_SECONDS + settings.NOTIFY_TIMEOUT:
        problems.append(
            checks.Error(
                f"NOTIFY_SWEEP_SECONDS + NOTIFY_TIMEOUT "
                f"({settings.NOTIFY_SWEEP_SECONDS + settings.NOTIFY_TIMEOUT:g} s) must be less "
                f"than the task timeout (Q_TIMEOUT, {timeout} s), or a sweep is killed mid-way.",
                id="waymark.E204",
            )
        )
    return problems
