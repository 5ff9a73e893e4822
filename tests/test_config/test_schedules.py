"""The recurring jobs are exactly the declared ones after every migrate: a job renamed or
retired stops running, and none runs twice."""

import pytest
from django_q.models import Schedule

from config.schedules import JOBS, ensure_schedules

pytestmark = pytest.mark.django_db


def test_each_declared_job_is_scheduled_once_and_a_renamed_one_no_longer_runs():
    Schedule.objects.create(
        name="settle notifications stuck in sending",  # an earlier name of a declared job
        func="notify.tasks.settle_stuck_notifications",
        schedule_type=Schedule.MINUTES,
        minutes=10,
    )
    Schedule.objects.create(name="retired", func="notify.tasks.gone", minutes=5)
    Schedule.objects.create(name="the council's own", func="elsewhere.job", minutes=5)

    ensure_schedules()
    ensure_schedules()  # as every migrate runs it

    ours = Schedule.objects.exclude(func="elsewhere.job")
    assert sorted(ours.values_list("name", "func", "minutes")) == sorted(
        (job.name, job.func, job.minutes) for job in JOBS
    )
    assert Schedule.objects.filter(func="elsewhere.job").exists()  # not ours: left alone
