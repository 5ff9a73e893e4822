"""Apply for a Blue Badge: one question a page, check your answers, confirmation.

/apply/<council>/blue-badge/ → eligibility → date-of-birth → name → contact → evidence →
check-answers → confirmation. Every question page can save the answers as a draft to
finish later from /apply/resume/<token>/. The name and contact pages are shared with the
street report journey (cases.portal.report).
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.template.defaultfilters import date as format_date
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from cases.models import ContactPreference, Service
from cases.portal import drafts
from cases.portal.drafts import Flow, QuestionForm, Step
from cases.portal.evidence import JPEG, PDF, PNG, FileRule
from cases.validators import normalise_phone, normalise_postcode
from cases.workflows.blue_badge import BlueBadgeAnswers

# The workflow's choices, in words translators can see (a test keeps the keys in step).
ELIGIBILITY_LABELS = {
    "pip": _("Personal Independence Payment (PIP) mobility award"),
    "dla": _("Higher rate mobility component of Disability Living Allowance"),
    "war_pension": _("War Pensioners' Mobility Supplement"),
    "armed_forces": _("Armed Forces Compensation Scheme award"),
    "registered_blind": _("Registered as severely sight impaired"),
    "walking": _("Difficulty walking"),
    "arms": _("Difficulty using arms"),
    "hidden": _("Non-visible (hidden) condition"),
    "child": _("Child under 3 with a medical condition"),
}
MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan", "ionawr"),
            ("february", "feb", "chwefror"),
            ("march", "mar", "mawrth"),
            ("april", "apr", "ebrill"),
            ("may", "mai"),
            ("june", "jun", "mehefin"),
            ("july", "jul", "gorffennaf"),
            ("august", "aug", "awst"),
            ("september", "sep", "sept", "medi"),
            ("october", "oct", "hydref"),
            ("november", "nov", "tachwedd"),
            ("december", "dec", "rhagfyr"),
        ),
        start=1,
    )
    for name in names
}
PARTS = ("day", "month", "year")


def radio_items(field: forms.BoundField, conditional=None, divider_before=None) -> list[dict]:
    """The items for components/radios.html: the first radio has the field's id (where the
    error summary links to), the others id-2, id-3 and so on, as GOV.UK Frontend does."""
    base, current = field.id_for_label, field.value()
    items = []
    for value, label in field.field.choices:
        if value == "":
            continue
        number = len(items) + 1
        items.append(
            {
                "id": base if number == 1 else f"{base}-{number}",
                "value": value,
                "label": label,
                "checked": current is not None and str(current) == str(value),
                "conditional": (conditional or {}).get(value),
                "divider": divider_before == value,
            }
        )
    return items


def _required(message):
    return {"required": message, "invalid_choice": message}


class EligibilityForm(QuestionForm):
    eligibility = forms.ChoiceField(
        choices=[
            (k, ELIGIBILITY_LABELS.get(k, label)) for k, label in BlueBadgeAnswers.ELIGIBILITY
        ],
        error_messages=_required(_("Select why you are eligible for a Blue Badge")),
    )

    @property
    def items(self):
        return radio_items(self["eligibility"])


class DateOfBirthForm(QuestionForm):
    """GOV.UK date input: day, month and year boxes; the error names what is wrong."""

    day = forms.CharField(label=_("Day"), required=False, max_length=10)
    month = forms.CharField(label=_("Month"), required=False, max_length=10)
    year = forms.CharField(label=_("Year"), required=False, max_length=10)

    MISSING = {
        ("day",): _("Date of birth must include a day"),
        ("month",): _("Date of birth must include a month"),
        ("year",): _("Date of birth must include a year"),
        ("day", "month"): _("Date of birth must include a day and month"),
        ("day", "year"): _("Date of birth must include a day and year"),
        ("month", "year"): _("Date of birth must include a month and year"),
    }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "date-of-birth-%s")
        super().__init__(*args, **kwargs)
        self.error_parts: tuple[str, ...] = ()

    def _fail(self, message, parts=PARTS):
        self.error_parts = tuple(parts)
        self.add_error(parts[0], message)

    def clean(self):
        values = {part: (self.cleaned_data.get(part) or "").strip() for part in PARTS}
        missing = tuple(part for part in PARTS if not values[part])
        if len(missing) == 3:
            return self._fail(_("Enter your date of birth"))
        if missing:
            return self._fail(self.MISSING[missing], missing)
        day, year = values["day"], values["year"]
        month = MONTHS.get(values["month"].lower().rstrip("."), values["month"])
        wrong = tuple(
            part
            for part, value in (("day", day), ("month", month))
            if not str(value).isdigit() or not 1 <= int(value) <= (31 if part == "day" else 12)
        )
        if wrong:
            return self._fail(_("Date of birth must be a real date"), wrong)
        if not (year.isdigit() and len(year) == 4):
            return self._fail(_("Year must include 4 numbers"), ("year",))
        try:
            born = date(int(year), int(month), int(day))
        except ValueError:
            return self._fail(_("Date of birth must be a real date"), ("day",))
        if born > timezone.localdate():
            return self._fail(_("Date of birth must be in the past"))
        if born.year < 1900:
            return self._fail(_("Date of birth must be after 1 January 1900"), ("year",))
        return {"date_of_birth": born.isoformat()}

    @classmethod
    def initial_from(cls, stored):
        if not stored.get("date_of_birth"):
            return {}
        born = date.fromisoformat(stored["date_of_birth"])
        return {"day": str(born.day), "month": str(born.month), "year": str(born.year)}

    def add_service_error(self, key, messages):
        for message in messages:
            self._fail(message)

    @property
    def date_errors(self):
        return [error for part in PARTS for error in self[part].errors]


class NameForm(QuestionForm):
    applicant_name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        error_messages={
            "required": _("Enter your full name"),
            "max_length": _("Full name must be 200 characters or fewer"),
        },
    )


class ContactForm(QuestionForm):
    """How to contact the person: only the chosen channel's details are checked and kept.

    Every channel's inputs are in the page (revealed under their radio by GOV.UK Frontend's
    script, all shown without it)."""

    contact_preference = forms.ChoiceField(
        choices=ContactPreference.choices,
        error_messages=_required(_("Select how you would like us to contact you")),
    )
    email = forms.CharField(label=_("Email address"), required=False)
    phone = forms.CharField(label=_("UK mobile phone number"), required=False)
    address_line_1 = forms.CharField(label=_("Address line 1"), required=False)
    address_line_2 = forms.CharField(label=_("Address line 2 (optional)"), required=False)
    town = forms.CharField(label=_("Town or city"), required=False)
    postcode = forms.CharField(label=_("Postcode"), required=False)

    NEEDS = {
        ContactPreference.EMAIL: ("email",),
        ContactPreference.SMS: ("phone",),
        ContactPreference.LETTER: ("address_line_1", "address_line_2", "town", "postcode"),
        ContactPreference.NONE: (),
    }
    REQUIRED = {
        "email": _("Enter your email address"),
        "phone": _("Enter a mobile phone number"),
        "address_line_1": _("Enter address line 1, typically the building and street"),
        "town": _("Enter town or city"),
        "postcode": _("Enter postcode"),
    }
    TOO_LONG = {
        "email": (254, _("Email address must be 254 characters or fewer")),
        "phone": (20, _("Mobile phone number must be 20 characters or fewer")),
        "address_line_1": (200, _("Address line 1 must be 200 characters or fewer")),
        "address_line_2": (200, _("Address line 2 must be 200 characters or fewer")),
        "town": (100, _("Town or city must be 100 characters or fewer")),
        "postcode": (10, _("Enter a real postcode, like SW1A 1AA")),
    }

    def __init__(self, *args, allow_none: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not allow_none:
            self.fields["contact_preference"].choices = [
                c for c in ContactPreference.choices if c[0] != ContactPreference.NONE
            ]

    def clean(self):
        preference = self.cleaned_data.get("contact_preference")
        kept = {"contact_preference": preference}
        for name in self.NEEDS.get(preference, ()):
            value = (self.cleaned_data.get(name) or "").strip()
            limit, too_long = self.TOO_LONG[name]
            try:
                if not value and name in self.REQUIRED:
                    raise ValidationError(self.REQUIRED[name])
                if len(value) > limit:
                    raise ValidationError(too_long)
                kept[name] = self._normalise(name, value) if value else ""
            except ValidationError as exc:
                self.add_error(name, exc)
        return kept

    @staticmethod
    def _normalise(name: str, value: str) -> str:
        if name == "email":
            try:
                validate_email(value)
            except ValidationError:
                raise ValidationError(
                    _("Enter an email address in the correct format, like name@example.com")
                ) from None
        if name == "phone":
            return normalise_phone(value, mobile=True)
        if name == "postcode":
            return normalise_postcode(value)
        return value

    @property
    def items(self):
        templates = {
            ContactPreference.EMAIL: "portal/apply/contact_email.html",
            ContactPreference.SMS: "portal/apply/contact_sms.html",
            ContactPreference.LETTER: "portal/apply/contact_letter.html",
        }
        return radio_items(self["contact_preference"], templates, ContactPreference.NONE)


# --- Check your answers ------------------------------------------------------------------


def row(key, lines, href, hidden) -> dict:
    return {"key": key, "lines": [line for line in lines if line], "href": href, "hidden": hidden}


def contact_lines(values: dict) -> list[str]:
    preference = values.get("contact_preference")
    label = ContactPreference(preference).label if preference else ""
    return [label, *(values.get(name) for name in ContactForm.NEEDS.get(preference, ()))]


def file_lines(files: list[dict]) -> list[str]:
    return [f"{f['name']} ({filesizeformat(f['size'])})" for f in files]


def blue_badge_rows(journey: drafts.Journey) -> list[dict]:
    values = journey.values()
    url = {step.slug: journey.url(step) for step in journey.flow.steps}
    born = date.fromisoformat(values["date_of_birth"])
    return [
        row(
            _("Why you are eligible"),
            [ELIGIBILITY_LABELS.get(values["eligibility"], values["eligibility"])],
            url["eligibility"],
            _("why you are eligible"),
        ),
        row(
            _("Date of birth"),
            [format_date(born, "j F Y")],
            url["date-of-birth"],
            _("date of birth"),
        ),
        row(_("Full name"), [values["applicant_name"]], url["name"], _("full name")),
        row(
            _("How we contact you"), contact_lines(values), url["contact"], _("how we contact you")
        ),
        row(_("Evidence"), file_lines(journey.files), url["evidence"], _("evidence")),
    ]


EVIDENCE = FileRule(
    types=(PDF, JPEG, PNG),
    types_text=_("a PDF, JPG or PNG"),
    max_files=15,
    too_many=_("You can upload up to 15 files"),
    required=True,
)

BLUE_BADGE = drafts.register(
    Flow(
        service=Service.BLUE_BADGE,
        name="apply",
        title=_("Apply for a Blue Badge"),
        steps=(
            Step(
                "eligibility",
                _("Why are you eligible for a Blue Badge?"),
                "portal/apply/eligibility.html",
                EligibilityForm,
            ),
            Step(
                "date-of-birth",
                _("What is your date of birth?"),
                "portal/apply/date_of_birth.html",
                DateOfBirthForm,
            ),
            Step("name", _("What is your full name?"), "portal/apply/name.html", NameForm),
            Step(
                "contact",
                _("How would you like us to contact you?"),
                "portal/apply/contact.html",
                ContactForm,
            ),
            Step(
                "evidence",
                _("Upload evidence that you are eligible"),
                "portal/apply/evidence.html",
                files=EVIDENCE,
            ),
        ),
        rows=blue_badge_rows,
        drafts=True,
    )
)


# --- Views: thin, the journey machinery is in cases.portal.drafts -------------------------


@require_safe
def start(request, council: str):
    return drafts.start_page(request, BLUE_BADGE, council)


@require_http_methods(["GET", "HEAD", "POST"])
def question(request, council: str, step: str):
    return drafts.question_page(request, BLUE_BADGE, council, step)


@require_http_methods(["GET", "HEAD", "POST"])
def check_answers(request, council: str):
    return drafts.check_page(request, BLUE_BADGE, council)


@require_safe
def confirmation(request, council: str):
    return drafts.confirmation_page(request, BLUE_BADGE, council)


@require_safe
def saved(request, council: str):
    return drafts.saved_page(request, BLUE_BADGE, council)


@require_safe
def resume(request, token):
    return drafts.resume_page(request, token)
