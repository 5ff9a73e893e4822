"""Case work in Django admin, scoped to the caseworker's councils.

Members of a council can view its cases, events and settings; only national
administrators (superusers) change settings here. Cases are read-only in the admin:
every change goes through `cases.services`.
"""

from django.contrib import admin
from django.db.models import QuerySet

from cases import process_id
from cases.models import Case, CaseEvent, Membership, Organisation, ServiceConfig


def councils_of(user) -> QuerySet | None:
    """The organisations a user works for; None means every one (national administrator)."""
    if user.is_superuser:
        return None
    return Organisation.objects.filter(memberships__user=user)


class ScopedAdmin(admin.ModelAdmin):
    """Shows only rows of the user's councils; `council_field` is the path to them."""

    council_field = "organisation"

    def _is_member(self, request) -> bool:
        user = request.user
        return user.is_active and user.is_staff and (user.is_superuser or user.memberships.exists())

    def has_module_permission(self, request):
        return self._is_member(request)

    def has_view_permission(self, request, obj=None):
        return self._is_member(request)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        councils = councils_of(request.user)
        if councils is None:
            return queryset
        return queryset.filter(**{f"{self.council_field}__in": councils})


class ServiceConfigInline(admin.StackedInline):
    model = ServiceConfig
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(ScopedAdmin):
    council_field = "pk"
    list_display = ["name", "name_cy", "slug", "contact_email"]
    search_fields = ["name", "name_cy", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ServiceConfigInline]


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    list_display = ["user", "organisation", "role"]
    list_filter = ["role", "organisation"]
    autocomplete_fields = ["organisation"]


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    ordering = ["-created_at", "-id"]
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
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ScopedAdmin):
    list_display = [
        "__str__",
        "service",
        "state_label",
        "stage",
        "due_date",
        "overdue",
        "assigned_to",
        "organisation",
        "created_at",
    ]
    list_filter = ["service", "stage", "overdue", "state", "organisation"]
    list_select_related = ["organisation", "assigned_to"]
    search_fields = ["process_id", "applicant_name", "postcode", "email"]
    date_hierarchy = "created_at"
    inlines = [CaseEventInline]

    def get_inlines(self, request, obj):
        from notify.admin import NotificationInline
        from payments.admin import PaymentRequestInline

        return [CaseEventInline, NotificationInline, PaymentRequestInline]

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
    readonly_fields = fields

    @admin.display(description="state")
    def state_label(self, case):
        return str(case.state_label)

    def has_add_permission(self, request):
        return False  # cases open through the portal, the API or case_create

    def has_change_permission(self, request, obj=None):
        return False  # changes go through cases.services

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        """A process ID matches however it was typed (case, spaces, hyphens)."""
        canonical = process_id.normalise(search_term)
        if process_id.is_valid(canonical):
            return queryset.filter(process_id=canonical), False
        return super().get_search_results(request, queryset, search_term)
