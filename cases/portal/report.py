"""Report a street problem: what kind, where, an optional photo, who you are and how to
contact you (or not), check your answers, confirmation.

/report/<council>/ → what → where → photo → name → contact → the chosen channel's details
(none for "Do not contact me") → check-answers → confirmation.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from cases.models import Service
from cases.portal import drafts
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
from cases.validators import normalise_postcode
from cases.workflows.street_report import StreetReportAnswers

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

    def clean_location(self) -> str:
        return " ".join(self.cleaned_data["location"].split())  # one line, single spaces

    def clean_location_postcode(self) -> str:
        value = self.cleaned_data["location_postcode"].strip()
        if not value:
            return ""
        if len(value) > 10:
            raise ValidationError(_("Enter a real postcode, like SW1A 1AA"))
        return normalise_postcode(value)


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
            [values["location"], values.get("location_postcode")],
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
    )
)
