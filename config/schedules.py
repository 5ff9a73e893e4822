"""The recurring jobs Waymark runs, declared in one place and kept in django-q2's table.

`ensure_schedules` runs after every migrate, so a fresh database (or a new release) gets
the schedule without anyone clicking in the admin.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone


@dataclass(frozen=True)
class Job:
    name: str
    func: str
    every: int | str  # minutes, or the name of the setting that gives them

    @property
    def minutes(self) -> int:
        return getattr(settings, self.every) if isinstance(self.every, str) else self.every


JOBS = [
    Job("worker heartbeat", "config.tasks.heartbeat", 1),
    Job("flag overdue cases", "cases.tasks.mark_overdue_cases", 60),
    Job("run transitions that are due", "cases.tasks.run_due_transitions", 60),
    Job("queue notifications that are due", "notify.tasks.queue_due_notifications", 1),
    Job("take over notifications whose claim ran out", "notify.tasks.settle_expired_claims", 1),
    Job("ask Notify about receipts not heard", "notify.tasks.settle_stuck_notifications", 10),
    Job("prune the rate limiter's old windows", "cases.tasks.prune_rate_windows", 60),
    Job("process inbound texts left pending", "notify.tasks.process_pending_inbound_sms", 5),
    Job(
        "reconcile pending payments",
        "payments.tasks.reconcile_payments",
        "PAYMENT_RECONCILE_EVERY_MINUTES",
    ),
    Job("remind about and expire unpaid fees", "payments.tasks.remind_and_expire_payments", 60),
    Job("delete expired drafts and abandoned uploads", "cases.tasks.delete_expired_drafts", 1440),
    Job("give new case events their place in the change feed", "cases.tasks.publish_feed", 1),
    Job("forget API answers kept for Idempotency-Key", "cases.tasks.prune_idempotency", 60),
    Job("send webhooks that are due", "cases.webhooks.outbox.pump", 1),
]


OWN_MODULES = ("cases.", "config.", "notify.", "payments.")


def ensure_schedules(**kwargs) -> None:
    from django_q.models import Schedule

    # A job of ours that is no longer declared (renamed or retired) must not run on.
    ours = Q()
    for module in OWN_MODULES:
        ours |= Q(func__startswith=module)
    declared = Q()
    for job in JOBS:
        declared |= Q(name=job.name, func=job.func)
    Schedule.objects.filter(ours).exclude(declared).delete()
    for job in JOBS:
        Schedule.objects.update_or_create(
            name=job.name,
            defaults={
                "func": job.func,
                "schedule_type": Schedule.MINUTES,
                "minutes": job.minutes,
                "repeats": -1,
            },
            create_defaults={
                "func": job.func,
                "schedule_type": Schedule.MINUTES,
                "minutes": job.minutes,
                "repeats": -1,
                "next_run": timezone.now(),
            },
        )
