"""Scheduled jobs on cases. Each that changes cases goes through `cases.services`, one case
at a time, so a failure on one case neither stops the rest nor leaves anything half-done.
`delete_expired_drafts` tidies the citizen portal's unfinished applications and reports."""

import logging
from datetime import timedelta

from django.utils import timezone

from cases.models import Case
from cases.services import Actor, CaseError, case_mark_overdue, case_transition
from cases.workflows import street_report

logger = logging.getLogger(__name__)


def mark_overdue_cases() -> int:
    """Flags every open case whose stage deadline has passed. Safe to run any number of times."""
    actor = Actor.system("deadline check")
    ids = (
        Case.objects.open()
        .filter(overdue=False, due_date__lt=timezone.localdate())
        .values_list("pk", flat=True)
    )
    return sum(1 for pk in list(ids) if case_mark_overdue(case=pk, actor=actor))


def run_due_transitions() -> int:
    """Transitions that happen with time: a missed repair date; closing a fixed report
    once the citizen's window to reopen it has passed."""
    today = timezone.localdate()
    window_start = timezone.now() - timedelta(days=street_report.REOPEN_WINDOW_DAYS + 1)
    due = [
        (
            "repair_date_missed",
            Case.objects.filter(
                state=street_report.REPAIR_SCHEDULED, details__repair_date__lt=today.isoformat()
            ),
        ),
        (
            "close",
            Case.objects.filter(
                state=street_report.FIXED, details__fixed_at__lt=window_start.isoformat()
            ),
        ),
    ]
    actor = Actor.system("scheduled transitions")
    done = 0
    for transition, queryset in due:
        for pk in list(queryset.values_list("pk", flat=True)):
            try:
                case_transition(case=pk, transition=transition, actor=actor)
                done += 1
            except CaseError as exc:
                logger.warning("scheduled %s skipped for case %s: %s", transition, pk, exc)
    return done


ABANDONED_AFTER = timedelta(days=2)


def delete_expired_drafts(now=None) -> dict[str, int]:
    """Daily housekeeping of the citizen portal's files: saved applications past their
    expiry, with their files, and the upload folders of journeys left in a browser (never
    saved, never sent) with nothing uploaded for 2 days."""
    from cases.portal import drafts, evidence

    return {
        "drafts": drafts.drafts_delete_expired(now),
        "upload_folders": evidence.delete_abandoned_uploads(ABANDONED_AFTER, now),
    }
