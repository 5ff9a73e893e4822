"""Scheduled jobs on cases. Each that changes cases goes through `cases.services`, one case
at a time, so a failure on one case neither stops the rest nor leaves anything half-done.
`delete_expired_drafts` tidies the citizen portal's unfinished applications and reports."""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from cases import ratelimit
from cases.models import Case
from cases.services import Actor, CaseError, case_mark_overdue, case_transition
from cases.workflows import WORKFLOWS
from config.tasks import enqueue

logger = logging.getLogger(__name__)


def _each_within_budget(task: str, items: list, step) -> int:
    """Runs `step(item)` (true when it changed a case) for each item, for at most
    CASE_SWEEP_SECONDS; if some are left, queues `task` again at once for them, so a
    large backlog never runs past the task timeout and never waits for the next hour."""
    started, done = time.monotonic(), 0
    for item in items:
        if time.monotonic() - started >= settings.CASE_SWEEP_SECONDS:
            logger.info("%s: time is up, queued again for the rest", task)
            enqueue(task)
            break
        done += bool(step(item))
    return done


def mark_overdue_cases() -> int:
    """Flags every open case whose stage deadline has passed. Safe to run any number of times."""
    actor = Actor.system("deadline check")
    ids = (
        Case.objects.open()
        .filter(overdue=False, due_date__lt=timezone.localdate())
        .order_by("due_date", "pk")
        .values_list("pk", flat=True)
    )
    return _each_within_budget(
        "cases.tasks.mark_overdue_cases",
        list(ids),
        lambda pk: case_mark_overdue(case=pk, actor=actor),
    )


def run_due_transitions() -> int:
    """The transitions that happen with time, as each workflow declares them (its
    SCHEDULED): e.g. a missed repair date, or closing a fixed report once the citizen's
    window to reopen it has passed."""
    today, now = timezone.localdate(), timezone.now()
    actor = Actor.system("scheduled transitions")
    due = []
    for service, workflow in WORKFLOWS.items():
        for scheduled in workflow.SCHEDULED:
            found = Case.objects.filter(service=service).filter(scheduled.due(today, now))
            due += [(pk, scheduled.transition) for pk in found.values_list("pk", flat=True)]

    def step(item: tuple[int, str]) -> bool:
        pk, transition = item
        try:
            case_transition(case=pk, transition=transition, actor=actor)
        except CaseError as exc:
            logger.warning("scheduled %s skipped for case %s: %s", transition, pk, exc)
            return False
        return True

    return _each_within_budget("cases.tasks.run_due_transitions", due, step)


def prune_rate_windows() -> int:
    """Every hour: forgets the rate limiter's windows that are over (Notify sends, lookups,
    sign-ins); a window still running is kept, so no limit starts again early."""
    return ratelimit.prune()


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


def publish_feed() -> int:
    """New case events into the change feed (it is read through `GET /api/v1/events`,
    which publishes too: this keeps it current for what reads it without asking)."""
    from cases import feed

    return feed.publish()


def prune_idempotency() -> int:
    """Answers kept for an API `Idempotency-Key` are kept for a day."""
    from cases.api import idempotency

    return idempotency.prune()
