"""The caseworker's case list and case page.

The state is read-only: every change — transition buttons, notes, assignment, bulk
actions — goes through `cases.services`, locked, permission-checked and recorded.
"""

import csv

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from cases import process_id
from cases.admin.evidence import EvidenceInline, download_path
from cases.admin.extensions import CASE_INLINES
from cases.admin.scoping import (
    MemberReadOnlyInline,
    ScopedAdmin,
    ScopedCouncilFilter,
    can_edit,
    councils_of,
)
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
)
from cases.validators import normalise_postcode
from cases.workflows import WORKFLOWS


class CaseEventInline(MemberReadOnlyInline):
    model = CaseEvent
    ordering = ["-created_at", "-id"]
    show_change_link = False
    fields = [
        "created_at",
        "kind",
        "transition",
        "from_state",
        "to_state",
        "actor_kind",
        "actor_label",
        "reason",
        "message",
        "public",
    ]
    readonly_fields = flatten(fields)


class AssignedFilter(admin.SimpleListFilter):
    title = "assigned"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", "Assigned to me"), ("nobody", "Unassigned")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assigned_to=request.user)
        if self.value() == "nobody":
            return queryset.filter(assigned_to__isnull=True)
        return queryset


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        service = request.GET.get("service__exact")
        workflows = [WORKFLOWS[service]] if service in WORKFLOWS else WORKFLOWS.values()
        seen = {}
        for workflow in workflows:
            for state, label in workflow.STATE_LABELS.items():
                seen.setdefault(state, label.en)
        return sorted(seen.items(), key=lambda item: item[1])

    def queryset(self, request, queryset):
        return queryset.filter(state=self.value()) if self.value() else queryset


def _stages():
    seen = {}
    for workflow in WORKFLOWS.values():
        for stage in workflow.STAGES:
            seen.setdefault(stage.slug, stage.title.en)
        for outcome in workflow.OUTCOMES:
            seen.setdefault(outcome.state, outcome.title.en)
    return sorted(seen.items(), key=lambda item: item[1])


class StageFilter(admin.SimpleListFilter):
    title = "stage"
    parameter_name = "stage"

    def lookups(self, request, model_admin):
        return _stages()

    def queryset(self, request, queryset):
        return queryset.filter(stage=self.value()) if self.value() else queryset


class NoteForm(forms.Form):
    text = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))


class BulkTransitionForm(forms.Form):
    transition = forms.ChoiceField()
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))
    message = forms.CharField(
        required=False,
        label="Message to the citizen",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["transition"].choices = choices


EXPORT_COLUMNS = [
    "reference",
    "service",
    "state",
    "stage",
    "due_date",
    "overdue",
    "assigned_to",
    "council",
    "created_at",
    "applicant_name",
    "postcode",
]


class Echo:
    def write(self, value):
        return value


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    """A cell a spreadsheet will show as text, never run: anything a citizen typed that
    starts like a formula (OWASP's list: = + - @ tab, carriage return) gets a ' before it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@admin.register(Case)
class CaseAdmin(ScopedAdmin):
    list_display = [
        "reference_link",
        "service",
        "state_label",
        "stage",
        "due",
        "assigned_to",
        "organisation",
        "created_at",
    ]
    list_display_links = None
    list_filter = [
        "service",
        StageFilter,
        StateFilter,
        "overdue",
        AssignedFilter,
        ("organisation", ScopedCouncilFilter),
    ]
    list_select_related = ["organisation", "assigned_to"]
    search_fields = ["process_id", "applicant_name", "postcode", "email"]
    date_hierarchy = "created_at"
    actions = ["assign_to_me", "unassign", "transition_selected", "export_csv"]
    change_form_template = "admin/cases/case/change_form.html"
    fields = [
        "process_id",
        "organisation",
        "service",
        "state",
        "stage",
        "due_date",
        "overdue",
        "assigned_to",
        "applicant_name",
        "email",
        "phone",
        "address_line_1",
        "address_line_2",
        "town",
        "postcode",
        "contact_preference",
        "language",
        "answers",
        "details",
        "duplicate_of",
        "version",
        "created_at",
        "closed_at",
    ]
    readonly_fields = flatten(fields)

    def get_inlines(self, request, obj):
        return [EvidenceInline, CaseEventInline, *CASE_INLINES]

    # --- Columns ---------------------------------------------------------------------

    @admin.display(description="reference", ordering="process_id")
    def reference_link(self, case):
        url = reverse("admin:cases_case_change", args=[case.pk])
        return format_html('<a href="{}">{}</a>', url, case.reference)

    @admin.display(description="state")
    def state_label(self, case):
        return str(case.state_label)

    @admin.display(description="due", ordering="due_date")
    def due(self, case):
        if not case.due_date:
            return "–"
        if case.overdue or (case.due_date < timezone.localdate() and not case.is_closed):
            return format_html('<strong style="color:#d4351c">{} (overdue)</strong>', case.due_date)
        return case.due_date

    # --- Permissions: nothing is edited as a form; changes are the buttons below ------

    def has_add_permission(self, request):
        return False  # cases open through the portal, the API or case_create

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        councils = councils_of(request.user)
        editor = councils is None or any(can_edit(request.user, c.pk) for c in councils)
        if not editor:
            for name in ("assign_to_me", "unassign", "transition_selected"):
                actions.pop(name, None)
        return actions

    # --- Search ----------------------------------------------------------------------

    def get_search_results(self, request, queryset, search_term):
        """A process ID or a postcode matches however it was typed."""
        canonical = process_id.normalise(search_term)
        if process_id.is_valid(canonical):
            return queryset.filter(process_id=canonical), False
        try:
            return queryset.filter(postcode=normalise_postcode(search_term)), False
        except ValidationError:
            return super().get_search_results(request, queryset, search_term)

    # --- The case page: transitions and notes ---------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/transition/<str:name>/",
                wrap(self.transition_view),
                name="cases_case_transition",
            ),
            path("<int:pk>/note/", wrap(self.note_view), name="cases_case_note"),
            path("dashboard/", wrap(self.dashboard_view), name="cases_dashboard"),
            download_path(self.admin_site),
            *super().get_urls(),
        ]

    def _case_or_404(self, request, pk) -> Case:
        case = self.get_queryset(request).filter(pk=pk).first()
        if case is None:
            raise Http404("No such case")
        return case

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = self.get_object(request, object_id)  # None for an ID that is not one
        extra = dict(extra_context or {})
        if case is not None:
            actor = Actor.caseworker(request.user)
            extra["transitions"] = [
                {
                    "name": name,
                    "step": step,
                    "form": step.form(case=case, prefix="data") if step.form else None,
                }
                for name, step in allowed_transitions(case, actor)
                if "caseworker" in step.actors
            ]
            extra["case"] = case
            extra["note_form"] = NoteForm()
            extra["can_edit"] = can_edit(request.user, case.organisation_id)
            extra["timeline_entries"] = case.events.filter(public=True).order_by("-created_at")
            if request.method in ("GET", "HEAD"):
                record_access(request, [case.pk], AccessLog.Action.VIEWED)
        return super().change_view(request, object_id, form_url, extra)

    def transition_view(self, request, pk, name):
        if request.method != "POST":
            raise Http404("Transitions are made from the case page")
        case = self._case_or_404(request, pk)
        data = {k: v for k, v in request.POST.items() if k.startswith("data-")}
        version = request.POST.get("version") or ""
        if version and not (len(version) <= 10 and version.isascii() and version.isdecimal()):
            self.message_user(
                request, "The page was out of date. Check the case and try again.", messages.ERROR
            )
            return HttpResponseRedirect(reverse("admin:cases_case_change", args=[pk]))
        try:
            case = case_transition(
                case=case,
                transition=name,
                actor=Actor.caseworker(request.user),
                reason=request.POST.get("reason", ""),
                message=request.POST.get("message", ""),
                data={k.removeprefix("data-"): v for k, v in data.items()} or None,
                expected_version=int(version) if version else None,
            )
        except CaseValidationError as exc:
            for field, problems in exc.errors.items():
                name = field.replace("_", " ").capitalize()
                self.message_user(request, f"{name}: {' '.join(problems)}", messages.ERROR)
        except CaseError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, f"{case.reference} is now '{case.state_label}'.")
        return HttpResponseRedirect(reverse("admin:cases_case_change", args=[pk]))

    def note_view(self, request, pk):
        if request.method != "POST":
            raise Http404("Notes are added from the case page")
        case = self._case_or_404(request, pk)
        form = NoteForm(request.POST)
        if not form.is_valid():
            self.message_user(request, "Enter a note", messages.ERROR)
        else:
            try:
                case_add_note(
                    case=case, actor=Actor.caseworker(request.user), text=form.cleaned_data["text"]
                )
            except CaseError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, "Note added.")
        return HttpResponseRedirect(reverse("admin:cases_case_change", args=[pk]))

    def dashboard_view(self, request):
        from cases.admin.dashboard import dashboard_context

        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Dashboard",
            **dashboard_context(request.user),
        }
        return TemplateResponse(request, "admin/cases/dashboard.html", context)

    # --- Bulk actions ----------------------------------------------------------------

    def _each(self, request, queryset, work) -> list[dict]:
        """Runs `work(case)` on each case, one transaction each; a result per row."""
        results = []
        for case in queryset.select_related("organisation", "assigned_to"):
            try:
                work(case)
            except CaseError as exc:
                results.append({"case": case, "ok": False, "why": str(exc)})
            else:
                results.append({"case": case, "ok": True, "why": ""})
        return results

    def _report(self, request, title, results):
        done = sum(1 for r in results if r["ok"])
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "results": results,
            "done": done,
            "failed": len(results) - done,
            "opts": self.model._meta,
        }
        return render(request, "admin/cases/case/bulk_results.html", context)

    @admin.action(description="Assign the selected cases to me")
    def assign_to_me(self, request, queryset):
        actor = Actor.caseworker(request.user)
        results = self._each(
            request, queryset, lambda c: case_assign(case=c, assignee=request.user, actor=actor)
        )
        return self._report(request, "Assign to me", results)

    @admin.action(description="Unassign the selected cases")
    def unassign(self, request, queryset):
        actor = Actor.caseworker(request.user)
        results = self._each(
            request, queryset, lambda c: case_assign(case=c, assignee=None, actor=actor)
        )
        return self._report(request, "Unassign", results)

    @admin.action(description="Move the selected cases on (one transition for all)")
    def transition_selected(self, request, queryset):
        choices = sorted(
            {
                (t.name, f"{t.custom['step'].label.en} ({workflow.TITLE.en})")
                for workflow in WORKFLOWS.values()
                for t in workflow(state=workflow.INITIAL_STATE).get_all_state_transitions()
                if "caseworker" in t.custom["step"].actors
            },
            key=lambda c: c[1],
        )
        form = BulkTransitionForm(
            request.POST if "apply" in request.POST else None, choices=choices
        )
        if "apply" in request.POST and form.is_valid():
            actor = Actor.caseworker(request.user)
            values = form.cleaned_data
            results = self._each(
                request,
                queryset,
                lambda c: case_transition(
                    case=c,
                    transition=values["transition"],
                    actor=actor,
                    reason=values["reason"],
                    message=values["message"],
                ),
            )
            return self._report(request, "Move cases on", results)
        context = {
            **self.admin_site.each_context(request),
            "title": "Move the selected cases on",
            "form": form,
            "queryset": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across", "0"),
        }
        return render(request, "admin/cases/case/bulk_transition.html", context)

    @admin.action(description="Export the selected cases as CSV")
    def export_csv(self, request, queryset):
        record_access(request, queryset.values_list("pk", flat=True), AccessLog.Action.EXPORTED)
        writer = csv.writer(Echo())
        rows = queryset.select_related("organisation", "assigned_to").iterator(chunk_size=2000)

        def lines():
            yield writer.writerow(EXPORT_COLUMNS)
            for case in rows:
                yield writer.writerow(
                    spreadsheet_safe(cell)
                    for cell in [
                        case.reference,
                        case.service,
                        case.state,
                        case.stage,
                        case.due_date or "",
                        "yes" if case.overdue else "no",
                        case.assigned_to.get_username() if case.assigned_to else "",
                        case.organisation.name,
                        case.created_at.isoformat(),
                        case.applicant_name,
                        case.postcode,
                    ]
                )

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="cases-{stamp}.csv"'
        return response
