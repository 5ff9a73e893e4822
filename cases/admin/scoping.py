"""Scoping every admin page to the caseworker's councils, and what each role may do.

Roles (cases.models.Role): a council's admin and editors change its cases; read-only
members look. National administrators (superusers) see every council. A row outside the
user's councils is never listed, searched, exported or opened — also when its URL is
typed by hand (Django answers as if it did not exist).
"""

from django.contrib import admin
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.http import HttpResponseRedirect

from cases.actors import EDITING_ROLES
from cases.models import Organisation, Role


def _memberships(user) -> dict[int, tuple[Organisation, str]]:
    """The user's councils by ID, each with the user's role there: read once a request
    (kept on the user object, which each request loads afresh), not once per check — an
    admin page asks a few dozen times (each model's permissions, the sidebar)."""
    found = getattr(user, "_waymark_councils", None)
    if found is None:
        councils = Organisation.objects.filter(memberships__user=user).annotate(
            role=F("memberships__role")
        )
        found = user._waymark_councils = {c.pk: (c, c.role) for c in councils}
    return found


def _known(queryset: QuerySet, councils) -> QuerySet:
    """`queryset`, with its rows already in hand: `.exists()` and iterating it cost no
    query; used in a filter it is still a subquery."""
    queryset._result_cache = list(councils)
    return queryset


def councils_of(user) -> QuerySet | None:
    """The organisations a user works for; None means every one (national administrator)."""
    if user.is_superuser:
        return None
    return _known(
        Organisation.objects.filter(memberships__user=user),
        [council for council, _role in _memberships(user).values()],
    )


def can_edit(user, organisation_id) -> bool:
    """May this user change things at this council (editor or council admin)?"""
    if user.is_superuser:
        return True
    _council, role = _memberships(user).get(organisation_id, (None, ""))
    return role in EDITING_ROLES


def administers(user) -> QuerySet | None:
    """The councils whose users this user manages; None means every one."""
    if user.is_superuser:
        return None
    return _known(
        Organisation.objects.filter(memberships__user=user, memberships__role=Role.ADMIN),
        [council for council, role in _memberships(user).values() if role == Role.ADMIN],
    )


def administers_council(user, organisation_id) -> bool:
    if user.is_superuser:
        return True
    _council, role = _memberships(user).get(organisation_id, (None, ""))
    return role == Role.ADMIN


def is_member(request) -> bool:
    user = request.user
    return user.is_active and user.is_staff and (user.is_superuser or bool(_memberships(user)))


# What the date hierarchy can filter on: its range for a year ends at the next year's
# start, so 9999, the last year Python has, is not one.
DATE_PARTS = {"year": (1, 9998), "month": (1, 12), "day": (1, 31)}


class ScopedAdmin(admin.ModelAdmin):
    """Shows only rows of the user's councils; `council_field` is the path to them.
    Members may view; only national administrators change, unless a subclass says so."""

    council_field = "organisation"

    def has_module_permission(self, request):
        return is_member(request)

    def has_view_permission(self, request, obj=None):
        return is_member(request)

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

    def changelist_view(self, request, extra_context=None):
        """The list; a date filter that is not a date (year 447700900982) is dropped."""
        if self.date_hierarchy:
            query = request.GET.copy()
            for part, (low, high) in DATE_PARTS.items():
                key = f"{self.date_hierarchy}__{part}"
                found = query.get(key)
                if found is not None and not (
                    len(found) <= 4
                    and found.isascii()
                    and found.isdecimal()
                    and low <= int(found) <= high
                ):
                    del query[key]
            if query != request.GET:
                return HttpResponseRedirect(f"{request.path}?{query.urlencode()}")
        return super().changelist_view(request, extra_context)

    def response_action(self, request, queryset):
        """An action on selected rows, ignoring any selection that is not one of this
        model's IDs (a hand-made request), as if it had not been ticked."""
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if selected:
            valid = [value for value in selected if self._is_pk(value)]
            if len(valid) != len(selected):
                request.POST = request.POST.copy()
                request.POST.setlist(helpers.ACTION_CHECKBOX_NAME, valid)
        return super().response_action(request, queryset)

    def _is_pk(self, value: str) -> bool:
        try:
            self.model._meta.pk.to_python(value)
        except (ValidationError, ValueError, TypeError):
            return False
        return True


class AdministeredAdmin(ScopedAdmin):
    """Rows a council's admins make and change for their own council (API keys, webhook
    subscriptions); its other members only see them. The council field offers only the
    councils the user administers, and is filled in when there is just one."""

    def has_add_permission(self, request):
        return request.user.is_superuser or administers(request.user).exists()

    def has_change_permission(self, request, obj=None):
        if obj is not None:
            return administers_council(request.user, obj.organisation_id)
        councils = administers(request.user)
        return councils is None or councils.exists()

    def get_changeform_initial_data(self, request):
        councils = administers(request.user)
        if councils is not None and councils.count() == 1:
            return {"organisation": councils.get().pk}  # the admin's own council
        return super().get_changeform_initial_data(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organisation":
            councils = administers(request.user)
            kwargs["queryset"] = Organisation.objects.all() if councils is None else councils
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ScopedCouncilFilter(admin.RelatedFieldListFilter):
    """A council filter that lists only the user's councils (never other councils' names)."""

    def field_choices(self, field, request, model_admin):
        councils = councils_of(request.user)
        queryset = Organisation.objects.all() if councils is None else councils
        return [(o.pk, str(o)) for o in queryset.order_by("name")]


class MemberReadOnlyInline(admin.TabularInline):
    """An inline every member of the parent's council can read (the parent is scoped),
    shown as a plain table."""

    template = "admin/edit_inline/read_only_table.html"
    extra = 0
    can_delete = False
    show_change_link = True

    def has_view_permission(self, request, obj=None):
        return is_member(request)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
