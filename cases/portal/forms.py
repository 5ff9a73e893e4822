"""Forms for the citizen's pages. Error messages follow the GOV.UK style."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases import process_id
from cases.workflows import WORKFLOWS

# process_id (standard library only) words its errors in English; these are the same
# messages, for translation, by the exception's code.
REFERENCE_ERRORS = {
    "required": _("Enter your reference number"),
    "character": _(
        "Your reference number contains a character that is never used in reference numbers: "
        "%(characters)s"
    ),
    "characters": _(
        "Your reference number contains characters that are never used in reference numbers: "
        "%(characters)s"
    ),
    "length": _("Your reference number should be %(length)s characters, like %(example)s"),
    "prefix": _("Your reference number should start with %(prefixes)s"),
    "checksum": _(
        "Check your reference number: it looks like a character is wrong or two are swapped"
    ),
}


def _join(items: list[str], last_word: str) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last_word} {items[-1]}"


def reference_error(exc: process_id.InvalidProcessID) -> str:
    """The error in the active language (as process_id words it when there is no code)."""
    message = REFERENCE_ERRORS.get(exc.code)
    if message is None:
        return str(exc)
    params = dict(exc.params)
    # process_id always passes these two as lists of strings.
    if isinstance(characters := params.get("characters"), list):
        params["characters"] = _join(characters, gettext("and"))
    if isinstance(prefixes := params.get("prefixes"), list):
        params["prefixes"] = _join(prefixes, gettext("or"))
    return str(message) % params


class LinkRequestForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference number"),
        help_text=_(
            "For example, BB-4K7M-Q9XA-W3R. It is in the emails, letters and text messages we "
            "sent you."
        ),
        max_length=40,
        error_messages={"required": _("Enter your reference number")},
    )

    def clean_reference(self) -> str:
        prefixes = [workflow.PREFIX for workflow in WORKFLOWS.values()]
        try:
            return process_id.parse(self.cleaned_data["reference"], prefixes)
        except process_id.InvalidProcessID as exc:
            raise ValidationError(reference_error(exc)) from None


class TrackForm(LinkRequestForm):
    postcode_or_email = forms.CharField(
        label=_("Postcode, email address or mobile number"),
        help_text=_("One of those you gave us when you applied or reported."),
        max_length=254,
        error_messages={
            "required": _("Enter the postcode, email address or mobile number you gave us")
        },
    )
