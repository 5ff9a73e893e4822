"""The caseworker's case page: where the case is, what was sent, and what can be done.

Every form here is outside the admin's own change form (a form inside a form submits the
outer one): the next step first, as the main button; the other steps; steps taken for the
citizen when they ask; and the steps that end a case (refuse, close, duplicate…), styled
as warnings and confirmed with a tick. Then assigning, and a note. Every change goes
through `cases.services`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from cases import process_id, ukdates
from cases.actors import assignable_users
from cases.admin.scoping import ScopedAdmin, can_edit
from cases.audit import record_access
from cases.models import AccessLog, Case, CaseEvent
from cases.services import (
    Actor,
    CaseError,
    CaseValidationError,
    allowed_transitions,
    case_add_note,
    case_assign,
    case_transition,
    step_of,
)
from cases.workflows.base import CASEWORKER, Step

CONFIRM = "confirm"


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Note (staff only)", widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="Nobody (unassigned)",
        label="Assign to",
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = assignable_users(case.organisation_id)
        field.label_from_instance = _name  # type: ignore[assignment,method-assign]
        self.initial.setdefault("assignee", case.assigned_to_id)


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


@dataclass
class Action:
    name: str
    step: Step
    form: forms.Form | None
    next: bool = False  # the step staff are expected to take now

    @property
    def kind(self) -> str:
        if self.next:
            return "next"
        if self.step.destructive:
            return "destructive"
        return "on_behalf" if self.step.on_behalf else "other"


def actions_for(case: Case, user) -> list[Action]:
    """What a caseworker can do to the case now, the expected next step first, the steps
    that end the case last. Steps only the citizen (or the system) can take are not here."""
    expected = case.NEXT_STEPS.get(case.state)
    actions = [
        Action(
            name=name,
            step=step,
            form=step.form(case=case, prefix="data") if step.form else None,
            next=name == expected,
        )
        for name, step in allowed_transitions(case, Actor.caseworker(user))
        if CASEWORKER in step.actors
    ]
    order = {"next": 0, "other": 1, "on_behalf": 2, "destructive": 3}
    return sorted(actions, key=lambda action: order[action.kind])


def shown(field: forms.Field, value: Any) -> str:
    """An answer as the citizen saw it: a choice's label, a date the UK way."""
    if isinstance(field, forms.ChoiceField):
        return str(dict(field.choices).get(value, value))  # type: ignore[arg-type]
    if isinstance(field, forms.DateField):
        return ukdates.long_iso_date(value)
    return str(value)


def labelled_answers(case: Case) -> list[tuple[str, str]]:
    """The citizen's answers with the labels of the questions they answered."""
    fields = case.AnswersForm.base_fields
    rows = [
        (str(field.label or name.replace("_", " ").capitalize()), shown(field, case.answers[name]))
        for name, field in fields.items()
        if case.answers.get(name) not in (None, "")
    ]
    rows += [
        (key.replace("_", " ").capitalize(), str(v))
        for key, v in case.answers.items()
        if key not in fields
    ]
    return rows


def map_link(case: Case) -> str:
    latitude, longitude = case.answers.get("latitude"), case.answers.get("longitude")
    if latitude is None or longitude is None:
        return ""
    return (
        f"https://www.openstreetmap.org/?mlat={latitude}&mlon={longitude}"
        f"#map=18/{latitude}/{longitude}"
    )


class CasePage(ScopedAdmin):
    """The case page's views (CaseAdmin is one)."""

    def case_page_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/transition/<str:name>/",
                wrap(self.transition_view),
                name="cases_case_transition",
            ),
            path("<int:pk>/note/", wrap(self.note_view), name="cases_case_note"),
            path("<int:pk>/assign/", wrap(self.assign_view), name="cases_case_assign"),
        ]

    def _case_or_404(self, request, pk) -> Case:
        case = self.get_queryset(request).filter(pk=pk).first()
        if case is None:
            raise Http404("No such case")
        return case

    def _back(self, pk) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:cases_case_change", args=[pk]))

    def case_page_context(self, request, case: Case) -> dict:
        editor = can_edit(request.user, case.organisation_id)
        return {
            "case": case,
            "can_edit": editor,
            "actions": actions_for(case, request.user) if editor else [],
            "assign_form": AssignForm(case=case) if editor else None,
            "note_form": NoteForm(),
            "answers": labelled_answers(case),
            "map_link": map_link(case),
            "stage_label": self._stage_label(case),
            "repair_date": ukdates.iso_date(case.details.get("repair_date")),
        }

    @staticmethod
    def _stage_label(case: Case) -> str:
        stage = case.stage_for_state(case.state)
        if stage is not None:
            return stage.title.en
        outcome = case.outcome_for_state(case.state)
        return outcome.title.en if outcome else case.stage

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if case is not None:
            extra.update(self.case_page_context(request, case))
            if request.method in ("GET", "HEAD"):
                record_access(request, [case.pk], AccessLog.Action.VIEWED)
        return super().change_view(request, object_id, form_url, extra)

    def history_view(self, request, object_id, extra_context=None):
        """ "History" is the case's own record: every event, newest first."""
        case = self.get_object(request, object_id)
        if case is None:
            raise Http404("No such case")
        events = case.events.order_by("-created_at", "-id")
        context = {
            **self.admin_site.each_context(request),
            "title": f"History of {case.reference}",
            "opts": self.model._meta,
            "case": case,
            "events": [describe(case, event) for event in events],
        }
        record_access(request, [case.pk], AccessLog.Action.VIEWED)
        return TemplateResponse(request, "admin/cases/case/history.html", context)

    def transition_view(self, request, pk, name):
        if request.method != "POST":
            raise Http404("Transitions are made from the case page")
        case = self._case_or_404(request, pk)
        version = request.POST.get("version") or ""
        if version and not (len(version) <= 10 and version.isascii() and version.isdecimal()):
            self.message_user(
                request, "The page was out of date. Check the case and try again.", messages.ERROR
            )
            return self._back(pk)
        step = step_of(case, name)
        if step is not None and step.destructive and request.POST.get(CONFIRM) != "yes":
            self.message_user(
                request,
                f"Nothing has changed: tick the box to confirm '{step.label.en}'.",
                messages.ERROR,
            )
            return self._back(pk)
        data = {
            k.removeprefix("data-"): v for k, v in request.POST.items() if k.startswith("data-")
        }
        try:
            case = case_transition(
                case=case,
                transition=name,
                actor=Actor.caseworker(request.user),
                reason=request.POST.get("reason", ""),
                message=request.POST.get("message", ""),
                data=data or None,
                expected_version=int(version) if version else None,
            )
        except CaseValidationError as exc:
            for field, problems in exc.errors.items():
                label = field.replace("_", " ").capitalize()
                self.message_user(request, f"{label}: {' '.join(problems)}", messages.ERROR)
        except CaseError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, f"{case.reference} is now '{case.state_label.en}'.")
        return self._back(pk)

    def note_view(self, request, pk):
        if request.method != "POST":
            raise Http404("Notes are added from the case page")
        case = self._case_or_404(request, pk)
        form = NoteForm(request.POST)
        if not form.is_valid():
            self.message_user(request, "Enter a note", messages.ERROR)
            return self._back(pk)
        try:
            case_add_note(
                case=case, actor=Actor.caseworker(request.user), text=form.cleaned_data["text"]
            )
        except CaseError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, "Note added.")
        return self._back(pk)

    def assign_view(self, request, pk):
        if request.method != "POST":
            raise Http404("Cases are assigned from the case page")
        case = self._case_or_404(request, pk)
        form = AssignForm(request.POST, case=case)
        if not form.is_valid():
            self.message_user(
                request, "Choose someone who works on this council's cases.", messages.ERROR
            )
            return self._back(pk)
        assignee = form.cleaned_data["assignee"]
        try:
            case_assign(case=case, assignee=assignee, actor=Actor.caseworker(request.user))
        except CaseError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            who = _name(assignee) if assignee else "nobody"
            self.message_user(request, f"{case.reference} is assigned to {who}.")
        return self._back(pk)


def describe(case: Case, event: CaseEvent) -> dict:
    """One event as a caseworker reads it: what happened, in words, by whom and when."""
    labels = case.STATE_LABELS
    step = step_of(case, event.transition) if event.transition else None
    what = step.label.en if step else event.get_kind_display()
    moved = event.from_state != event.to_state and event.to_state
    states = ""
    if moved:
        before = labels[event.from_state].en if event.from_state in labels else event.from_state
        after = labels[event.to_state].en if event.to_state in labels else event.to_state
        states = f"{before} → {after}" if before else after
    return {
        "at": event.created_at,
        "what": what,
        "states": states,
        "who": event.actor_label or event.get_actor_kind_display(),
        "reason": event.reason,
        "message": event.message,
        "public": event.public,
        "data": {k: v for k, v in event.data.items() if k != "needs_attention"},
        "needs_attention": bool(event.data.get("needs_attention")),
    }


def reference_search(queryset, search_term: str, field: str):
    """A process ID, however it was typed, finds its case's rows; None if it is not one."""
    canonical = process_id.normalise(search_term)
    if process_id.is_valid(canonical):
        return queryset.filter(**{field: canonical})
    return None
