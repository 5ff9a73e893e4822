"""Webhook subscriptions in the admin: a council's admins make them (the signing secret is
shown once, on the page that follows), rotate the secret, enable a disabled one again,
read the delivery log, send one delivery again and replay a range of days. Members of the
council see them; nobody sees a secret again."""

from datetime import datetime, time

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from cases.admin.scoping import (
    AdministeredAdmin,
    MemberReadOnlyInline,
    ScopedAdmin,
    ScopedCouncilFilter,
    administers,
    administers_council,
)
from cases.ukdates import UKDateField, long_datetime
from cases.webhooks import outbox
from cases.webhooks.models import EventType, WebhookAttempt, WebhookDelivery, WebhookSubscription
from cases.webhooks.subscriptions import (
    subscription_create,
    subscription_rotate_secret,
    subscription_update,
    validate_target,
)

NEW = ["organisation", "name", "url", "event_types", "service"]


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        label="Target URL",
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"size": 70}),
        help_text="HTTPS; events are POSTed to it as JSON.",
    )
    event_types = forms.MultipleChoiceField(
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Send only what the receiving system acts on.",
    )

    class Meta:
        model = WebhookSubscription
        fields = ["organisation", "name", "url", "event_types", "service", "enabled"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            validate_target(url)
        except ValidationError as problem:
            raise ValidationError(problem.message_dict["url"]) from None
        return url


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(AdministeredAdmin):
    list_display = ["name", "organisation", "url", "types", "service", "state", "log"]
    list_filter = [("organisation", ScopedCouncilFilter), "enabled"]
    search_fields = ["name", "url"]
    actions = ["rotate_secret"]
    readonly_fields = ["state", "log", "replay_link"]
    form = SubscriptionForm

    def get_readonly_fields(self, request, obj=None):
        return ["organisation", *self.readonly_fields] if obj else []

    def get_fields(self, request, obj=None):
        return [*NEW, "enabled", "state", "log", "replay_link"] if obj else NEW

    def save_model(self, request, obj, form, change):
        if not change:
            made, request._new_secret = subscription_create(
                by=request.user, **{f: form.cleaned_data[f] for f in NEW}
            )
            obj.pk, obj.secret, obj.after_sequence = made.pk, made.secret, made.after_sequence
            return
        fields = ["name", "url", "event_types", "service", "enabled"]
        stored = WebhookSubscription.objects.get(pk=obj.pk)
        subscription_update(stored, **{f: form.cleaned_data[f] for f in fields})

    def response_add(self, request, obj, post_url_continue=None):
        """The secret, once: this page is the only place it is shown."""
        context = {
            **self.admin_site.each_context(request),
            "subscription": WebhookSubscription.objects.get(pk=obj.pk),
            "secret": request._new_secret,
            "opts": self.model._meta,
            "title": "Copy the signing secret now",
        }
        return render(request, "admin/cases/webhooksubscription/secret.html", context)

    @admin.action(description="Rotate the signing secret (the old one signs too for a day)")
    def rotate_secret(self, request, queryset):
        rotated = [
            (subscription, subscription_rotate_secret(subscription))
            for subscription in queryset
            if administers_council(request.user, subscription.organisation_id)
        ]
        context = {
            **self.admin_site.each_context(request),
            "rotated": rotated,
            "opts": self.model._meta,
            "title": "Copy the new signing secrets now",
        }
        return render(request, "admin/cases/webhooksubscription/secret.html", context)

    @admin.display(description="event types")
    def types(self, subscription):
        return ", ".join(subscription.event_types)

    @admin.display(description="state")
    def state(self, subscription):
        if not subscription.enabled:
            when = long_datetime(subscription.disabled_at)
            return f"disabled {when}: {subscription.disabled_reason}".strip()
        if subscription.failing_since:
            return f"failing since {long_datetime(subscription.failing_since)}"
        return "working"

    @admin.display(description="delivery log")
    def log(self, subscription):
        url = reverse("admin:cases_webhookdelivery_changelist")
        return format_html(
            '<a href="{}?subscription__id__exact={}">Deliveries</a>', url, subscription.pk
        )

    @admin.display(description="replay")
    def replay_link(self, subscription):
        url = reverse("admin:cases_webhooksubscription_replay", args=[subscription.pk])
        return format_html('<a href="{}">Send the events of some days again</a>', url)

    def get_urls(self):
        replay = self.admin_site.admin_view(self.replay_view)
        return [
            path("<int:pk>/replay/", replay, name="cases_webhooksubscription_replay"),
            *super().get_urls(),
        ]

    def replay_view(self, request, pk):
        subscription = get_object_or_404(self.get_queryset(request), pk=pk)
        if not administers_council(request.user, subscription.organisation_id):
            raise PermissionDenied
        form = ReplayForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            since, until = form.range()
            with transaction.atomic():
                count = outbox.replay(subscription, since, until)
            self.message_user(
                request, f"{count} deliveries to {subscription.name} queued.", messages.SUCCESS
            )
            return redirect(
                reverse("admin:cases_webhookdelivery_changelist")
                + f"?subscription__id__exact={subscription.pk}"
            )
        context = {
            **self.admin_site.each_context(request),
            "subscription": subscription,
            "form": form,
            "opts": self.model._meta,
            "title": f"Replay events to {subscription.name}",
        }
        return render(request, "admin/cases/webhooksubscription/replay.html", context)


class ReplayForm(forms.Form):
    since = UKDateField(label="From")
    until = UKDateField(label="To", help_text="Every event on these days and those between.")

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise ValidationError("The first day must not be after the last.")
        return data

    def range(self) -> tuple[datetime, datetime]:
        start = datetime.combine(self.cleaned_data["since"], time.min)
        end = datetime.combine(self.cleaned_data["until"], time.max)
        return timezone.make_aware(start), timezone.make_aware(end)


class AttemptInline(MemberReadOnlyInline):
    """Each attempt of a delivery, for every member of its council to read."""

    model = WebhookAttempt
    fields = readonly_fields = ("at", "status_code", "latency_ms", "error", "response_excerpt")
    show_change_link = False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ScopedAdmin):
    council_field = "subscription__organisation"
    list_display = ["message_id", "subscription", "event_type", "case", "status", "attempts"]
    list_display += ["last_status_code", "next_attempt_at", "delivered_at"]
    list_filter = ["status", "event_type", "subscription"]
    search_fields = ["message_id", "case__process_id"]
    actions = ["redeliver"]
    inlines = [AttemptInline]
    fields = readonly_fields = (
        *("message_id", "subscription", "event_type", "case", "status", "attempts"),
        *("next_attempt_at", "delivered_at", "last_status_code", "last_error", "payload"),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("subscription", "case")

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Send the selected deliveries again")
    def redeliver(self, request, queryset):
        allowed = [
            delivery
            for delivery in queryset.select_related("subscription")
            if administers_council(request.user, delivery.subscription.organisation_id)
        ]
        with transaction.atomic():
            for delivery in allowed:
                outbox.redeliver(delivery)
        self.message_user(request, f"{len(allowed)} deliveries queued again.", messages.SUCCESS)

    def get_actions(self, request):
        actions = super().get_actions(request)
        councils = administers(request.user)
        if councils is not None and not councils.exists():
            actions.pop("redeliver", None)  # only a council's admins send again
        return actions
