"""Examples for the OpenAPI document: one street report followed through its life, as the
API answers about it (the schema test checks every example against its schema)."""

from __future__ import annotations

BASE = "https://waymark.example/api/v1"
ID = "STWYT9UPEXQ73"

CASE = {
    "id": ID,
    "reference": "ST-WYT9-UPEX-Q73",
    "service": "street_report",
    "state": "repair_scheduled",
    "state_label": {"en": "Repair scheduled", "cy": "Atgyweiriad wedi'i drefnu"},
    "stage": "repair",
    "stage_label": {"en": "Repair", "cy": "Atgyweirio"},
    "closed": False,
    "version": 4,
    "due_date": "2027-01-15",
    "overdue": False,
    "assigned_to": "cath.jones",
    "language": "en",
    "applicant": {
        "name": "Sam Reporter",
        "email": "sam@example.com",
        "phone": "",
        "address_line_1": "",
        "address_line_2": "",
        "town": "",
        "postcode": "",
        "contact_preference": "email",
    },
    "answers": {"issue_type": "pothole", "location": "Outside 3 Mill Lane"},
    "created_at": "2026-12-01T09:12:30+00:00",
    "updated_at": "2026-12-03T14:02:11+00:00",
    "closed_at": None,
    "links": {
        "self": f"{BASE}/cases/{ID}",
        "timeline": f"{BASE}/cases/{ID}/timeline",
        "transitions": f"{BASE}/cases/{ID}/transitions",
        "events": f"{BASE}/cases/{ID}/events",
    },
}

CASE_PAGE = {
    "data": [{"sequence": 1042, **CASE}],
    "has_more": True,
    "next_after": 1042,
    "next": f"{BASE}/cases?limit=1&after=1042",
}

EVENT = {
    "id": 5120,
    "case": ID,
    "kind": "transition",
    "transition": "schedule_repair",
    "from_state": "inspected",
    "to_state": "repair_scheduled",
    "actor": {"kind": "partner", "label": "Highways back office"},
    "public": True,
    "message": None,
    "created_at": "2026-12-03T14:02:11+00:00",
    "reason": None,
    "data": {"repair_date": "2027-01-15"},
}

NOTE = {
    **EVENT,
    "id": 5121,
    "kind": "note",
    "transition": None,
    "from_state": "repair_scheduled",
    "public": False,
    "reason": "Rang the reporter: the hole is by the bus stop.",
    "data": {"needs_attention": False},
}

FEED_PAGE = {
    "data": [{"sequence": 88113, **EVENT}],
    "has_more": False,
    "next_after": 88113,
    "next": f"{BASE}/events?after=88113",
}

STEP = {
    "name": "reschedule_repair",
    "label": {"en": "Reschedule repair", "cy": "Aildrefnu atgyweiriad"},
    "actors": ["caseworker", "partner"],
    "reason_required": True,
    "message": "none",
    "destructive": False,
    "data_schema": {
        "type": "object",
        "properties": {"repair_date": {"title": "Repair date", "type": "string", "format": "date"}},
        "required": ["repair_date"],
        "additionalProperties": False,
    },
}

TIMELINE = {
    "headline": "A repair is booked",
    "overdue": False,
    "expected_completion": "2027-01-15",
    "stages": [
        {
            "stage": "reported",
            "title": "Reported",
            "status": "done",
            "completed_at": "2026-12-02T10:00:00+00:00",
            "due_date": None,
            "doing": None,
            "next": None,
        },
        {
            "stage": "repair",
            "title": "Repair",
            "status": "current",
            "completed_at": None,
            "due_date": "2027-01-15",
            "doing": "The repair is booked for 15 January 2027.",
            "next": "We will tell you when it is done.",
        },
    ],
    "outcome": None,
    "citizen_actions": [],
    "entries": [
        {"at": "2026-12-03T14:02:11+00:00", "text": "A repair was booked", "message": None}
    ],
}

# What the partner sends.
CREATE = {
    "service": "street_report",
    "language": "en",
    "applicant": {
        "applicant_name": "Sam Reporter",
        "email": "sam@example.com",
        "contact_preference": "email",
    },
    "answers": {"issue_type": "pothole", "location": "Outside 3 Mill Lane"},
}
TRANSITION = {"reason": "The crew was moved to a burst main", "data": {"repair_date": "2027-01-22"}}
NOTE_TEXT = {"text": "Rang the reporter: the hole is by the bus stop."}
ASSIGNEE = {"username": "cath.jones"}
CONTACT = {"contact_preference": "sms", "reason": "Asked on the phone for texts"}

# The street report's workflow, cut to one step (GET /services lists them all).
SERVICES = {
    "data": [
        {
            "service": "street_report",
            "title": {"en": "Street issue report", "cy": "Adroddiad am broblem ar y stryd"},
            "prefix": "ST",
            "fee_pence": 0,
            "initial_state": "reported",
            "states": [
                {
                    "state": "repair_scheduled",
                    "label": {"en": "Repair scheduled", "cy": "Atgyweiriad wedi'i drefnu"},
                    "closed": False,
                }
            ],
            "stages": [
                {
                    "stage": "repair",
                    "title": {"en": "Repair", "cy": "Atgyweirio"},
                    "states": ["repair_scheduled", "repair_overdue"],
                }
            ],
            "transitions": [{**STEP, "from": ["repair_scheduled"], "to": ["repair_scheduled"]}],
            "create_schema": {
                "type": "object",
                "required": ["service", "applicant", "answers"],
                "properties": {
                    "service": {"const": "street_report"},
                    "answers": {
                        "type": "object",
                        "required": ["issue_type", "location"],
                        "properties": {
                            "issue_type": {"type": "string"},
                            "location": {"type": "string"},
                        },
                    },
                },
            },
        }
    ]
}

# Webhook subscriptions (`webhooks:manage`).
SUBSCRIPTION_CREATE = {
    "name": "CRM",
    "url": "https://crm.example.org/waymark/events",
    "event_types": ["case.created", "case.transitioned"],
    "service": "street_report",
}
SUBSCRIPTION_UPDATE = {"enabled": False}
SUBSCRIPTION = {
    "id": 7,
    **SUBSCRIPTION_CREATE,
    "enabled": True,
    "disabled_reason": None,
    "disabled_at": None,
    "failing_since": None,
    "previous_secret_expires_at": None,
    "created_at": "2026-12-01T09:00:00+00:00",
    "links": {"self": f"{BASE}/webhooks/7", "deliveries": f"{BASE}/webhooks/7/deliveries"},
}
NEW_SUBSCRIPTION = {**SUBSCRIPTION, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
LISTED_DELIVERY = {
    "id": 30211,
    "message_id": "evt_88113_case_transitioned",
    "event_type": "case.transitioned",
    "case": ID,
    "sequence": 88113,
    "status": "delivered",
    "attempts": 2,
    "next_attempt_at": None,
    "last_status_code": 204,
    "last_error": None,
    "delivered_at": "2026-12-03T14:03:12+00:00",
    "created_at": "2026-12-03T14:02:11+00:00",
}
DELIVERY_PAGE = {"data": [LISTED_DELIVERY], "has_more": True, "next_before": 30211}
DELIVERY = {
    **LISTED_DELIVERY,
    "payload": {
        "id": "evt_88113_case_transitioned",
        "type": "case.transitioned",
        "schema_version": 1,
        "occurred_at": "2026-12-03T14:02:11+00:00",
        "sequence": 88113,
        "case": {
            "id": ID,
            "version": 4,
            "council": "northshire",
            "service": "street_report",
            "state": "repair_scheduled",
            "stage": "repair",
            "url": f"{BASE}/cases/{ID}",
        },
        "data": {
            "event_id": 5120,
            "kind": "transition",
            "transition": "schedule_repair",
            "from_state": "inspected",
            "to_state": "repair_scheduled",
        },
    },
    "attempt_log": [
        {
            "at": "2026-12-03T14:03:12+00:00",
            "status_code": 204,
            "latency_ms": 83,
            "response_excerpt": "",
            "error": None,
        },
        {
            "at": "2026-12-03T14:02:12+00:00",
            "status_code": 503,
            "latency_ms": 1204,
            "response_excerpt": "Service Unavailable",
            "error": None,
        },
    ],
}
REPLAY = {"since": "2026-12-01T00:00:00Z", "until": "2026-12-02T23:59:59Z"}
REPLAYED = {
    "deliveries": 412,
    "since": "2026-12-01T00:00:00+00:00",
    "until": "2026-12-02T23:59:59+00:00",
}
