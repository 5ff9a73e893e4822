"""Reads for Open311: a council's street reports and their public events, and what an
answer adds to each report (its latest public news, its photo, when it should be done),
in a fixed number of queries however long the page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from django.db.models import OuterRef, QuerySet, Subquery

from cases.models import Case, CaseEvent, Evidence, Organisation, Service, ServiceConfig
from cases.open311.models import Open311Submission
from cases.portal.evidence import IMAGES
from cases.selectors import expected_completion
from cases.workflows.base import Step
from cases.workflows.street_report import StreetReportCase

# The events a street report's timeline shows, and those after its creation (an update).
TIMELINE_KINDS = (CaseEvent.Kind.CREATED, CaseEvent.Kind.TRANSITION, CaseEvent.Kind.OVERDUE)
UPDATE_KINDS = (CaseEvent.Kind.TRANSITION, CaseEvent.Kind.OVERDUE)


@cache
def steps() -> dict[str, Step]:
    """The street report's transitions by name (the same for every report)."""
    return {t.name: t.custom["step"] for t in StreetReportCase().get_all_state_transitions()}


def reports(council: Organisation) -> QuerySet[Case]:
    """The council's street reports, each with its latest public event's time and ID (the
    report's `updated_datetime` and `status_notes`)."""
    latest = CaseEvent.objects.filter(
        case=OuterRef("pk"), public=True, kind__in=TIMELINE_KINDS
    ).order_by("-created_at", "-id")
    return Case.objects.filter(organisation=council, service=Service.STREET_REPORT).annotate(
        last_public_at=Subquery(latest.values("created_at")[:1]),
        last_public_id=Subquery(latest.values("id")[:1]),
    )


def updates(council: Organisation) -> QuerySet[CaseEvent]:
    """The public events of the council's street reports since each was made, oldest first."""
    return (
        CaseEvent.objects.filter(
            case__organisation=council,
            case__service=Service.STREET_REPORT,
            public=True,
            kind__in=UPDATE_KINDS,
        )
        .select_related("case")
        .order_by("created_at", "id")
    )


@dataclass
class Report:
    case: Case
    news: CaseEvent | None  # the latest public event
    photo: Evidence | None
    submission: Open311Submission | None  # when it was made through Open311
    expected: date | None

    @property
    def steps(self) -> dict[str, Step]:
        return steps()


def described(council: Organisation, cases: list[Case]) -> list[Report]:
    """The page's reports with their news, photo and Open311 submission: four queries."""
    config = ServiceConfig.objects.filter(
        organisation=council, service=Service.STREET_REPORT
    ).first() or ServiceConfig(organisation=council, service=Service.STREET_REPORT)
    latest = {case.pk: getattr(case, "last_public_id", None) for case in cases}
    news = CaseEvent.objects.in_bulk([pk for pk in latest.values() if pk])
    photos: dict[int, Evidence] = {}
    for evidence in Evidence.objects.filter(case__in=cases, content_type__in=IMAGES).order_by(
        "created_at", "id"
    ):
        photos.setdefault(evidence.case_id, evidence)
    submissions = {s.case_id: s for s in Open311Submission.objects.filter(case__in=cases)}
    found = []
    for case in cases:
        case.organisation = council
        case.config = config
        found.append(
            Report(
                case=case,
                news=news.get(latest[case.pk] or 0),
                photo=photos.get(case.pk),
                submission=submissions.get(case.pk),
                expected=expected_finish(case),
            )
        )
    return found


def expected_finish(case: Case) -> date | None:
    """When the report should be done: its repair date, where it has one; otherwise the
    timeline's expected completion. None once it is closed."""
    if case.is_closed:
        return None
    if isinstance(case, StreetReportCase) and case.repair_date:
        return case.repair_date
    stages = case.visible_stages()
    stage = case.stage_for_state(case.state)
    return expected_completion(case, stages, stages.index(stage) if stage in stages else 0)
