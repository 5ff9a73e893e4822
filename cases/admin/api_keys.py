"""API keys in the admin: a council's admins make them (the key is shown once, on the
page that follows), see when each was last used, and revoke them. Other members see the
list; no one ever sees a key again."""

from datetime import datetime, time

from django import forms
from django.contrib import admin, messages
from django.shortcuts import render
from django.utils import timezone

from cases.admin.scoping import AdministeredAdmin, ScopedCouncilFilter, administers
from cases.api.keys import api_key_revoke, forget, issue
from cases.models import ApiKey
from cases.ukdates import UKDateField, long_datetime


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=ApiKey.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Give a key only what its system needs.",
    )
    expires_on = UKDateField(
        label="Expires on",
        required=False,
        help_text="It stops working at the end of that day. Leave blank for a key that "
        "does not expire (revoke it when it is no longer needed).",
    )

    class Meta:
        model = ApiKey
        fields = ["organisation", "name", "scopes", "service"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.expires_at:
            self.initial["expires_on"] = timezone.localtime(self.instance.expires_at).date()

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day and day < timezone.localdate():
            raise forms.ValidationError("The expiry date must be today or in the future")
        return day

    def save(self, commit=True):
        day = self.cleaned_data.get("expires_on")
        end = datetime.combine(day, time.max) if day else None
        self.instance.expires_at = timezone.make_aware(end) if end else None
        return super().save(commit)


@admin.register(ApiKey)
class ApiKeyAdmin(AdministeredAdmin):
    form = ApiKeyForm
    list_display = [
        "name",
        "organisation",
        "display_prefix",
        "scope_list",
        "service",
        "expires",
        "last_used",
        "state",
    ]
    list_filter = [("organisation", ScopedCouncilFilter)]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return ["organisation", "scopes", "service"] if obj else []

    def get_fields(self, request, obj=None):
        return ["organisation", "name", "scopes", "service", "expires_on"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name", "expires_at"])
            forget(obj)  # this process checks it afresh; the others within TRUSTED_FOR
            return
        obj.created_by = request.user
        request._new_api_key = issue(obj)
        obj.save()

    def response_add(self, request, obj, post_url_continue=None):
        """The key, once: it is not kept, so this page is the only place it is ever seen."""
        context = {
            **self.admin_site.each_context(request),
            "key": obj,
            "text": request._new_api_key,
            "opts": self.model._meta,
            "title": "Copy the new API key now",
        }
        return render(request, "admin/cases/apikey/created.html", context)

    @admin.action(description="Revoke the selected keys (they stop working within 30 seconds)")
    def revoke(self, request, queryset):
        councils = administers(request.user)
        allowed = list(queryset if councils is None else queryset.filter(organisation__in=councils))
        for key in allowed:
            api_key_revoke(key=key)
        self.message_user(request, f"Revoked {len(allowed)} key(s).", messages.SUCCESS)

    @admin.display(description="scopes")
    def scope_list(self, key):
        return ", ".join(key.scopes)

    @admin.display(description="expires", ordering="expires_at")
    def expires(self, key):
        return long_datetime(key.expires_at) or "never"

    @admin.display(description="last used", ordering="last_used_at")
    def last_used(self, key):
        return long_datetime(key.last_used_at) or "never"

    @admin.display(description="state")
    def state(self, key):
        if key.revoked_at:
            return f"revoked {long_datetime(key.revoked_at)}"
        return "in use" if key.is_usable else "expired"
