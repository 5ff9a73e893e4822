"""The change feed: every event a key may see, in commit order, a page at a time; after
hundreds of random operations, replaying it from 0 gives every case's state exactly."""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import feed
from cases.models import Case, CaseEvent, FeedEntry, Service
from cases.services import (
    Actor,
    CaseError,
    allowed_transitions,
    case_add_note,
    case_assign,
    case_transition,
)
from tests.factories import caseworker, new_case
from tests.test_api.conftest import STREET, client_for, make_key

pytestmark = pytest.mark.django_db

BADGE = {
    "service": "blue_badge",
    "applicant": {
        "applicant_name": "Ann Example",
        "email": "ann@example.com",
        "address_line_1": "1 High Street",
        "town": "Northtown",
        "postcode": "AB1 2CD",
        "contact_preference": "email",
    },
    "answers": {"eligibility": "pip", "date_of_birth": "1950-04-01"},
}


def step_data(case: Case, name: str, rng: random.Random) -> dict:
    when = (timezone.localdate() + timedelta(days=rng.randint(1, 30))).isoformat()
    if name in ("schedule_repair", "reschedule_repair"):
        return {"repair_date": when}
    if name == "not_responsible":
        return {"redirect_to": "National Highways: 0300 123 5000"}
    if name == "mark_duplicate":
        other = Case.objects.filter(service=case.service, organisation=case.organisation)
        return {"duplicate_of": other.exclude(pk=case.pk).first().reference}
    return {}


def read_feed(client, after: int = 0, limit: int = 50) -> list[dict]:
    events = []
    while True:
        page = client.get(f"/api/v1/events?after={after}&limit={limit}").json()
        events += page["data"]
        after = page["next_after"]
        if not page["has_more"]:
            return events


def test_replaying_the_feed_from_0_gives_every_cases_state_after_500_random_operations(api, north):
    rng = random.Random(20261201)
    editor = caseworker(north)
    colleague = caseworker(north, username="cath")
    staff = Actor.caseworker(editor)
    for body in (STREET, BADGE, STREET, BADGE):
        assert api.post("/api/v1/cases", body, format="json").status_code == 201
    done = 0
    while done < 500:
        cases = list(Case.objects.all())
        case = rng.choice(cases)
        roll = rng.random()
        try:
            if roll < 0.05:
                api.post("/api/v1/cases", rng.choice([STREET, BADGE]), format="json")
            elif roll < 0.15:
                case_add_note(case=case.pk, actor=staff, text=f"note {done}")
            elif roll < 0.2:
                case_assign(
                    case=case.pk, assignee=rng.choice([editor, colleague, None]), actor=staff
                )
            else:
                steps = allowed_transitions(case, staff)
                if not steps:
                    continue
                name, step = rng.choice(steps)
                via_api = rng.random() < 0.5 and "partner" in step.actors
                body = {
                    "reason": "random" if step.reason_required else "",
                    "message": "A message" if step.message == "required" else "",
                    "data": step_data(case, name, rng),
                }
                if via_api:
                    url = f"/api/v1/cases/{case.process_id}/transitions/{name}"
                    assert api.post(url, body, format="json").status_code == 200
                else:
                    case_transition(case=case.pk, transition=name, actor=staff, **body)
        except CaseError:
            pass
        done += 1

    events = read_feed(api)

    assert len(events) == CaseEvent.objects.count()
    assert [e["sequence"] for e in events] == sorted(e["sequence"] for e in events)
    rebuilt: dict[str, str] = {}
    for event in events:
        if event["to_state"]:
            rebuilt[event["case"]] = event["to_state"]
    assert rebuilt == dict(Case.objects.values_list("process_id", "state"))


def test_reading_from_the_middle_gives_only_what_came_after(api, north):
    cases = [new_case(north) for _ in range(3)]
    first = api.get("/api/v1/events?limit=2").json()
    assert [e["case"] for e in first["data"]] == [c.process_id for c in cases[:2]]
    assert first["has_more"] is True
    rest = api.get(f"/api/v1/events?after={first['next_after']}").json()
    assert [e["case"] for e in rest["data"]] == [cases[2].process_id]
    assert rest["has_more"] is False
    # Nothing new: the same place comes back, ready for the next poll.
    empty = api.get(f"/api/v1/events?after={rest['next_after']}").json()
    assert (empty["data"], empty["next_after"]) == ([], rest["next_after"])


def test_publishing_gives_each_event_one_entry_however_often_it_runs(north):
    new_case(north)
    feed.publish()
    feed.publish()
    new_case(north)
    feed.publish()
    assert FeedEntry.objects.count() == CaseEvent.objects.count() == 2
    assert list(FeedEntry.objects.values_list("event_id", flat=True)) == list(
        CaseEvent.objects.order_by("id").values_list("id", flat=True)
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="an advisory lock (CI runs it)")
def test_a_publish_that_finds_another_running_leaves_the_work_to_it(north):
    import psycopg

    new_case(north)
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [feed.LOCK_KEY])  # a run in progress
        assert feed.publish() == 0  # at once: it does not wait for the other
        assert not FeedEntry.objects.exists()
        other.execute("SELECT pg_advisory_unlock(%s)", [feed.LOCK_KEY])
    assert feed.publish() == 1


def test_a_feed_page_costs_the_same_queries_for_5_and_50_events(api, north):
    for _ in range(50):
        new_case(north)
    api.get("/api/v1/events")  # the key's "last used" is written once a minute

    def cost(limit: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert len(api.get(f"/api/v1/events?limit={limit}").json()["data"]) == limit
        return len(queries)

    # Publishing (a savepoint, the state and the new events; on PostgreSQL the lock and
    # the horizon too; nothing new, so nothing written), the page itself and the access
    # log (one insert for the page's cases).
    expected = 8 if connection.vendor == "postgresql" else 6
    assert cost(5) == cost(50) == expected


def test_the_feed_filters_by_service(north):
    reader = client_for(make_key(north))
    new_case(north)
    new_case(north, Service.STREET_REPORT)
    events = reader.get("/api/v1/events?service=street_report").json()["data"]
    assert [e["case"][:2] for e in events] == ["ST"]
