"""Council admins manage their own council's staff: create accounts for it, give roles,
deactivate. They never see, or give a role to, another council's staff."""

from django import forms
from django.contrib import admin
from django.contrib.auth import password_validation
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Prefetch

from cases.admin.scoping import ScopedAdmin, ScopedCouncilFilter, administers, councils_of
from cases.models import Membership, Organisation, Role, StaffAccount


def staff_of(user):
    """The staff accounts a user may see: their councils' (every one for a national
    administrator)."""
    councils = councils_of(user)
    accounts = User.objects.filter(is_staff=True)
    if councils is None:
        return accounts
    return accounts.filter(memberships__organisation__in=councils).distinct()


def managed_by(user):
    """The accounts a user may change: those working only for councils they administer."""
    councils = administers(user)
    accounts = User.objects.filter(is_staff=True)
    if councils is None:
        return accounts
    outside = Membership.objects.exclude(organisation__in=councils).values("user_id")
    return (
        accounts.filter(memberships__organisation__in=councils, is_superuser=False)
        .exclude(pk__in=outside)
        .distinct()
    )


class NewStaffAccountForm(forms.ModelForm):
    """A new caseworker at one of the councils the user administers."""

    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(), label="Council")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.EDITOR)
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = StaffAccount
        fields = ["username", "first_name", "last_name", "email"]

    def __init__(self, *args, councils, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = councils
        self.fields["email"].required = True

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords are not the same")
        elif first:
            user = StaffAccount(username=data.get("username", ""), email=data.get("email", ""))
            try:
                password_validation.validate_password(first, user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data

    def save(self, commit=True):
        user = super().save(commit=False)
        user.is_staff = True
        user.set_password(self.cleaned_data["password1"])
        if commit:
            with transaction.atomic():
                user.save()
                Membership.objects.create(
                    user=user,
                    organisation=self.cleaned_data["organisation"],
                    role=self.cleaned_data["role"],
                )
        return user


@admin.register(StaffAccount)
class StaffAccountAdmin(ScopedAdmin):
    """Caseworkers' accounts. A council admin creates them for their council and can
    deactivate or rename those who work only for councils they administer; roles are
    given under Memberships. Permissions and superuser status stay with national
    administrators (Users)."""

    list_display = ["username", "full_name", "email", "councils", "is_active", "last_login"]
    list_filter = ["is_active", ("memberships__organisation", ScopedCouncilFilter)]
    search_fields = ["username", "first_name", "last_name", "email"]
    fields = ["username", "first_name", "last_name", "email", "is_active", "last_login"]
    readonly_fields = ["username", "last_login"]

    def get_queryset(self, request):
        councils = councils_of(request.user)
        memberships = Membership.objects.select_related("organisation")
        if councils is not None:
            memberships = memberships.filter(organisation__in=councils)
        return StaffAccount.objects.filter(
            pk__in=staff_of(request.user).values("pk")
        ).prefetch_related(
            Prefetch("memberships", queryset=memberships, to_attr="visible_memberships")
        )

    def has_add_permission(self, request):
        councils = administers(request.user)
        return councils is None or councils.exists()

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return self.has_add_permission(request)
        return managed_by(request.user).filter(pk=obj.pk).exists()

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        councils = administers(request.user)
        queryset = Organisation.objects.all() if councils is None else councils

        class Form(NewStaffAccountForm):
            def __init__(self, *args, **kw):
                super().__init__(*args, councils=queryset, **kw)

        return Form

    def get_fields(self, request, obj=None):
        if obj is None:
            return [
                "username",
                "first_name",
                "last_name",
                "email",
                "organisation",
                "role",
                "password1",
                "password2",
            ]
        return self.fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            form.save()  # the account and its membership, together

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    @admin.display(description="name")
    def full_name(self, user):
        return user.get_full_name()

    @admin.display(description="councils and roles")
    def councils(self, user):
        """Only the councils the viewer shares with the account."""
        return ", ".join(
            f"{m.organisation} ({m.get_role_display()})" for m in user.visible_memberships
        )
