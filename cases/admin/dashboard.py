"""The caseworkers' dashboard: where the work is, what is late, what needs a person."""

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from django.db.models import Count
from django.db.models.functions import TruncWeek
from django.urls import reverse
from django.utils import timezone

from cases.admin.extensions import DASHBOARD_PANELS, Attention, Table
from cases.admin.scoping import councils_of
from cases.models import Case
from cases.workflows import WORKFLOWS

WEEKS = 8


def _scoped(queryset, user, field: str):
    councils = councils_of(user)
    return queryset if councils is None else queryset.filter(**{f"{field}__in": councils})


def _per_week(queryset, field: str, start) -> dict:
    since = timezone.make_aware(datetime.combine(start, time.min))
    rows = (
        queryset.filter(**{f"{field}__gte": since})
        .annotate(week=TruncWeek(field))
        .values("week")
        .annotate(n=Count("id"))
    )
    return {
        row["week"].date() if hasattr(row["week"], "date") else row["week"]: row["n"]
        for row in rows
    }


def cases_url(**filters) -> str:
    """The case list filtered to what a number on the dashboard counts."""
    return f"{reverse('admin:cases_case_changelist')}?{urlencode(filters)}"


def dashboard_context(user) -> dict:
    cases = _scoped(Case.objects.all(), user, "organisation")
    open_cases = cases.open()

    by_stage = {}
    counts = open_cases.values("service", "stage").annotate(n=Count("id"))
    lookup = {(row["service"], row["stage"]): row["n"] for row in counts}
    for service, workflow in WORKFLOWS.items():
        by_stage[str(workflow.TITLE.en)] = [
            (
                stage.title.en,
                lookup.get((service, stage.slug), 0),
                cases_url(open="yes", service__exact=service, stage=stage.slug),
            )
            for stage in workflow.STAGES
            if not set(stage.states) <= workflow.CLOSED_STATES  # open cases are never there
        ]

    today = timezone.localdate()
    start = today - timedelta(days=today.weekday() + 7 * (WEEKS - 1))
    new = _per_week(cases, "created_at", start)
    closed = _per_week(cases.filter(closed_at__isnull=False), "closed_at", start)
    weeks = []
    for i in range(WEEKS):
        monday = start + timedelta(days=7 * i)
        week = {"monday": monday, "new": new.get(monday, 0), "closed": closed.get(monday, 0)}
        span = {"__gte": monday.isoformat(), "__lt": (monday + timedelta(days=7)).isoformat()}
        week["new_url"] = cases_url(**{f"created_at{k}": v for k, v in span.items()})
        week["closed_url"] = cases_url(**{f"closed_at{k}": v for k, v in span.items()})
        weeks.append(week)
    peak = max([1] + [w["new"] for w in weeks] + [w["closed"] for w in weeks])
    for i, week in enumerate(weeks):  # bar geometry for the SVG chart (100 px at the peak)
        week["x"] = i * 70
        week["new_height"] = round(100 * week["new"] / peak)
        week["closed_height"] = round(100 * week["closed"] / peak)
        week["new_y"] = 120 - week["new_height"]
        week["closed_y"] = 120 - week["closed_height"]

    def scoped(queryset, field: str):
        return _scoped(queryset, user, field)

    items = [item for panel in DASHBOARD_PANELS for item in panel(user, scoped)]
    return {
        "by_stage": by_stage,
        "open_count": open_cases.count(),
        "open_url": cases_url(open="yes"),
        "overdue_url": cases_url(open="yes", overdue__exact="1"),
        "unassigned_url": cases_url(open="yes", assigned="nobody"),
        "overdue_count": open_cases.filter(overdue=True).count(),
        "unassigned_count": open_cases.filter(assigned_to__isnull=True).count(),
        "weeks": weeks,
        "chart_width": 70 * WEEKS,
        "attention": [item for item in items if isinstance(item, Attention)],
        "attention_tables": [item for item in items if isinstance(item, Table)],
    }
