"""Queueing background work, and the housekeeping tasks of the worker itself."""

from django.conf import settings
from django.utils import timezone


def enqueue(func: str, *args, name: str = "", **kwargs) -> str:
    """Queues `func(*args, **kwargs)` on the django-q2 cluster (inline with Q_SYNC)."""
    from django_q.tasks import async_task

    options = {"sync": settings.Q_CLUSTER.get("sync", False)}
    if name:
        options["task_name"] = name
    return async_task(func, *args, **kwargs, **options)


def heartbeat() -> str:
    """Runs every minute; /healthz reads its successful runs to know a worker is alive."""
    return timezone.now().isoformat()
