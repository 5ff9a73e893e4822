"""Notifications in the admin: the outbox with delivery state, retry and cancel, the
developer's rendered outbox, batch sends and the SMS allowance — scoped to councils."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from cases.actors import EDITING_ROLES
from cases.admin.case_page import reference_search
from cases.admin.extensions import (
    Attention,
    CouncilLink,
    Table,
    add_case_inline,
    add_council_action,
    add_council_link,
    add_dashboard_panel,
)
from cases.admin.scoping import (
    MemberReadOnlyInline,
    ScopedAdmin,
    administers,
    can_edit,
    councils_of,
    is_member,
)
from cases.models import Channel, Language, Organisation
from config.tasks import enqueue
from notify.client import NotifyFailure
from notify.dispatch import WAITING_FOR_KEY
from notify.linking import NoNotifyKey, link_report, save_links
from notify.models import FAILED_STATUSES, Batch, InboundSms, Notification, Status
from notify.services import notification_cancel, notification_retry, sms_allowance
from notify.templates import TEMPLATES


class NotificationInline(MemberReadOnlyInline):
    model = Notification
    fk_name = "case"
    ordering = ["-created_at"]
    fields = ["created_at", "event", "channel", "recipient", "status", "attempts", "last_error"]
    readonly_fields = flatten(fields)


add_case_inline(NotificationInline)


def dashboard_panel(user, scoped) -> list:
    """The dashboard's lines for messages that failed and texts waiting to be read."""
    failed = scoped(Notification.objects.filter(status__in=FAILED_STATUSES), "organisation")
    texts = scoped(
        InboundSms.objects.filter(outcome=InboundSms.Outcome.NEEDS_ATTENTION), "organisation"
    )
    waiting = scoped(
        Notification.objects.filter(status=Status.QUEUED, last_error_type=WAITING_FOR_KEY),
        "organisation",
    )
    statuses = ",".join(sorted(FAILED_STATUSES))
    items = [
        Attention(
            failed.count(),
            "messages that failed",
            f"{reverse('admin:notify_notification_changelist')}?status__in={statuses}",
            testid="failed",
        ),
        Attention(
            texts.count(),
            "text messages from citizens to read",
            f"{reverse('admin:notify_inboundsms_changelist')}?outcome__exact=attention",
        ),
        Table(
            "admin/notify/dashboard_failed.html",
            failed.select_related("case").order_by("-created_at")[:10],
        ),
    ]
    if waiting_count := waiting.count():
        url = reverse("admin:notify_notification_changelist")
        items.insert(
            0,
            Attention(
                waiting_count,
                "messages waiting: the council's GOV.UK Notify key is not set",
                f"{url}?status__exact=queued&last_error_type={WAITING_FOR_KEY}",
                testid="waiting",
            ),
        )
    if user.is_superuser:
        held = InboundSms.objects.filter(outcome=InboundSms.Outcome.HELD).count()
        url = reverse("admin:notify_inboundsms_changelist")
        items.append(
            Attention(held, "texts held: sent to no council's number", f"{url}?outcome__exact=held")
        )
    return items


add_dashboard_panel(dashboard_panel)


@admin.register(Notification)
class NotificationAdmin(ScopedAdmin):
    list_display = [
        "created_at",
        "event",
        "channel",
        "recipient",
        "status_tag",
        "attempts",
        "short_error",
        "case",
        "organisation",
    ]
    list_filter = ["status", "channel", "event", "organisation"]
    list_select_related = ["case", "organisation"]
    search_fields = ["recipient", "case__process_id", "=id", "=notify_id"]
    date_hierarchy = "created_at"
    actions = ["retry", "cancel"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "status",
                    "event",
                    "channel",
                    "recipient",
                    "language",
                    "case",
                    "organisation",
                    "batch",
                    "fallback_of",
                ]
            },
        ),
        ("What the citizen receives", {"fields": ["subject", "body", "fragments"]}),
        (
            "Delivery",
            {
                "fields": [
                    "template_id",
                    "notify_id",
                    "attempts",
                    "next_attempt_at",
                    "last_attempt_at",
                    "unanswered",
                    "last_error_type",
                    "last_error",
                    "sent_at",
                    "completed_at",
                    "created_at",
                ]
            },
        ),
        ("Personalisation", {"classes": ["collapse"], "fields": ["personalisation"]}),
    ]

    def get_search_results(self, request, queryset, search_term):
        """A case's reference finds its messages however it is typed (hyphens, spaces)."""
        found = reference_search(queryset, search_term, "case__process_id")
        if found is not None:
            return found, False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="status", ordering="status")
    def status_tag(self, row):
        colour = {"delivered": "green", "sent": "green", "received": "green"}.get(row.status)
        if row.status.endswith("failure"):
            colour = "#d4351c"
        return format_html(
            '<b style="color:{}">{}</b>', colour or "inherit", row.get_status_display()
        )

    @admin.display(description="error")
    def short_error(self, row):
        return (row.last_error[:80] + "…") if len(row.last_error) > 80 else row.last_error

    def _each_editable(self, request, queryset, action, verb):
        done = skipped = 0
        for row in queryset:
            if can_edit(request.user, row.organisation_id) and action(notification=row):
                done += 1
            else:
                skipped += 1
        self.message_user(request, f"{done} {verb}; {skipped} could not be.", messages.INFO)

    @admin.action(description="Send the selected messages again")
    def retry(self, request, queryset):
        self._each_editable(request, queryset, notification_retry, "queued again")

    @admin.action(description="Cancel the selected messages (only those not sent yet)")
    def cancel(self, request, queryset):
        self._each_editable(request, queryset, notification_cancel, "cancelled")

    def get_urls(self):
        return [
            path("outbox/", self.admin_site.admin_view(self.outbox_view), name="notify_outbox"),
            path(
                "allowance/",
                self.admin_site.admin_view(self.allowance_view),
                name="notify_allowance",
            ),
            path(
                "link-templates/<slug:slug>/",
                self.admin_site.admin_view(self.link_templates_view),
                name="notify_link_templates",
            ),
            *super().get_urls(),
        ]

    def outbox_view(self, request):
        """The developer outbox: exactly what each citizen would receive, newest first;
        searched like the message list (a reference however it is typed, or a recipient)."""
        term = request.GET.get("q", "").strip()
        rows = self.get_queryset(request).select_related("case")
        if term:
            rows, _duplicates = self.get_search_results(request, rows, term)
        context = {
            **self.admin_site.each_context(request),
            "title": "Outbox",
            "rows": rows[:50],
            "q": term,
        }
        return render(request, "admin/notify/outbox.html", context)

    def allowance_view(self, request):
        councils = councils_of(request.user)
        organisations = Organisation.objects.all() if councils is None else councils
        rows = [(organisation, sms_allowance(organisation)) for organisation in organisations]
        context = {
            **self.admin_site.each_context(request),
            "title": "Text message allowance",
            "rows": rows,
            "free": f"{settings.SMS_FREE_FRAGMENTS:,}",
        }
        return render(request, "admin/notify/allowance.html", context)

    def link_templates_view(self, request, slug):
        """Link a council's Notify templates by name (see notify.linking): the report, and
        a button that saves the IDs. Council admins of that council and national
        administrators only."""
        organisation = Organisation.objects.filter(slug=slug).first()
        councils = councils_of(request.user)
        if organisation is None or (
            councils is not None and not councils.filter(pk=organisation.pk).exists()
        ):
            raise Http404("No such council")
        managed = administers(request.user)
        if managed is not None and not managed.filter(pk=organisation.pk).exists():
            raise PermissionDenied("Only the council's admins may link its Notify templates.")
        context = {
            **self.admin_site.each_context(request),
            "title": f"Link Notify templates: {organisation}",
            "organisation": organisation,
            "opts": Organisation._meta,
        }
        try:
            report = link_report(organisation)
        except NoNotifyKey as missing_key:
            context["error"] = missing_key.message
            return render(request, "admin/notify/link_templates.html", context)
        except NotifyFailure as failure:
            context["error"] = (
                f"Could not read {organisation}'s GOV.UK Notify account: {failure.message}. "
                "Nothing was saved."
            )
            return render(request, "admin/notify/link_templates.html", context)
        if request.method == "POST":
            if request.POST.get("fingerprint") != report.fingerprint():
                messages.warning(
                    request,
                    "The Notify account changed since the page was shown: nothing was saved. "
                    "Check the templates below and save again.",
                )
            else:
                changed = save_links(report, clear_missing=bool(request.POST.get("clear_missing")))
                messages.success(
                    request,
                    f"Saved the Notify template IDs of {organisation}: {changed} value(s) changed.",
                )
                return redirect(request.path)
        context.update(report=report, fingerprint=report.fingerprint())
        return render(request, "admin/notify/link_templates.html", context)


@admin.action(description="Link Notify templates by name (one council)")
def link_notify_templates(modeladmin, request, queryset):
    """On the council list: opens the linking page of the council ticked."""
    if queryset.count() != 1:
        modeladmin.message_user(
            request, "Tick one council to link its Notify templates.", messages.WARNING
        )
        return None
    return HttpResponseRedirect(reverse("admin:notify_link_templates", args=[queryset.get().slug]))


# The council pages belong to `cases`, which knows nothing of Notify.
add_council_action(link_notify_templates)
add_council_link(CouncilLink("Link Notify templates", "admin:notify_link_templates"))


class BatchForm(forms.ModelForm):
    event = forms.ChoiceField(
        label="Template",
        choices=[
            (t.event, t.event.replace("_", " ").capitalize()) for t in TEMPLATES.values() if t.batch
        ],
    )
    channel = forms.ChoiceField(choices=Channel.choices)
    language = forms.ChoiceField(choices=Language.choices)
    file = forms.FileField(
        help_text="A CSV file: a header row, then one recipient a row (up to 100,000). "
        "Columns: 'email address', 'phone number' or 'address line 1' to 'address line 7', "
        "and one for each ((placeholder)) in the template."
    )

    class Meta:
        model = Batch
        fields = ["organisation", "event", "channel", "language", "file"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError("The file must be a CSV file (ending .csv)")
        return upload


@admin.register(Batch)
class BatchAdmin(ScopedAdmin):
    form = BatchForm
    list_display = [
        "created_at",
        "event",
        "channel",
        "organisation",
        "rows",
        "error_count",
        "status",
    ]
    list_filter = ["status", "organisation"]
    actions = ["send"]

    def has_add_permission(self, request):
        return is_member(request)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "organisation",
            "event",
            "channel",
            "language",
            "file",
            "status",
            "rows",
            "error_count",
            "error_report",
            "created_by",
            "created_at",
        ]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["organisation", "event", "channel", "language", "file"]
        return self.get_readonly_fields(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        councils = councils_of(request.user)
        if obj is None and councils is not None:
            form.base_fields["organisation"].queryset = councils.filter(
                memberships__user=request.user, memberships__role__in=EDITING_ROLES
            )
        return form

    @admin.display(description="errors by row")
    def error_report(self, batch):
        if not batch.errors:
            return "None"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((e.get("row"), e.get("column", ""), e.get("message", "")) for e in batch.errors),
        )
        more = batch.error_count - len(batch.errors)
        tail = format_html("<p>…and {} more.</p>", more) if more > 0 else ""
        return format_html(
            "<table><tr><th>row</th><th>column</th><th>problem</th></tr>{}</table>{}", rows, tail
        )

    def save_model(self, request, obj, form, change):
        if change:
            return
        obj.created_by = request.user
        super().save_model(request, obj, form, change)
        transaction.on_commit(lambda: enqueue("notify.batches.validate_batch_task", obj.pk))

    @admin.action(description="Send the selected batches (only those checked and ready)")
    def send(self, request, queryset):
        queued = 0
        for batch in queryset.filter(status=Batch.Status.READY):
            if can_edit(request.user, batch.organisation_id):
                enqueue("notify.batches.queue_batch_task", batch.pk)
                queued += 1
        self.message_user(request, f"{queued} batch(es) are being queued.")


@admin.register(InboundSms)
class InboundSmsAdmin(ScopedAdmin):
    """Texts citizens sent. One sent to a number no council has is held: only national
    administrators see it."""

    council_field = "organisation"
    list_display = ["received_at", "source_number", "message", "outcome", "action", "case"]
    list_filter = ["outcome"]
    search_fields = ["source_number", "message", "case__process_id"]
    readonly_fields = [f.name for f in InboundSms._meta.fields]
