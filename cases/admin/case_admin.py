"""The caseworker's case list and case page.

The state is read-only: every change — transition buttons, notes, assignment, bulk
actions — goes through `cases.services`, locked, permission-checked and recorded.
"""

import csv

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import flatten
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from cases import ukdates
from cases.admin.case_page import CasePage, describe, reference_search
from cases.admin.evidence import EvidenceInline, download_path
from cases.admin.extensions import CASE_INLINES
from cases.admin.scoping import (
    MemberReadOnlyInline,
    ScopedCouncilFilter,
    can_edit,
    councils_of,
)
from cases.audit import record_access
from cases.models import AccessLog, Case, CaseEvent, Follower, Service
from cases.services import (
    Actor,
    CaseError,
    allowed_transitions,
    case_assign,
    case_transition,
)
from cases.validators import normalise_postcode
from cases.workflows import WORKFLOWS
from cases.workflows.base import CASEWORKER, Step


class FollowerInline(MemberReadOnlyInline):
    """People who asked for updates on the report (they found it already reported)."""

    model = Follower
    show_change_link = False
    verbose_name_plural = "People following this report"
    fields = ["recipient", "language", "asked", "status"]
    readonly_fields = flatten(fields)

    @admin.display(description="asked")
    def asked(self, follower):
        return ukdates.long_datetime(follower.created_at)

    @admin.display(description="updates")
    def status(self, follower):
        if follower.stopped_at:
            return f"Stopped {ukdates.long_datetime(follower.stopped_at)}"
        if follower.confirmed_at:
            return "Getting updates"
        return "Not confirmed yet"


class CaseEventInline(MemberReadOnlyInline):
    """The case's record, newest first, in words: what happened, between which states,
    who did it, and what they wrote."""

    model = CaseEvent
    ordering = ["-created_at", "-id"]
    show_change_link = False
    verbose_name_plural = "What happened (newest first)"
    fields = ["when", "what", "states", "who", "reason", "message", "citizen_sees"]
    readonly_fields = flatten(fields)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("case")

    @staticmethod
    def _described(event) -> dict:
        if not hasattr(event, "_described"):
            event._described = describe(event.case, event)
        return event._described

    @admin.display(description="when")
    def when(self, event):
        return ukdates.long_datetime(event.created_at)

    @admin.display(description="what happened")
    def what(self, event):
        return self._described(event)["what"]

    @admin.display(description="state")
    def states(self, event):
        return self._described(event)["states"] or "–"

    @admin.display(description="by")
    def who(self, event):
        return self._described(event)["who"]

    @admin.display(description="on the timeline", boolean=True)
    def citizen_sees(self, event):
        return event.public


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


class OpenFilter(admin.SimpleListFilter):
    title = "open or closed"
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", "Open"), ("no", "Closed")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.open()
        if self.value() == "no":
            return queryset.exclude(pk__in=queryset.open().values("pk"))
        return queryset


class StageFilter(admin.SimpleListFilter):
    title = "stage"
    parameter_name = "stage"

    def lookups(self, request, model_admin):
        return _stages()

    def queryset(self, request, queryset):
        return queryset.filter(stage=self.value()) if self.value() else queryset


class BulkTransitionForm(forms.Form):
    """The second page of "move cases on": what the chosen step needs."""

    reason = forms.CharField(
        required=False,
        label="Reason (staff only)",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )
    message = forms.CharField(
        required=False,
        label="Message to each citizen",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )
    confirm = forms.BooleanField(required=False)

    def __init__(self, *args, step: Step, **kwargs):
        super().__init__(*args, **kwargs)
        if step.message == "none":
            del self.fields["message"]  # this step sends the citizens no message
        if step.destructive:
            self.fields["confirm"].required = True
            self.fields["confirm"].label = f"Yes, {step.label.en.lower()}: this ends each case"
        else:
            del self.fields["confirm"]


def bulk_choices(cases) -> dict[str, dict]:
    """The steps a caseworker could take on at least one of the cases, with how many (the
    services check the caseworker's own permission on each, as they make the change)."""
    offered: dict[str, dict] = {}
    for case in cases:
        for name, step in allowed_transitions(case):
            if CASEWORKER in step.actors:
                entry = offered.setdefault(name, {"step": step, "count": 0})
                entry["count"] += 1
    return dict(sorted(offered.items(), key=lambda item: item[1]["step"].label.en))


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
class CaseAdmin(CasePage):
    list_display = [
        "reference_link",
        "service",
        "state_label",
        "stage_label",
        "due",
        "assigned_to",
        "organisation",
        "received",
    ]
    list_display_links = None
    list_filter = [
        OpenFilter,
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
        followers = [FollowerInline] if obj and obj.service == Service.STREET_REPORT else []
        return [EvidenceInline, CaseEventInline, *followers, *CASE_INLINES]

    # --- Columns ---------------------------------------------------------------------

    @admin.display(description="reference", ordering="process_id")
    def reference_link(self, case):
        url = reverse("admin:cases_case_change", args=[case.pk])
        return format_html('<a class="waymark-reference" href="{}">{}</a>', url, case.reference)

    @admin.display(description="state")
    def state_label(self, case):
        return case.state_label.en

    @admin.display(description="stage", ordering="stage")
    def stage_label(self, case):
        return self._stage_label(case)

    @admin.display(description="due", ordering="due_date")
    def due(self, case):
        if not case.due_date:
            return "–"
        shown = ukdates.long_date(case.due_date)
        if case.overdue or (case.due_date < timezone.localdate() and not case.is_closed):
            return format_html('<strong class="waymark-overdue">{} (overdue)</strong>', shown)
        return shown

    @admin.display(description="received", ordering="created_at")
    def received(self, case):
        return ukdates.long_date(case.created_at)

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
        found = reference_search(queryset, search_term, "process_id")
        if found is not None:
            return found, False
        try:
            return queryset.filter(postcode=normalise_postcode(search_term)), False
        except ValidationError:
            return super().get_search_results(request, queryset, search_term)

    # --- The case page (cases/admin/case_page.py) and the dashboard ------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            *self.case_page_urls(),
            path("dashboard/", wrap(self.dashboard_view), name="cases_dashboard"),
            download_path(self.admin_site),
            *super().get_urls(),
        ]

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

    def _each(self, request, cases, work) -> list[dict]:
        """Runs `work(case)` on each case, one transaction each; a result per row."""
        if hasattr(cases, "select_related"):
            cases = cases.select_related("organisation", "assigned_to")
        results = []
        for case in cases:
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
        """Three pages, no JavaScript: choose a step among those valid for the selected
        cases (with how many each fits), then give what that step needs (a reason, a
        message only if it sends one, a confirmation if it ends cases), then a result per
        case."""
        cases = list(queryset.select_related("organisation", "assigned_to"))
        offered = bulk_choices(cases)
        chosen = offered.get(request.POST.get("transition", ""))
        context = {
            **self.admin_site.each_context(request),
            "title": "Move the selected cases on",
            "cases": cases,
            "offered": offered,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across", "0"),
        }
        if chosen is None:
            if "transition" in request.POST:
                context["problem"] = "Choose one of the steps these cases can take."
            return render(request, "admin/cases/case/bulk_transition.html", context)
        step = chosen["step"]
        applying = "apply" in request.POST
        form = BulkTransitionForm(request.POST if applying else None, step=step)
        # The step's own questions (a repair date…), checked for each case by the services.
        step_form = step.form(case=cases[0], prefix="data") if step.form else None
        if applying and form.is_valid():
            actor = Actor.caseworker(request.user)
            values = form.cleaned_data
            data = {
                k.removeprefix("data-"): v for k, v in request.POST.items() if k.startswith("data-")
            }
            results = self._each(
                request,
                cases,
                lambda c: case_transition(
                    case=c,
                    transition=request.POST["transition"],
                    actor=actor,
                    reason=values["reason"],
                    message=values.get("message", ""),
                    data=data or None,
                ),
            )
            return self._report(request, "Move cases on", results)
        context.update(
            {
                "form": form,
                "step_form": step_form,
                "step": step,
                "transition": request.POST["transition"],
                **chosen,
            }
        )
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
