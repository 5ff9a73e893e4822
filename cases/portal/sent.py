"""What the citizen sent, shown back to them on their timeline: their answers with the
labels they saw, the location, and their files (photos shown, documents to download) —
served only to a browser that has opened the case."""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from cases.models import Case, Service
from cases.portal import access
from cases.portal.apply import ELIGIBILITY_LABELS
from cases.portal.evidence import IMAGES, file_response, name_for
from cases.portal.report import ISSUE_LABELS
from cases.ukdates import long_iso_date


def what_you_sent(case: Case) -> list[dict]:
    """Summary-list rows of the citizen's answers."""
    answers = case.answers
    rows: list[dict] = []

    def add(key, *lines):
        lines = [str(line) for line in lines if line not in (None, "")]
        if lines:
            rows.append({"key": key, "lines": lines})

    if case.service == Service.BLUE_BADGE:
        eligibility = answers.get("eligibility")
        add(_("Why you are eligible"), ELIGIBILITY_LABELS.get(eligibility, eligibility))
        if answers.get("date_of_birth"):
            add(_("Date of birth"), long_iso_date(answers["date_of_birth"]))
        add(_("About your condition"), answers.get("description"))
    else:
        issue = answers.get("issue_type")
        add(_("The problem"), ISSUE_LABELS.get(issue, issue))
        add(_("Where it is"), answers.get("location"), answers.get("location_postcode"))
        add(_("More about it"), answers.get("description"))
    add(_("Your name"), case.applicant_name)
    add(_("Address"), *case.address_lines[1:])
    return rows


def files_sent(case: Case) -> list[dict]:
    """The citizen's files: a name, a link, and whether it is a photo to show."""
    return [
        {
            "name": name_for(evidence.original_name, evidence.content_type),
            "url": reverse("portal:file", args=[case.process_id, evidence.pk]),
            "photo": evidence.content_type in IMAGES,
        }
        for evidence in case.evidence.all()
    ]


@require_safe
def file(request, reference: str, pk: int):
    """One of the citizen's own files: a photo shown in the page, a document downloaded;
    404 to anyone who has not opened the case in this browser."""
    case = Case.objects.filter(process_id=reference).first()
    if case is None or not access.allowed(request, case):
        raise Http404("No such file")
    evidence = case.evidence.filter(pk=pk).first()
    if evidence is None:
        raise Http404("No such file")
    return file_response(evidence, inline=True)
