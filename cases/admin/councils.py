"""Councils, their service settings and their caseworkers."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import models

from cases.admin.extensions import COUNCIL_ACTIONS, COUNCIL_LINKS
from cases.admin.scoping import ScopedAdmin, ScopedCouncilFilter, administers, councils_of
from cases.models import AccessLog, Membership, Organisation, ServiceConfig


class ServiceConfigInline(admin.StackedInline):
    model = ServiceConfig
    extra = 0

    def has_view_permission(self, request, obj=None):
        return True  # the parent page is scoped to the user's councils


@admin.register(Organisation)
class OrganisationAdmin(ScopedAdmin):
    council_field = "pk"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # "example.gov.uk"
    list_display = ["name", "name_cy", "slug", "contact_email"]
    search_fields = ["name", "name_cy", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ServiceConfigInline]
    change_form_template = "admin/cases/organisation/change_form.html"

    def get_actions(self, request):
        actions = super().get_actions(request)
        for action in COUNCIL_ACTIONS:  # the other apps' (cases.admin.extensions)
            actions[action.__name__] = self.get_action(action)
        return actions

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = {**(extra_context or {}), "council_links": COUNCIL_LINKS}
        return super().change_view(request, object_id, form_url, context)


class MembershipForm(forms.ModelForm):
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),  # the user's own councils' staff: see below
        help_text="A staff account of your council. Create new ones under Staff accounts.",
    )

    class Meta:
        model = Membership
        fields = ["user", "organisation", "role"]


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    """Council admins manage their council's caseworkers and roles."""

    form = MembershipForm
    list_display = ["user", "organisation", "role"]
    list_filter = ["role", ("organisation", ScopedCouncilFilter)]
    search_fields = ["user__username", "user__email"]

    def _manages(self, request, obj=None) -> bool:
        councils = administers(request.user)
        if councils is None:
            return True
        if obj is None:
            return councils.exists()
        return councils.filter(pk=obj.organisation_id).exists()

    def has_add_permission(self, request):
        return self._manages(request)

    def has_change_permission(self, request, obj=None):
        return self._manages(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._manages(request, obj) and (obj is None or obj.user_id != request.user.pk)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organisation":
            councils = administers(request.user)
            if councils is not None:
                kwargs["queryset"] = councils
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # Only staff of councils this user administers: never another council's editor.
        councils = administers(request.user)
        queryset = get_user_model().objects.filter(is_active=True, is_staff=True)
        if councils is not None:
            queryset = queryset.filter(memberships__organisation__in=councils).distinct()
        form.base_fields["user"].queryset = queryset.order_by("username")
        return form

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("user", "organisation")
        councils = councils_of(request.user)
        return queryset if councils is None else queryset.filter(organisation__in=councils)


@admin.register(AccessLog)
class AccessLogAdmin(ScopedAdmin):
    """Who looked at which case's personal data, and when. Nobody can change it."""

    council_field = "case__organisation"
    list_display = ["at", "user", "action", "case", "ip_address"]
    list_filter = ["action"]
    list_select_related = ["user", "case"]
    search_fields = ["case__process_id", "user__username"]
    date_hierarchy = "at"
    readonly_fields = ["at", "user", "action", "case", "ip_address", "request_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
