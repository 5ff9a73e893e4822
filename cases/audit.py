"""Recording who looked at a case's personal data (every change is already a CaseEvent)."""

from cases.models import AccessLog
from config.logging import current_request_id
from config.net import client_ip


def _address(request) -> str | None:
    return client_ip(request) or None


def record_access(request, case_ids, action: str, *, api_key=None) -> None:
    """One row per case: who (a staff user, an API key, or none for a citizen), what, from
    where."""
    user = getattr(request, "user", None)
    user = user if api_key is None and user is not None and user.is_authenticated else None
    rows = [
        AccessLog(
            case_id=case_id,
            user=user,
            api_key=api_key,
            action=action,
            ip_address=_address(request),
            request_id=current_request_id() if current_request_id() != "-" else "",
        )
        for case_id in case_ids
    ]
    if len(rows) == 1:
        rows[0].save(force_insert=True)  # one INSERT, no transaction around it
    else:
        AccessLog.objects.bulk_create(rows, batch_size=1000)
