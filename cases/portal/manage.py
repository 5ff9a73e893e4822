"""What a citizen can do from their timeline: change how we contact them, withdraw an
application, tell us whether a street problem is fixed.

Each page is a plain form (no JavaScript needed) for a browser that has proved it may see
the case (`access.allowed`). Every change goes through `cases.services` as the citizen;
anything the services refuse (`CaseError`) is shown in the error summary and nothing
changes. The forms that change the case's state carry its `version`, so a page left open
while the case moved on gets a clear conflict message instead of acting on what the
citizen no longer sees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from cases import process_id
from cases.models import Case, ContactPreference
from cases.portal import access
from cases.services import (
    Actor,
    CaseError,
    CaseValidationError,
    allowed_transitions,
    case_set_contact_preference,
    case_transition,
)
from cases.validators import normalise_phone

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ACTOR_LABEL = "citizen portal"
FIXED = "fixed"  # the street report state in which we ask "is it fixed?"
YES, NO = "yes", "no"
YES_NO = [(YES, _("Yes")), (NO, _("No"))]
OUT_OF_DATE = _("This page is out of date. Go back to your case and try again.")


def citizen(case: Case) -> Actor:
    return Actor.citizen(case, ACTOR_LABEL)


def citizen_may(case: Case, transition: str) -> bool:
    """Whether the citizen can make this transition now (state and conditions allow it)."""
    return any(name == transition for name, _step in allowed_transitions(case, citizen(case)))


def asks_if_fixed(case: Case) -> bool:
    return case.state == FIXED and citizen_may(case, "confirm_fixed")


def timeline_links(case: Case) -> dict:
    """What the timeline page needs to link to these pages."""
    return {
        "can_withdraw": citizen_may(case, "withdraw"),
        "fixed_url": reverse("portal:fixed", args=[case.process_id]) if asks_if_fixed(case) else "",
        "evidence_url": reverse("portal:evidence", args=[case.process_id])
        if citizen_may(case, "receive_evidence")
        else "",
    }


# --- Forms -------------------------------------------------------------------------------


class GovukRadios(forms.RadioSelect):
    """Radios rendered by hand in GOV.UK markup: the first radio carries the field's id, so
    the error summary links to it."""

    def id_for_label(self, id_, index=None):
        return id_


class CaseForm(forms.Form):
    """A form about a case."""

    def __init__(self, *args, case: Case, **kwargs):
        self.case = case
        super().__init__(*args, **kwargs)

    def show_case_error(self, exc: CaseError) -> None:
        """Puts what the services said on the form: on a field it has, else at the top."""
        if isinstance(exc, CaseValidationError):
            for field, problems in exc.errors.items():
                target = field if field in self.fields and field != "version" else None
                for problem in problems:
                    self.add_error(target, problem)
        else:
            self.add_error(None, str(exc))


class VersionedForm(CaseForm):
    """A form that changes the case's state: it carries the version the citizen saw, which
    the services check (`expected_version`)."""

    version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        error_messages={
            "required": OUT_OF_DATE,
            "invalid": OUT_OF_DATE,
            "min_value": OUT_OF_DATE,
        },
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        self.fields["version"].initial = case.version

    def clean(self):
        # A missing or mangled version is about the page, not a field the citizen can fix.
        problems = self._errors.pop("version", None)
        if problems:
            self.add_error(None, list(problems))
        return super().clean()


def contact_channels(case: Case) -> list[dict]:
    """Each way we can contact the citizen, and what we are missing for those we cannot."""

    def has_mobile() -> bool:
        if not case.phone:
            return False
        try:
            normalise_phone(case.phone, mobile=True)
        except ValidationError:
            return False
        return True

    missing: dict[str, StrOrPromise] = {
        ContactPreference.EMAIL: "" if case.email else _("We do not have an email address for you"),
        ContactPreference.SMS: "" if has_mobile() else _("We do not have a mobile number for you"),
        ContactPreference.LETTER: ""
        if case.address_line_1 and case.postcode
        else _("We do not have a postal address for you"),
        ContactPreference.NONE: "",
    }
    return [
        {"value": value, "label": label, "missing": missing[value]}
        for value, label in ContactPreference.choices
    ]


class ContactForm(CaseForm):
    contact_preference = forms.ChoiceField(
        label=_("How should we contact you about this case?"),
        choices=ContactPreference.choices,
        widget=GovukRadios,
        error_messages={
            "required": _("Select how we should contact you"),
            "invalid_choice": _("Select how we should contact you"),
        },
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        self.fields["contact_preference"].initial = case.contact_preference
        self.channels = contact_channels(case)

    def clean_contact_preference(self) -> str:
        value = self.cleaned_data["contact_preference"]
        for channel in self.channels:
            if channel["value"] == value and channel["missing"]:
                raise ValidationError(channel["missing"])
        return value

    def items(self) -> list[dict]:
        """The radios: only the ways we can contact the citizen, with ids and which is
        checked."""
        chosen = self.data.get("contact_preference") if self.is_bound else None
        chosen = chosen or self.fields["contact_preference"].initial
        field_id = self["contact_preference"].auto_id
        available = [channel for channel in self.channels if not channel["missing"]]
        return [
            {
                **channel,
                "id": field_id if i == 1 else f"{field_id}-{i}",
                "checked": channel["value"] == chosen,
            }
            for i, channel in enumerate(available, start=1)
        ]

    def unavailable(self) -> list[dict]:
        """The ways we cannot contact the citizen, each with what we are missing."""
        return [channel for channel in self.channels if channel["missing"]]


class WithdrawForm(VersionedForm):
    confirm = forms.ChoiceField(
        label=_("Are you sure you want to withdraw your application?"),
        choices=YES_NO,
        widget=GovukRadios,
        error_messages={
            "required": _("Select yes if you want to withdraw your application"),
            "invalid_choice": _("Select yes if you want to withdraw your application"),
        },
    )


class FixedForm(VersionedForm):
    fixed = forms.ChoiceField(
        label=_("Is it fixed?"),
        choices=YES_NO,
        widget=GovukRadios,
        error_messages={
            "required": _("Select yes if the problem is fixed"),
            "invalid_choice": _("Select yes if the problem is fixed"),
        },
    )
    message = forms.CharField(
        label=_("What is still wrong? (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea,
        error_messages={"max_length": _("What is still wrong must be 1000 characters or less")},
    )


# --- Views -------------------------------------------------------------------------------


def _case(request, reference: str) -> Case | None:
    """The case, if this browser may see it."""
    case = (
        Case.objects.select_related("organisation")
        .filter(process_id=process_id.normalise(reference))
        .first()
    )
    if case is None or not access.allowed(request, case):
        return None
    return case


def _to_track():
    return HttpResponseRedirect(reverse("portal:track"))


def _to_timeline(case: Case):
    return HttpResponseRedirect(reverse("portal:timeline", args=[case.process_id]))


def _refused(request, template: str, form_class, case: Case, exc: CaseError):
    """The page again, with the services' message; a versioned form carries the case's
    current version, so the citizen can try again once they have read what changed."""
    current = Case.objects.select_related("organisation").get(pk=case.pk)
    data = request.POST.copy()
    if "version" in form_class.base_fields:
        data["version"] = str(current.version)
    form = form_class(data, case=current)
    form.is_valid()
    form.show_case_error(exc)
    return render(request, template, {"case": current, "form": form}, status=exc.status)


def _invalid(request, template: str, case: Case, form):
    return render(request, template, {"case": case, "form": form}, status=400)


CONTACT_CONFIRMATIONS = {
    ContactPreference.EMAIL: _("We will contact you by email"),
    ContactPreference.SMS: _("We will contact you by text message"),
    ContactPreference.LETTER: _("We will contact you by letter"),
    ContactPreference.NONE: _("We will not contact you about this case"),
}


@require_http_methods(["GET", "HEAD", "POST"])
def contact(request, reference: str):
    """Change how we contact you."""
    template = "portal/manage/contact.html"
    case = _case(request, reference)
    if case is None:
        return _to_track()
    if request.method != "POST":
        return render(request, template, {"case": case, "form": ContactForm(case=case)})
    form = ContactForm(request.POST, case=case)
    if not form.is_valid():
        return _invalid(request, template, case, form)
    preference = form.cleaned_data["contact_preference"]
    try:
        case = case_set_contact_preference(case=case, preference=preference, actor=citizen(case))
    except CaseError as exc:
        return _refused(request, template, ContactForm, case, exc)
    messages.success(request, CONTACT_CONFIRMATIONS[preference])
    return _to_timeline(case)


@require_http_methods(["GET", "HEAD", "POST"])
def withdraw(request, reference: str):
    """Withdraw your application."""
    template = "portal/manage/withdraw.html"
    case = _case(request, reference)
    if case is None:
        return _to_track()
    if request.method != "POST":
        if not citizen_may(case, "withdraw"):
            return _to_timeline(case)
        return render(request, template, {"case": case, "form": WithdrawForm(case=case)})
    form = WithdrawForm(request.POST, case=case)
    if not form.is_valid():
        return _invalid(request, template, case, form)
    if form.cleaned_data["confirm"] == NO:
        return _to_timeline(case)
    try:
        case = case_transition(
            case=case,
            transition="withdraw",
            actor=citizen(case),
            expected_version=form.cleaned_data["version"],
        )
    except CaseError as exc:
        return _refused(request, template, WithdrawForm, case, exc)
    messages.success(request, gettext("You have withdrawn your application"))
    return _to_timeline(case)


@require_http_methods(["GET", "HEAD", "POST"])
def fixed(request, reference: str):
    """Is it fixed? Yes closes the street report; no reopens it, with what is still wrong."""
    template = "portal/manage/fixed.html"
    case = _case(request, reference)
    if case is None:
        return _to_track()
    if request.method != "POST":
        if not asks_if_fixed(case):
            return _to_timeline(case)
        return render(request, template, {"case": case, "form": FixedForm(case=case)})
    form = FixedForm(request.POST, case=case)
    if not form.is_valid():
        return _invalid(request, template, case, form)
    is_fixed = form.cleaned_data["fixed"] == YES
    try:
        case = case_transition(
            case=case,
            transition="confirm_fixed" if is_fixed else "reopen",
            actor=citizen(case),
            message="" if is_fixed else form.cleaned_data["message"],
            expected_version=form.cleaned_data["version"],
        )
    except CaseError as exc:
        return _refused(request, template, FixedForm, case, exc)
    if is_fixed:
        confirmation = gettext("Thank you for telling us it is fixed. We have closed your report.")
    else:
        confirmation = gettext("Thank you for telling us. We have reopened your report.")
    messages.success(request, confirmation)
    return _to_timeline(case)
