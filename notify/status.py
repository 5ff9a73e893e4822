"""The one place a notification's status is written: it only ever moves forward.

Forward is `RANK` (the order Notify's own statuses come in); a final status (delivered,
failed, cancelled) never changes again. Two steps of the worker's own are the only ones
between equal "not yet with Notify" ranks, and each is guarded by the status it expects:
a claim takes a `queued` row to `sending`, and a failed attempt gives `sending` back to
`queued` for a retry. So a late timeout can never undo the receipt that came first.
"""

from __future__ import annotations

from django.utils import timezone

from notify.models import FAILED_STATUSES, FINAL_STATUSES, RANK, Notification, Status

NOT_FINAL = frozenset(Status.values) - FINAL_STATUSES


def may_follow(status: str) -> frozenset[str]:
    """The statuses a row may be in for it to move to `status`."""
    if status == Status.SENDING:
        return frozenset({Status.QUEUED})  # a worker claims a queued row
    if status == Status.QUEUED:
        return frozenset({Status.SENDING})  # ...and gives its claim back to retry later
    return frozenset(s for s in NOT_FINAL if RANK[s] < RANK[status])


def move(pk, status: str, *, only_from=None, **fields) -> bool:
    """Moves the row to `status` (writing `fields` with it) if it is in a status that may
    precede it — and, with `only_from`, one of those; True if it moved."""
    if status not in Status.values:
        return False
    allowed = may_follow(status)
    if only_from is not None:
        allowed &= frozenset(only_from)
    now = timezone.now()
    if status in FINAL_STATUSES:
        fields.setdefault("completed_at", now)
    if RANK[status] >= RANK[Status.CREATED]:
        fields.setdefault("unanswered", False)  # Notify has it: nothing is unanswered now
    fields.setdefault("updated_at", now)
    updated = Notification.objects.filter(pk=pk, status__in=allowed).update(status=status, **fields)
    if updated and status in FAILED_STATUSES:
        _tell_case(pk, status)
    return bool(updated)


def _tell_case(pk, status: str) -> None:
    """A message to a case's citizen failed: the case's record (and its webhooks) say so."""
    from cases.services import case_record_notification_failed

    row = (
        Notification.objects.filter(pk=pk, case__isnull=False, follower__isnull=True)
        .values("case_id", "channel", "event")
        .first()
    )
    if row:
        case_record_notification_failed(
            case=row["case_id"], channel=row["channel"], event=row["event"], status=status
        )
