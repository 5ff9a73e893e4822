"""GET /healthz: is the database answering, and has a worker been seen recently?"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

HEARTBEAT_TASK = "config.tasks.heartbeat"


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.error("health: database unreachable", extra={"error": str(exc)})
        return {"ok": False, "error": "database unreachable"}
    return {"ok": True}


def _check_worker() -> dict:
    from django_q.models import Success

    max_age = settings.HEALTH_WORKER_MAX_AGE
    last = (
        Success.objects.filter(func=HEARTBEAT_TASK)
        .order_by("-stopped")
        .values_list("stopped", flat=True)
        .first()
    )
    fresh = last is not None and last >= timezone.now() - timedelta(seconds=max_age)
    result = {"ok": fresh, "last_seen": last.isoformat() if last else None}
    if not fresh:
        result["error"] = f"no worker heartbeat in the last {max_age} seconds"
    return result


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _check_database()}
    if checks["database"]["ok"]:
        try:
            checks["worker"] = _check_worker()
        except DatabaseError:
            checks["worker"] = {"ok": False, "error": "could not read worker heartbeats"}
    else:
        checks["worker"] = {"ok": False, "error": "unknown: the database is unreachable"}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )
