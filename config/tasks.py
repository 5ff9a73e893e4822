"""Queueing background work, and the housekeeping tasks of the worker itself."""

from django.conf import settings
from django.utils import timezone


def enqueue(func: str, *args, name: str = "", keep_result: bool = True) -> str:
    """Queues `func(*args)` on the django-q2 cluster (inline with Q_SYNC).

    keep_result=False skips storing a successful result: for high-volume tasks whose
    outcome is recorded elsewhere (a notification's own status).
    """
    from django_q.tasks import async_task

    options = {"sync": settings.Q_CLUSTER.get("sync", False)}
    if name:
        options["task_name"] = name
    if not keep_result:
        options["save"] = False
    return async_task(func, *args, **options)


def heartbeat() -> str:
    """Runs every minute; /healthz reads its successful runs to know a worker is alive."""
    return timezone.now().isoformat()
