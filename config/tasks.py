"""Housekeeping tasks run by the django-q2 worker."""

from django.utils import timezone


def heartbeat() -> str:
    """Runs every minute; /healthz reads its successful runs to know a worker is alive."""
    return timezone.now().isoformat()
