"""What each Open311 method answers, as `cases.open311.render` trees, with the spec's
element names in the spec's order. Nothing here names the reporter or how to contact
them: Open311's GETs are open to anyone."""

from __future__ import annotations

from datetime import date, datetime, time

from django.conf import settings
from django.utils import timezone

from cases.links import media_link
from cases.models import CaseEvent
from cases.open311.reads import Report, steps
from cases.open311.render import Document, Many
from cases.open311.statuses import stage_code, status_of
from cases.selectors import entry_text
from cases.workflows.street_report import StreetReportAnswers, StreetReportCase

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-02T00:00:00+00:00"  # when what this endpoint answers last changed
FORMATS = ("text/xml", "application/json")
GROUP = StreetReportCase.TITLE.en
SERVICE_NAMES = dict(StreetReportAnswers.ISSUE_TYPES)  # service_code → service_name

# The attributes every street report service takes: both are filled by FixMyStreet
# itself (`automated=server_set`), never asked of the reporter.
ATTRIBUTES = (
    {
        "code": "fixmystreet_id",
        "description": "FixMyStreet's ID for the report: a report sent again with the same "
        "ID is answered with the first one's service_request_id, never made twice",
    },
    {
        "code": "closest_address",
        "description": "The address nearest the pin: where the problem is, when "
        "address_string is not sent",
    },
)


def w3c(moment: datetime | None) -> str | None:
    """A date and time as the spec writes it: UK time, with its offset."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def day_start(day: date | None) -> str | None:
    """A day as a date and time: its first moment, UK time."""
    return w3c(timezone.make_aware(datetime.combine(day, time.min))) if day else None


def discovery() -> Document:
    return Document(
        "discovery",
        {
            "changeset": CHANGESET,
            "contact": "Ask the council whose street reports you send or read: its "
            "administrators run this service.",
            "key_service": "A council's administrators make API keys in Waymark's admin "
            "(API keys, then Add), with the cases:write scope, for the council's own "
            "reports.",
            "endpoints": Many(
                "endpoint",
                [
                    {
                        "specification": SPECIFICATION,
                        "url": f"{settings.SITE_URL}/open311/v2",
                        "changeset": CHANGESET,
                        "type": "test" if settings.DEBUG else "production",
                        "formats": Many("format", list(FORMATS)),
                    }
                ],
            ),
        },
    )


def service_list() -> Document:
    return Document(
        "services",
        Many(
            "service",
            [
                {
                    "service_code": code,
                    "service_name": name,
                    "description": None,
                    "metadata": True,
                    "type": "realtime",
                    "keywords": None,
                    "group": GROUP,
                }
                for code, name in StreetReportAnswers.ISSUE_TYPES
            ],
        ),
    )


def service_definition(code: str) -> Document:
    return Document(
        "service_definition",
        {
            "service_code": code,
            "attributes": Many(
                "attribute",
                [
                    {
                        "variable": False,
                        "code": attribute["code"],
                        "datatype": "string",
                        "required": False,
                        "datatype_description": None,
                        "order": order,
                        "description": attribute["description"],
                        "automated": "server_set",
                        "values": Many("value", []),
                    }
                    for order, attribute in enumerate(ATTRIBUTES, start=1)
                ],
            ),
        },
    )


def request_list(reports: list[Report], *, now: datetime) -> Document:
    return Document("service_requests", Many("request", [_request(r, now) for r in reports]))


def _request(report: Report, now: datetime) -> dict:
    case, answers = report.case, report.case.answers
    code = answers.get("issue_type", "other")
    return {
        "service_request_id": case.process_id,
        "status": status_of(case.state).open311,
        "status_notes": _news_text(report),
        "service_name": SERVICE_NAMES.get(code, code),
        "service_code": code,
        "description": answers.get("description") or None,
        "agency_responsible": case.organisation.name,
        "service_notice": None,
        "requested_datetime": w3c(case.created_at),
        "updated_datetime": w3c(report.news.created_at if report.news else case.created_at),
        "expected_datetime": day_start(report.expected),
        "address": answers.get("location") or None,
        "address_id": None,
        "zipcode": answers.get("location_postcode") or None,
        "lat": answers.get("latitude"),
        "long": answers.get("longitude"),
        "media_url": _media_url(report, now),
    }


def _news_text(report: Report) -> str | None:
    if report.news is None:
        return None
    return entry_text(report.case, report.news, report.steps) or None


def _media_url(report: Report, now: datetime) -> str | None:
    """The report's own photo, by a signed link that expires; else the first link to one
    its Open311 client sent."""
    if report.photo is not None:
        return media_link(report.photo, now=now.timestamp())
    links = report.submission.media_urls if report.submission else []
    return links[0] if links else None


def update_list(events: list[CaseEvent]) -> Document:
    """The mySociety extension's `servicerequestupdates`: one per public timeline event."""
    return Document(
        "service_request_updates",
        Many(
            "request_update",
            [
                {
                    "update_id": str(event.pk),
                    "service_request_id": event.case.process_id,
                    "status": status_of(event.to_state).fixmystreet,
                    "updated_datetime": w3c(event.created_at),
                    "description": entry_text(event.case, event, steps()),
                    "media_url": None,
                    "external_status_code": stage_code(event.to_state),
                }
                for event in events
            ],
        ),
    )


def created(process_id: str) -> Document:
    """The answer to a POST: realtime, so the ID at once (never a token)."""
    return Document(
        "service_requests",
        Many(
            "request",
            [{"service_request_id": process_id, "service_notice": None, "account_id": None}],
        ),
    )


def token_answer(process_id: str) -> Document:
    return Document(
        "service_requests",
        Many("request", [{"service_request_id": process_id, "token": process_id}]),
    )
