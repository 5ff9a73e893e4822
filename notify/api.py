"""The case's messages in the partner API (`GET /api/v1/cases/{id}/notifications`),
added through `cases.api.extensions`: what was sent to the citizen, by which channel, and
how far it got. Not the messages to a report's followers."""

from rest_framework import serializers

from cases.api.extensions import CaseResource
from cases.api.representations import when
from notify.models import Notification


class NotificationSchema(serializers.Serializer):
    id = serializers.UUIDField()
    event = serializers.CharField()
    channel = serializers.ChoiceField(choices=["email", "sms", "letter"])
    recipient = serializers.CharField()
    language = serializers.CharField()
    status = serializers.CharField(help_text="queued, sending, created, sent, delivered, …")
    fragments = serializers.IntegerField(help_text="Text message fragments (0 for others).")
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)


def rows(case) -> list[dict]:
    found = Notification.objects.filter(case=case, follower=None).order_by("created_at")
    return [
        {
            "id": str(n.pk),
            "event": n.event,
            "channel": n.channel,
            "recipient": n.recipient,
            "language": n.language,
            "status": n.status,
            "fragments": n.fragments,
            "created_at": when(n.created_at),
            "sent_at": when(n.sent_at),
            "completed_at": when(n.completed_at),
        }
        for n in found
    ]


EXAMPLE = {
    "id": "0f5c2a8e-5b7e-4d8e-9a43-7d1f0c7b2e61",
    "event": "repair_scheduled",
    "channel": "email",
    "recipient": "sam@example.com",
    "language": "en",
    "status": "delivered",
    "fragments": 0,
    "created_at": "2026-12-03T14:02:11+00:00",
    "sent_at": "2026-12-03T14:02:14+00:00",
    "completed_at": "2026-12-03T14:02:20+00:00",
}


RESOURCE = CaseResource(
    "notifications",
    rows,
    NotificationSchema,
    "The messages sent to the citizen about the case",
    example=EXAMPLE,
)
