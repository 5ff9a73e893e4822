"""Forms for the citizen's pages. Error messages follow the GOV.UK style."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cases import process_id
from cases.workflows import WORKFLOWS


class TrackForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference number"),
        help_text=_("For example, BB-4K7M-Q9XA-W3R. It is in the emails and letters we sent you."),
        max_length=40,
        error_messages={"required": _("Enter your reference number")},
    )
    postcode_or_email = forms.CharField(
        label=_("Postcode or email address"),
        help_text=_("The postcode or email address you gave us when you applied or reported."),
        max_length=254,
        error_messages={"required": _("Enter the postcode or email address you gave us")},
    )

    def clean_reference(self) -> str:
        prefixes = [workflow.PREFIX for workflow in WORKFLOWS.values()]
        try:
            return process_id.parse(self.cleaned_data["reference"], prefixes)
        except process_id.InvalidProcessID as exc:
            raise ValidationError(str(exc)) from None
