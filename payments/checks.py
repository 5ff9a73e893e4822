"""`check --deploy`: every council that charges a fee can take it, with its own keys."""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.db import DatabaseError

from config import secrets
from payments.providers import API_KEYS, WEBHOOK_SECRETS


@checks.register(checks.Tags.security, deploy=True)
def payment_credentials(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    from cases.models import ServiceConfig

    try:
        configs = list(
            ServiceConfig.objects.filter(enabled=True, fee_pence__gt=0).select_related(
                "organisation"
            )
        )
    except DatabaseError as exc:
        return [
            checks.Warning(
                f"Could not read the councils' service settings ({exc}). Run migrate first.",
                id="waymark.W101",
            )
        ]
    problems: list[checks.CheckMessage] = []
    for config in configs:
        slug = config.organisation.slug
        where = f"{config.organisation} – {config.get_service_display()}"
        if config.payment_provider not in API_KEYS:
            if not settings.LOCAL_BACKENDS:
                problems.append(
                    checks.Error(
                        f"{where} charges a fee through the local payment provider, which "
                        "takes no real money and is off outside LOCAL_BACKENDS.",
                        hint="Choose Stripe or GOV.UK Pay in the council's service settings.",
                        id="waymark.E101",
                    )
                )
            continue
        for names, id_ in ((API_KEYS, "waymark.E102"), (WEBHOOK_SECRETS, "waymark.E103")):
            name = names[config.payment_provider]
            if not secrets.council_secret(name, slug):
                problems.append(
                    checks.Error(
                        f"{where} takes payments through {config.get_payment_provider_display()}"
                        f" but {secrets.variable(name, slug)} (or {name}) is not set.",
                        hint="Set it in the environment: it is the council's own.",
                        id=id_,
                    )
                )
    return problems
