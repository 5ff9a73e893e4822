"""Background delivery of queued notifications."""

import logging

from notify.models import Notification

logger = logging.getLogger(__name__)


def send_notification(notification_id: str) -> str:
    """Delivers one queued notification. Until a Notify backend is configured, messages
    go to the log (the local backend); a row that is no longer queued is left alone."""
    updated = Notification.objects.filter(
        pk=notification_id, status=Notification.Status.QUEUED
    ).update(status=Notification.Status.DELIVERED)
    if updated:
        logger.info("local notification backend: delivered %s", notification_id)
    return "delivered" if updated else "skipped"
