"""Writes to the notification outbox. `cases.services` calls these inside its transaction;
delivery is queued for when that transaction commits."""

from __future__ import annotations

import logging
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation

from cases import hooks
from cases.links import follow_link, short_link, signed_link
from cases.models import Channel, ContactPreference
from cases.money import pounds
from cases.ukdates import long_date, long_iso_date
from cases.validators import normalise_postcode
from cases.workflows.base import Notify, NotifyFollower
from config.tasks import enqueue
from notify import status as statuses
from notify.linking import configured_template_id
from notify.models import Notification
from notify.sms import fragments
from notify.templates import FOLLOWER_UPDATES, fill, get_template

if TYPE_CHECKING:
    from cases.models import Case, CaseEvent, Follower

logger = logging.getLogger(__name__)


def letter_address(case: Case) -> str:
    """The case's postal address as Notify wants it (3 to 7 lines, the last a UK
    postcode), or "" if it cannot take a letter."""
    try:
        postcode = normalise_postcode(case.postcode)
    except ValidationError:
        return ""
    lines = [case.applicant_name, case.address_line_1, case.address_line_2, case.town]
    lines = [*[line.strip() for line in lines if line and line.strip()][:6], postcode]
    return "\n".join(lines) if len(lines) >= 3 and case.address_line_1 else ""


def recipient_for(case: Case, channel: str) -> str:
    if channel == Channel.EMAIL:
        return case.email
    if channel == Channel.SMS:
        return case.phone
    if channel == Channel.LETTER:
        return letter_address(case)
    return ""


def channels_for(case: Case) -> list[str]:
    """The channel to use: the citizen's choice if the council offers it and we hold the
    details it needs; otherwise email; none if they asked not to be contacted."""
    preference = case.contact_preference
    if preference == ContactPreference.NONE:
        return []
    enabled = set(case.config.enabled_channels or [])
    for channel in (preference, Channel.EMAIL):
        if channel in enabled and recipient_for(case, channel):
            if channel != preference:
                logger.info(
                    "case %s: cannot use %s, falling back to %s",
                    case.process_id,
                    preference,
                    channel,
                )
            return [channel]
    return []


def _contact_values(case: Case, message: str) -> dict[str, str]:
    """The caseworker's message (as its own paragraph, or nothing) and how to reach the
    council (a line each in an email or a letter; the phone number in a text)."""
    council = case.organisation
    welsh = case.language == "cy"
    lines = []
    if council.contact_phone:
        lines.append(f"{'Ffôn' if welsh else 'Telephone'}: {council.contact_phone}")
    if council.contact_email:
        lines.append(f"{'E-bost' if welsh else 'Email'}: {council.contact_email}")
    if council.website:
        lines.append(council.website)
    said = "Neges gan eich gweithiwr achos" if welsh else "A message from your caseworker"
    return {
        "caseworker_message": f"\n\n{said}:\n\n{message}" if message else "",
        "council_contact": "\n" + "\n".join(lines) if lines else "",
        "council_phone": (
            f" {'Ffôn' if welsh else 'Tel'} {council.contact_phone}"
            if council.contact_phone
            else ""
        ),
    }


def case_values(case: Case, message: str) -> dict[str, str]:
    """Every value a case template may ask for."""
    values = {
        **_contact_values(case, message),
        **_public_values(case, case.language),
        "name": case.applicant_name,
        "service": case.TITLE.cy if case.language == "cy" else case.TITLE.en,
        "message": message,
        "track_url": signed_link(case),
        "short_url": short_link(case),  # for text messages: fewer fragments
    }
    values.update(hooks.message_values(case))  # e.g. the fee and where to pay it
    return values


def _public_values(case: Case, language: str) -> dict[str, str]:
    """What anyone may be told about a case, in `language`: the council, the reference,
    a report's problem and place, a repair's date, who else a problem is for."""
    council = case.organisation
    values = {
        "reference": case.reference,
        "council": council.name_cy if language == "cy" and council.name_cy else council.name,
    }
    if case.details.get("repair_date"):
        with translation.override(language):  # month names in that language
            values["repair_date"] = long_iso_date(case.details["repair_date"])
    if case.details.get("redirect_to"):
        values["redirect_to"] = case.details["redirect_to"]
    values.update(case.message_values(language))
    return values


def create_notification(
    *,
    case: Case,
    event: str,
    channel: str,
    personalisation: dict,
    case_event: CaseEvent | None = None,
    fallback_of: Notification | None = None,
    follower: Follower | None = None,
) -> Notification:
    """One outbox row, rendered now (a missing value raises MissingPersonalisation). To
    the citizen, or to a `follower` of the case (in their language, at their address)."""
    template = get_template(event)
    language = follower.language if follower else case.language
    needed = template.placeholders(channel, "en") | template.placeholders(channel, "cy")
    values = {key: personalisation[key] for key in needed if key in personalisation}
    subject, body = template.render(channel, language, values)
    notification = Notification.objects.create(
        organisation_id=case.organisation_id,
        case=case,
        case_event=case_event,
        fallback_of=fallback_of,
        follower=follower,
        event=event,
        channel=channel,
        recipient=follower.recipient if follower else recipient_for(case, channel),
        language=language,
        personalisation=values,
        subject=subject,
        body=body,
        fragments=fragments(body) if channel == Channel.SMS else 0,
        template_id=configured_template_id(case.config, event, channel, language)
        or configured_template_id(case.config, event, channel, "en"),
    )
    transaction.on_commit(partial(enqueue_delivery, notification.pk))
    return notification


def notify_hook(hook: Notify, *, case: Case, event: CaseEvent | None, message: str = ""):
    """The handler of a workflow's `Notify` hook (registered in `NotifyConfig.ready`): the
    citizen's message, and the news for the case's followers."""
    notifications_create_for_event(case=case, event=hook.event, case_event=event, message=message)
    if hook.event in FOLLOWER_UPDATES:
        for follower in case.followers.filter(confirmed_at__isnull=False, stopped_at=None):
            follower_notification(
                follower, "follow_update", case=case, case_event=event, news_of=hook.event
            )


def notify_follower_hook(hook: NotifyFollower, *, case: Case, event=None, message: str = ""):
    """The handler of the portal's `NotifyFollower` hook (the link to confirm updates)."""
    follower = case.followers.get(pk=hook.follower_id)
    follower_notification(follower, hook.event, case=case)


def webhook_failing_hook(hook) -> list[Notification]:
    """The handler of `cases.webhooks.outbox.WebhookFailing`: an email to each admin of
    the council (through the Notify account and templates of the subscription's service,
    or of the council's first service when it has none)."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from cases.models import Role
    from cases.webhooks.models import WebhookSubscription
    from cases.webhooks.outbox import DISABLE_AFTER

    subscription = WebhookSubscription.objects.select_related("organisation").get(
        pk=hook.subscription_id
    )
    council = subscription.organisation
    configs = council.service_configs.order_by("-enabled", "pk")
    if subscription.service:
        configs = configs.filter(service=subscription.service)
    config = configs.first()
    admins = (
        get_user_model()
        .objects.filter(
            memberships__organisation=council, memberships__role=Role.ADMIN, is_active=True
        )
        .exclude(email="")
        .order_by("pk")
    )
    if hook.reason:
        news = (
            f"It has been disabled: {hook.reason} Nothing more is sent to it until it is "
            "enabled again."
        )
    else:
        since = subscription.failing_since or timezone.now()
        disable_on = long_date(timezone.localdate(since + DISABLE_AFTER))
        news = f"If every delivery goes on failing, it will be disabled on {disable_on}."
    template = get_template("webhook_failing")
    values = {
        "council": council.name,
        "webhook": subscription.name,
        "url": subscription.url,
        "failing_since": long_date(
            timezone.localdate(subscription.failing_since or timezone.now())
        ),
        "news": news,
        "admin_url": settings.SITE_URL
        + reverse("admin:cases_webhooksubscription_change", args=[subscription.pk]),
    }
    subject, body = template.render(Channel.EMAIL, "en", values)
    made = []
    for admin in admins:
        notification = Notification.objects.create(
            organisation=council,
            event=template.event,
            channel=Channel.EMAIL,
            recipient=admin.email,
            personalisation=values,
            subject=subject,
            body=body,
            template_id=configured_template_id(config, template.event, Channel.EMAIL, "en")
            if config
            else "",
        )
        transaction.on_commit(partial(enqueue_delivery, notification.pk))
        made.append(notification)
    return made


def follower_notification(
    follower: Follower,
    event: str,
    *,
    case: Case,
    case_event: CaseEvent | None = None,
    news_of: str = "",
) -> Notification | None:
    """One message to a follower, if the council sends by their channel. It says only what
    anyone may know (`news_of`: the event whose news it gives), and how to confirm or stop
    their updates."""
    if follower.channel not in (case.config.enabled_channels or []):
        return None
    values = _public_values(case, follower.language)
    if news_of:
        news = FOLLOWER_UPDATES[news_of]
        values["update"] = fill(news.cy if follower.language == "cy" else news.en, values)
    values["confirm_url"] = follow_link(follower, "confirm")
    values["stop_url"] = follow_link(follower, "stop")
    return create_notification(
        case=case,
        event=event,
        channel=follower.channel,
        personalisation=values,
        case_event=case_event,
        follower=follower,
    )


def notifications_create_for_event(
    *, case: Case, event: str, case_event: CaseEvent | None = None, message: str = ""
) -> list[Notification]:
    """The outbox rows for a case event: one per channel the citizen chose."""
    channels = channels_for(case)
    if not channels:
        return []  # the values are worked out only for someone
    values = case_values(case, message)
    return [
        create_notification(
            case=case, event=event, channel=channel, personalisation=values, case_event=case_event
        )
        for channel in channels
    ]


def enqueue_delivery(notification_id) -> None:
    enqueue(
        "notify.tasks.send_notification",
        str(notification_id),
        name=f"notify-{notification_id}",
        keep_result=False,
    )


def notification_retry(*, notification: Notification) -> bool:
    """A caseworker sends a message again; False if it cannot be. A failed message is
    never turned back into a queued one (a status only moves forward): a new message, a
    copy of it, is queued and linked to it. A waiting one is simply made due now."""
    from notify.models import FAILED_STATUSES, Status

    with transaction.atomic():
        row = Notification.objects.select_for_update(of=("self",)).get(pk=notification.pk)
        if row.status == Status.QUEUED:
            row.next_attempt_at = None
            row.save(update_fields=["next_attempt_at", "updated_at"])
            resend = row
        elif row.status in FAILED_STATUSES and not row.resends.exists():
            resend = Notification.objects.create(
                resend_of=row,
                **{field: getattr(row, field) for field in RESEND_FIELDS},
            )
        else:
            return False
        transaction.on_commit(partial(enqueue_delivery, resend.pk))
    return True


# What a resend copies from the message that failed (the rest starts afresh).
RESEND_FIELDS = (
    "organisation_id",
    "case_id",
    "case_event_id",
    "follower_id",
    "batch_id",
    "event",
    "channel",
    "recipient",
    "language",
    "personalisation",
    "subject",
    "body",
    "fragments",
    "template_id",
)


def notification_cancel(*, notification: Notification) -> bool:
    """Stops a message that has not gone to Notify yet; False if it already has."""
    from notify.models import Status

    return statuses.move(
        notification.pk, Status.CANCELLED, only_from={Status.QUEUED}, next_attempt_at=None
    )


def sms_allowance(organisation, *, on: date | None = None) -> dict:
    """Text message fragments sent this financial year (April to March) against the free
    allowance, and what the fragments beyond it cost."""
    from django.db.models import Sum
    from django.utils import timezone

    today = on or timezone.localdate()
    start_year = today.year if today.month >= 4 else today.year - 1
    start, end = date(start_year, 4, 1), date(start_year + 1, 4, 1)
    used = (
        Notification.objects.filter(
            organisation=organisation,
            channel=Channel.SMS,
            sent_at__date__gte=start,
            sent_at__date__lt=end,
        ).aggregate(total=Sum("fragments"))["total"]
        or 0
    )
    free = settings.SMS_FREE_FRAGMENTS
    beyond = max(0, used - free)
    return {
        "year": f"{start_year}/{str(start_year + 1)[-2:]}",
        "used": used,
        "free": free,
        "remaining": max(0, free - used),
        "beyond": beyond,
        "cost_pence": round(beyond * settings.SMS_FRAGMENT_PENCE, 2),
        "cost": pounds(beyond * settings.SMS_FRAGMENT_PENCE),
    }
