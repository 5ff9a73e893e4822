"""Report a street problem: what kind, where (in words, and on a map where JavaScript runs
and the site has a map tile server), reports of the same kind already open near there, an
optional photo, who you are and how to contact you (or not), check your answers,
confirmation.

/report/<council>/ → what → where → nearby ("Is it one of these?", only when there are
some) → photo → name → contact → the chosen channel's details (none for "Do not contact
me") → check-answers → confirmation. Choosing one of the reports nearby ends the journey on
already-reported/: no new case, nothing kept, and nothing of the other report shown beyond
what, where, when and how far on it is; there the person may follow that report instead
(`cases.portal.follow`).
"""

from __future__ import annotations

import math

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Service
from cases.portal import drafts, follow
from cases.portal.apply import (
    CONTACT_STEPS,
    ContactForm,
    NameForm,
    contact_rows,
    radio_items,
    row,
)
from cases.portal.drafts import Flow, QuestionForm, Step
from cases.portal.evidence import JPEG, PNG, FileRule
from cases.ukdates import long_date
from cases.validators import normalise_postcode
from cases.workflows.street_report import FIXED, StreetReportAnswers

ISSUE_LABELS = {
    "pothole": _("Pothole"),
    "street_light": _("Street light not working"),
    "drain": _("Blocked or damaged drain cover"),
    "sign": _("Damaged road sign"),
    "pavement": _("Damaged pavement"),
    "other": _("Something else"),
}


class IssueTypeForm(QuestionForm):
    issue_type = forms.ChoiceField(
        choices=[(k, ISSUE_LABELS.get(k, label)) for k, label in StreetReportAnswers.ISSUE_TYPES],
        error_messages={
            "required": _("Select what kind of problem you are reporting"),
            "invalid_choice": _("Select what kind of problem you are reporting"),
        },
    )

    @property
    def items(self):
        return radio_items(self["issue_type"], divider_before="other")


# The pin must be where StreetReportAnswers takes it: in the UK.
_LATITUDE = StreetReportAnswers.base_fields["latitude"]
_LONGITUDE = StreetReportAnswers.base_fields["longitude"]
PIN_OUTSIDE_UK = _("Put the pin on a place in the UK")


def _coordinate(bounds: forms.Field) -> forms.FloatField:
    low, high = getattr(bounds, "min_value", None), getattr(bounds, "max_value", None)
    assert isinstance(low, int | float)
    assert isinstance(high, int | float)
    return forms.FloatField(
        required=False,
        min_value=low,
        max_value=high,
        widget=forms.HiddenInput,
        error_messages={key: PIN_OUTSIDE_UK for key in ("invalid", "min_value", "max_value")},
    )


class LocationForm(QuestionForm):
    location = forms.CharField(
        label=_("Describe where the problem is"),
        help_text=_("For example, outside 3 Mill Lane, by the bus stop"),
        max_length=500,
        error_messages={
            "required": _("Enter where the problem is"),
            "max_length": _("Where the problem is must be 500 characters or fewer"),
        },
    )
    location_postcode = forms.CharField(
        label=_("Postcode (optional)"),
        help_text=_("The postcode nearest the problem, if you know it"),
        required=False,
    )

    # Where the pin is, when the map put one (the map writes them; a person never types them).
    latitude = _coordinate(_LATITUDE)
    longitude = _coordinate(_LONGITUDE)

    @property
    def map(self) -> dict[str, str] | None:
        """The map's settings, when the site has a map tile server; None shows no map."""
        if not settings.MAP_TILE_URL:
            return None
        return {"tile_url": settings.MAP_TILE_URL, "attribution": settings.MAP_ATTRIBUTION}

    def clean_location(self) -> str:
        return " ".join(self.cleaned_data["location"].split())  # one line, single spaces

    def clean_location_postcode(self) -> str:
        value = self.cleaned_data["location_postcode"].strip()
        if not value:
            return ""
        if len(value) > 10:
            raise ValidationError(_("Enter a real postcode, like SW1A 1AA"))
        return normalise_postcode(value)

    def clean(self):
        data = super().clean()
        if self.errors.pop("longitude", None) and "latitude" not in self.errors:
            self.add_error("latitude", PIN_OUTSIDE_UK)  # one message for the pin
        if "latitude" in self.errors:
            return data
        latitude, longitude = data.get("latitude"), data.get("longitude")
        if latitude is None or longitude is None:  # half a pin is no pin
            data["latitude"] = data["longitude"] = None
        else:  # to the decimal places StreetReportAnswers keeps (about 10 cm)
            data["latitude"], data["longitude"] = round(latitude, 6), round(longitude, 6)
        return data


# --- Reports already open near the place given ---------------------------------------

NEARBY_METRES = 50
NEARBY_LIMIT = 5
EARTH_RADIUS_METRES = 6_371_008.8
METRES_PER_DEGREE = EARTH_RADIUS_METRES * math.pi / 180


def distance_metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle (haversine) distance between two points."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_METRES * math.asin(math.sqrt(a))


def nearby_reports(
    organisation,
    issue_type: str | None,
    latitude: float | None = None,
    longitude: float | None = None,
    postcode: str = "",
) -> list[Case]:
    """The council's open street reports of this kind within NEARBY_METRES of the pin
    (or, without one, with the same postcode), newest first, at most NEARBY_LIMIT. Not
    "Something else" (two of those may be anything), nor one fixed and waiting for its
    reporter to confirm it (a problem seen there now is not that report's to fix)."""
    if not issue_type or issue_type == "other":
        return []
    reports = (
        Case.objects.open()
        .filter(organisation=organisation, service=Service.STREET_REPORT)
        .filter(answers__issue_type=issue_type)
        .exclude(state=FIXED)
        .order_by("-created_at")
    )
    if latitude is None or longitude is None:
        if not postcode:
            return []
        return list(reports.filter(answers__location_postcode=postcode)[:NEARBY_LIMIT])
    # A box around the pin, a little larger than the circle, that the database can look in
    # (SQLite and PostgreSQL both compare JSON numbers); then the exact distance.
    dlat = NEARBY_METRES / METRES_PER_DEGREE * 1.01
    dlon = dlat / max(math.cos(math.radians(latitude)), 0.01)
    box = reports.filter(
        answers__latitude__gte=latitude - dlat,
        answers__latitude__lte=latitude + dlat,
        answers__longitude__gte=longitude - dlon,
        answers__longitude__lte=longitude + dlon,
    )
    found = [
        report
        for report in box[:200]
        if distance_metres(
            latitude, longitude, report.answers["latitude"], report.answers["longitude"]
        )
        <= NEARBY_METRES
    ]
    return found[:NEARBY_LIMIT]


def nearby_for(journey: drafts.Journey, values: dict) -> list[Case]:
    """The reports near the place in the answers (looked up once a request)."""
    key = (
        "nearby",
        values.get("issue_type"),
        values.get("latitude"),
        values.get("longitude"),
        values.get("location_postcode", ""),
    )
    if key not in journey.memo:
        journey.memo[key] = nearby_reports(journey.organisation, *key[1:])
    return journey.memo[key]


def nearby_asked(journey: drafts.Journey, values: dict) -> bool:
    """Asked when there are reports nearby. An answer given about other reports (the place
    or the kind changed since) is forgotten, so the person sees the ones now nearby."""
    found = nearby_for(journey, values)
    stored = journey.get("nearby")
    if stored and not {r.process_id for r in found} <= set(stored.get("nearby_shown", [])):
        journey.data["answers"].pop("nearby")
    return bool(found)


def describe(report: Case) -> dict[str, str]:
    """What anyone may see of a report open nearby: no one's name or contact details."""
    stage = report.stage_for_state(report.state)
    issue_type = report.answers.get("issue_type", "")
    return {
        "value": report.process_id,
        "reference": report.reference,
        "kind": str(ISSUE_LABELS.get(issue_type, issue_type)),
        "location": report.answers.get("location", ""),
        "reported": long_date(report.created_at),
        "stage": str(stage.title) if stage else str(report.state_label),
    }


class NearbyForm(QuestionForm):
    nearby = forms.ChoiceField(
        error_messages={
            key: _("Select the report of the problem you found, or that it is a different problem")
            for key in ("required", "invalid_choice")
        }
    )

    def __init__(self, *args, reports: list[Case], **kwargs):
        super().__init__(*args, **kwargs)
        self.reports = [describe(report) for report in reports]
        choices = [(r["value"], f"{r['kind']}: {r['location']}") for r in self.reports]
        field = self.fields["nearby"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [*choices, ("no", _("No, it is a different problem"))]

    @property
    def items(self) -> list[dict]:
        hints = {
            r["value"]: _("Reported on %(date)s. Stage: %(stage)s.")
            % {"date": r["reported"], "stage": r["stage"]}
            for r in self.reports
        }
        items = radio_items(self["nearby"], divider_before="no")
        return [{**item, "hint": hints.get(item["value"], "")} for item in items]


ALREADY_REPORTED = "waymark_already_reported"  # the report chosen, for the page after


def nearby_page(request, journey: drafts.Journey, step: Step):
    """Is it one of these? "No" goes on with the report; one of them ends the journey."""
    found = nearby_for(journey, journey.values())
    stored = journey.get(step.slug) or {}
    status = 200
    if request.method == "POST":
        form = NearbyForm(request.POST, reports=found)
        if form.is_valid():
            choice = form.cleaned_data["nearby"]
            if choice == "no":
                shown = [report.process_id for report in found]
                journey.answer(step.slug, {"nearby": "no", "nearby_shown": shown})
                return HttpResponseRedirect(journey.next_url())
            return already_reported(journey, next(r for r in found if r.process_id == choice))
        status = 400
    else:
        form = NearbyForm(initial={"nearby": stored.get("nearby")}, reports=found)
    return drafts.question_render(request, journey, step, form, status)


def already_reported(journey: drafts.Journey, report: Case):
    """Ends the journey without a case: the answers and any files are forgotten."""
    from cases.portal import evidence

    evidence.discard(journey.files)
    journey.request.session.pop(journey.key, None)
    journey.request.session[ALREADY_REPORTED] = report.pk
    return HttpResponseRedirect(journey.flow.url("already-reported", journey.organisation))


def already_reported_page(request, flow: Flow, council: str):
    organisation = drafts.offered_by(flow, council)
    pk = request.session.get(ALREADY_REPORTED)
    report = (
        Case.objects.filter(pk=pk, organisation=organisation, service=flow.service).first()
        if pk
        else None
    )
    if report is None:
        return HttpResponseRedirect(flow.url("start", organisation))
    form = follow.FollowForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return follow.ask(request, report, form)
    context = {"flow": flow, "organisation": organisation, "report": describe(report), "form": form}
    status = 400 if form.errors else 200
    return render(request, "portal/report/already_reported.html", context, status=status)


def report_rows(journey: drafts.Journey) -> list[dict]:
    values = journey.values()
    url = {step.slug: journey.url(step) for step in journey.flow.steps}
    photo = [f"{f['name']} ({filesizeformat(f['size'])})" for f in journey.files]
    return [
        row(
            _("Problem"),
            [ISSUE_LABELS.get(values["issue_type"], values["issue_type"])],
            url["what"],
            _("problem"),
        ),
        row(
            _("Where"),
            [
                values["location"],
                values.get("location_postcode"),
                _("Shown on the map") if values.get("latitude") is not None else None,
            ],
            url["where"],
            _("where the problem is"),
        ),
        row(_("Photo"), photo or [_("No photo")], url["photo"], _("photo")),
        row(_("Your name"), [values["applicant_name"]], url["name"], _("your name")),
        *contact_rows(journey, values),
    ]


PHOTO = FileRule(
    types=(JPEG, PNG),
    types_text=_("a JPG or PNG"),
    max_files=1,
    too_many=_("You can only upload 1 photo. Remove it to choose another"),
)

STREET_REPORT = drafts.register(
    Flow(
        service=Service.STREET_REPORT,
        name="report",
        title=_("Report a street problem"),
        steps=(
            Step(
                "what",
                _("What kind of problem are you reporting?"),
                "portal/report/what.html",
                IssueTypeForm,
            ),
            Step("where", _("Where is the problem?"), "portal/report/where.html", LocationForm),
            Step(
                "nearby",
                _("Is it one of these?"),
                "portal/report/nearby.html",
                when_journey=nearby_asked,
                view=nearby_page,
            ),
            Step(
                "photo",
                _("Add a photo of the problem (optional)"),
                "portal/report/photo.html",
                files=PHOTO,
            ),
            Step("name", _("What is your name?"), "portal/apply/name.html", NameForm),
            Step(
                "contact",
                _("How would you like us to tell you about progress?"),
                "portal/apply/contact.html",
                ContactForm,
                form_kwargs={"allow_none": True},
            ),
            *CONTACT_STEPS,
        ),
        rows=report_rows,
        pages=(("already-reported", already_reported_page),),
    )
)
