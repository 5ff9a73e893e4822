"""Writes to the notification outbox. Called by `cases.services` inside its transaction."""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction

from cases.models import Channel, ContactPreference
from notify.models import Notification

if TYPE_CHECKING:
    from cases.models import Case, CaseEvent

logger = logging.getLogger(__name__)


def _recipient(case: Case, channel: str) -> str:
    if channel == Channel.EMAIL:
        return case.email
    if channel == Channel.SMS:
        return case.phone
    if channel == Channel.LETTER:
        return "\n".join(case.address_lines) if case.postcode and case.address_line_1 else ""
    return ""


def channels_for(case: Case) -> list[str]:
    """The channels to use for this case: the citizen's choice, if the council offers it
    and we hold the details; otherwise email as a fallback; none if they opted out."""
    preference = case.contact_preference
    if preference == ContactPreference.NONE:
        return []
    enabled = set(case.config.enabled_channels or [])
    for channel in (preference, Channel.EMAIL):
        if channel in enabled and _recipient(case, channel):
            return [channel]
    return []


def notifications_create_for_event(
    *, case: Case, event: str, case_event: CaseEvent | None = None, message: str = ""
) -> list[Notification]:
    """Creates the outbox rows for `event` (one per channel) and queues their delivery for
    when the surrounding transaction commits."""
    personalisation = {
        "reference": case.reference,
        "name": case.applicant_name,
        "council": case.organisation.display_name,
        "service": str(case.TITLE),
        "message": message,
        "track_url": f"{settings.SITE_URL}/track/",
    }
    created = []
    for channel in channels_for(case):
        if channel != case.contact_preference:
            logger.info(
                "notification falls back to %s for case %s",
                channel,
                case.process_id,
                extra={"event": event},
            )
        created.append(
            Notification.objects.create(
                case=case,
                case_event=case_event,
                event=event,
                channel=channel,
                recipient=_recipient(case, channel),
                language=case.language,
                personalisation=personalisation,
            )
        )
    for notification in created:
        transaction.on_commit(partial(_enqueue, notification.pk))
    return created


def _enqueue(notification_id) -> None:
    from django_q.tasks import async_task

    async_task(
        "notify.tasks.send_notification",
        str(notification_id),
        task_name=f"notify-{notification_id}",
    )
