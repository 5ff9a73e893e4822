"""The case's fees in the partner API (`GET /api/v1/cases/{id}/payments`), added through
`cases.api.extensions`: what was asked, by which provider, and what was paid and
refunded."""

from rest_framework import serializers

from cases.api.extensions import CaseResource
from cases.api.representations import when
from payments.models import PaymentRequest


class PaymentSchema(serializers.Serializer):
    id = serializers.UUIDField()
    amount_pence = serializers.IntegerField()
    currency = serializers.CharField()
    description = serializers.CharField()
    provider = serializers.CharField()
    status = serializers.CharField()
    paid_pence = serializers.IntegerField()
    paid_at = serializers.DateTimeField(allow_null=True)
    refunded_pence = serializers.IntegerField()
    created_at = serializers.DateTimeField()


def rows(case) -> list[dict]:
    return [
        {
            "id": str(p.pk),
            "amount_pence": p.amount_pence,
            "currency": p.currency,
            "description": p.description,
            "provider": p.provider,
            "status": p.status,
            "paid_pence": p.paid_pence,
            "paid_at": when(p.paid_at),
            "refunded_pence": p.refunded_pence,
            "created_at": when(p.created_at),
        }
        for p in PaymentRequest.objects.filter(case=case).order_by("created_at")
    ]


EXAMPLE = {
    "id": "6b1d4f52-9c1e-4f0a-8a8e-2f4b1c9d7e30",
    "amount_pence": 1000,
    "currency": "GBP",
    "description": "Blue Badge fee",
    "provider": "govuk_pay",
    "status": "paid",
    "paid_pence": 1000,
    "paid_at": "2026-12-04T11:30:00+00:00",
    "refunded_pence": 0,
    "created_at": "2026-12-04T11:20:00+00:00",
}


RESOURCE = CaseResource(
    "payments", rows, PaymentSchema, "The fees asked for the case", example=EXAMPLE
)
