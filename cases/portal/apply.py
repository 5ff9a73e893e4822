"""Apply for a Blue Badge: one question a page, check your answers, confirmation.

/apply/<council>/blue-badge/ → eligibility → date-of-birth → name → contact → the chosen
channel's details (contact-email or contact-mobile; none for letter) → contact-address,
asked of everyone since the badge is posted (and where letters go, for letter) → evidence
→ check-answers → confirmation. The start page and check your answers state the council's
fee. Every question page can save the answers as a draft to finish later from
/apply/resume/<token>/. The name and contact pages are shared with the street report
journey (cases.portal.report).
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.template.defaultfilters import date as format_date
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from cases.models import ContactPreference, Organisation, Service, ServiceConfig
from cases.money import pounds
from cases.portal import drafts
from cases.portal.drafts import Flow, QuestionForm, Step
from cases.portal.evidence import JPEG, PDF, PNG, FileRule
from cases.validators import check_email, normalise_phone, normalise_postcode
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


def radio_items(field: forms.BoundField, divider_before=None) -> list[dict]:
    """The items for components/radios.html: the first radio has the field's id (where the
    error summary links to), the others id-2, id-3 and so on, as GOV.UK Frontend does."""
    base, current = field.id_for_label, field.value()
    choice_field = field.field
    assert isinstance(choice_field, forms.ChoiceField)  # radios are always for choices
    items: list[dict] = []
    # django-stubs gives the getter the setter's input types; Django normalises to a list.
    for value, label in choice_field.choices:  # type: ignore[misc, union-attr]
        if value == "":
            continue
        number = len(items) + 1
        items.append(
            {
                "id": base if number == 1 else f"{base}-{number}",
                "value": value,
                "label": label,
                "checked": current is not None and str(current) == str(value),
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


def _number(value) -> bool:
    """Typed as digits 0 to 9 (not ², not other scripts' digits: int() refuses some)."""
    text = str(value)
    return text.isascii() and text.isdecimal()


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
            if not _number(value) or not 1 <= int(value) <= (31 if part == "day" else 12)
        )
        if wrong:
            return self._fail(_("Date of birth must be a real date"), wrong)
        if not (_number(year) and len(year) == 4):
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
    """How to contact the person. The chosen channel's details are asked on the next page
    (`CONTACT_STEPS`), so this page is plain radios."""

    contact_preference = forms.ChoiceField(
        choices=ContactPreference.choices,
        error_messages=_required(_("Select how you would like us to contact you")),
    )

    def __init__(self, *args, allow_none: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not allow_none:
            preference = self.fields["contact_preference"]
            assert isinstance(preference, forms.ChoiceField)  # declared above
            preference.choices = [
                c for c in ContactPreference.choices if c[0] != ContactPreference.NONE
            ]

    @property
    def items(self):
        return radio_items(self["contact_preference"], divider_before=ContactPreference.NONE)


def _text(label, limit: int, too_long, blank=None, **kwargs) -> forms.CharField:
    """A text box with GOV.UK-style messages; `blank` is the message when it must be filled
    in (without one, it is optional)."""
    messages = {"max_length": too_long}
    if blank is not None:
        messages["required"] = blank
    return forms.CharField(
        label=label, max_length=limit, required=blank is not None, error_messages=messages, **kwargs
    )


class EmailForm(QuestionForm):
    email = _text(
        _("Email address"),
        254,
        _("Email address must be 254 characters or fewer"),
        _("Enter your email address"),
    )

    def clean_email(self) -> str:
        return check_email(self.cleaned_data["email"])


class MobileForm(QuestionForm):
    phone = _text(
        _("UK mobile phone number"),
        20,
        _("Mobile phone number must be 20 characters or fewer"),
        _("Enter a mobile phone number"),
        help_text=_("A UK mobile phone number, like 07700 900 982"),
    )

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"], mobile=True)


class AddressForm(QuestionForm):
    address_line_1 = _text(
        _("Address line 1"),
        200,
        _("Address line 1 must be 200 characters or fewer"),
        _("Enter address line 1, typically the building and street"),
    )
    address_line_2 = _text(
        _("Address line 2 (optional)"), 200, _("Address line 2 must be 200 characters or fewer")
    )
    town = _text(
        _("Town or city"),
        100,
        _("Town or city must be 100 characters or fewer"),
        _("Enter town or city"),
    )
    postcode = _text(
        _("Postcode"), 10, _("Enter a real postcode, like SW1A 1AA"), _("Enter postcode")
    )

    def clean_postcode(self) -> str:
        return normalise_postcode(self.cleaned_data["postcode"])


def _chose(channel: str):
    def when(values: dict) -> bool:
        return values.get("contact_preference") == channel

    return when


# The page that asks for the chosen channel's details ("Do not contact me" has none).
CONTACT_STEPS = (
    Step(
        "contact-email",
        _("What is your email address?"),
        "portal/apply/contact_email.html",
        EmailForm,
        when=_chose(ContactPreference.EMAIL),
    ),
    Step(
        "contact-mobile",
        _("What is your mobile phone number?"),
        "portal/apply/contact_mobile.html",
        MobileForm,
        when=_chose(ContactPreference.SMS),
    ),
    Step(
        "contact-address",
        _("What is your address?"),
        "portal/apply/contact_address.html",
        AddressForm,
        when=_chose(ContactPreference.LETTER),
    ),
)
# For check your answers: each channel's page, the keys it stores, and the row's words.
CONTACT_DETAILS = {
    ContactPreference.EMAIL: ("contact-email", ("email",), _("Email address"), _("email address")),
    ContactPreference.SMS: (
        "contact-mobile",
        ("phone",),
        _("Mobile phone number"),
        _("mobile phone number"),
    ),
    ContactPreference.LETTER: (
        "contact-address",
        ("address_line_1", "address_line_2", "town", "postcode"),
        _("Address"),
        _("address"),
    ),
}


# The Blue Badge asks everyone where to post the badge: the same page as the letter
# channel's address (the same slug, so a draft saved before keeps its address), asked
# whatever the channel. A letter chooser is not asked for an address twice.
POSTAL_ADDRESS = Step(
    "contact-address",
    _("Where should we post the badge?"),
    "portal/apply/postal_address.html",
    AddressForm,
)
ADDRESS_FIELDS = ("address_line_1", "address_line_2", "town", "postcode")
# Check your answers shows the letter chooser's address once, as where the badge is posted.
BADGE_CONTACT_DETAILS = {
    channel: details
    for channel, details in CONTACT_DETAILS.items()
    if channel != ContactPreference.LETTER
}


# --- The fee -----------------------------------------------------------------------------


def blue_badge_fee_pence(organisation: Organisation) -> int:
    """What the council charges for a badge (0: free), from its Blue Badge settings."""
    config = ServiceConfig.objects.filter(
        organisation=organisation, service=Service.BLUE_BADGE
    ).first()
    return config.fee_pence if config is not None else 0


# --- Check your answers ------------------------------------------------------------------


def row(key, lines, href, hidden) -> dict:
    return {"key": key, "lines": [line for line in lines if line], "href": href, "hidden": hidden}


def contact_rows(journey: drafts.Journey, values: dict, details=CONTACT_DETAILS) -> list[dict]:
    """How we contact you (the channel), then its details (those `details` has a page for),
    each with its own Change link."""
    preference = values["contact_preference"]
    rows = [
        row(
            _("How we contact you"),
            [ContactPreference(preference).label],
            journey.url(journey.flow.step("contact")),
            _("how we contact you"),
        )
    ]
    if preference in details:
        slug, names, key, hidden = details[preference]
        lines = [values.get(name) for name in names]
        rows.append(row(key, lines, journey.url(journey.flow.step(slug)), hidden))
    return rows


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
        *contact_rows(journey, values, details=BADGE_CONTACT_DETAILS),
        row(
            _("Badge posted to"),
            [values.get(name) for name in ADDRESS_FIELDS],
            url[POSTAL_ADDRESS.slug],
            _("where we post the badge"),
        ),
        row(_("Evidence"), file_lines(journey.files), url["evidence"], _("evidence")),
        fee_row(journey.organisation),
    ]


def fee_row(organisation: Organisation) -> dict:
    fee = blue_badge_fee_pence(organisation)
    text = (
        _("%(fee)s, paid after your application is approved") % {"fee": pounds(fee)}
        if fee
        else _("Free")
    )
    return row(_("Fee"), [text], None, None)


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
            *(step for step in CONTACT_STEPS if step.slug != POSTAL_ADDRESS.slug),
            POSTAL_ADDRESS,
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


@require_safe
def resume(request, token):
    return drafts.resume_page(request, token)
