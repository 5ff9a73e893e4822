"""Recording who looked at a case's personal data (every change is already a CaseEvent)."""

from cases.models import AccessLog
from config.logging import current_request_id
from config.net import client_ip


def _address(request) -> str | None:
    return client_ip(request) or None


def record_access(request, case_ids, action: str) -> None:
    """One row per case: who (a staff user, or none for a citizen), what, from where."""
    user = (
        request.user if getattr(request, "user", None) and request.user.is_authenticated else None
    )
    rows = [
        AccessLog(
            case_id=case_id,
            user=user,
            action=action,
            ip_address=_address(request),
            request_id=current_request_id() if current_request_id() != "-" else "",
        )
        for case_id in case_ids
    ]
    AccessLog.objects.bulk_create(rows, batch_size=1000)
