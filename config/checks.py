"""System and deploy checks of the project as a whole (each app checks its own credentials)."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def local_backends(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if settings.LOCAL_BACKENDS and not settings.DEBUG:
        return [
            checks.Warning(
                "LOCAL_BACKENDS is on: councils without credentials send no real messages and "
                "take no real payments (a local payment page marks fees paid).",
                hint="Only for a demo site. Unset LOCAL_BACKENDS in production.",
                id="waymark.W001",
            )
        ]
    return []


@checks.register(checks.Tags.security)
def map_tiles(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A MAP_TILE_URL the Content-Security-Policy cannot allow is named at start-up, not
    on the first citizen page it would break."""
    from django.core.exceptions import ImproperlyConfigured

    from config.security import tile_origin

    try:
        tile_origin(settings.MAP_TILE_URL)
    except ImproperlyConfigured as problem:
        return [checks.Error(str(problem), id="waymark.E001")]
    return []


@checks.register(checks.Tags.security, deploy=True)
def webhook_targets(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if settings.WEBHOOKS_LOCAL_TARGETS and not settings.DEBUG:
        return [
            checks.Error(
                "WEBHOOKS_LOCAL_TARGETS is on: webhooks may be sent over plain http and to "
                "loopback, private and cloud metadata addresses.",
                hint="Unset WEBHOOKS_LOCAL_TARGETS outside a laptop.",
                id="waymark.E002",
            )
        ]
    return []


@checks.register()
def case_sweep_budget(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A case sweep must stop (and queue itself again) well before its task is killed."""
    timeout = settings.Q_CLUSTER["timeout"]
    if timeout < settings.CASE_SWEEP_SECONDS + 10:
        return [
            checks.Error(
                f"CASE_SWEEP_SECONDS ({settings.CASE_SWEEP_SECONDS}) must be at least 10 s "
                f"less than the task timeout (Q_TIMEOUT, {timeout} s): a sweep stops between "
                "two cases, and one case's change with its hooks may take a few seconds.",
                id="waymark.E003",
            )
        ]
    return []
