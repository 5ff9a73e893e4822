"""Two writers on one case at once: exactly one wins, the other gets a conflict, and one
event is written. Needs real row locks, so it runs on PostgreSQL (as CI does)."""

import threading

import pytest
from django.db import connection, connections

from cases.models import CaseEvent, Service
from cases.services import Actor, CaseConflict, CaseNotAllowed, case_transition
from cases.workflows import blue_badge as bb
from notify.models import Notification
from tests.factories import council, make_case

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs it)"
    ),
]


def run_in_threads(*jobs):
    """Runs each job in its own thread (own database connection); returns result or error."""
    results = [None] * len(jobs)

    def runner(index, job):
        try:
            results[index] = job()
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_two_caseworkers_at_once_one_wins_one_conflict_one_event(admin_user):
    case = make_case(council(), Service.BLUE_BADGE, bb.SUBMITTED)
    barrier = threading.Barrier(2)
    actor = Actor.caseworker(admin_user)

    def transition(name, **kwargs):
        def job():
            barrier.wait()
            return case_transition(
                case=case.pk, transition=name, actor=actor, expected_version=1, **kwargs
            )

        return job

    results = run_in_threads(
        transition("start_assessment"),
        transition("request_evidence", message="Please send your PIP letter"),
    )

    errors = [r for r in results if isinstance(r, Exception)]
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert len(errors) == 1, results
    assert isinstance(errors[0], CaseConflict)
    case.refresh_from_db()
    assert case.state == winners[0].state
    assert case.version == 2
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_the_second_writer_waits_for_the_lock_then_sees_the_new_state(admin_user):
    """Deterministic: the first writer holds the row lock until the second is waiting."""
    case = make_case(council(), Service.BLUE_BADGE, bb.SUBMITTED)
    actor = Actor.caseworker(admin_user)
    first_has_lock = threading.Event()
    release_first = threading.Event()

    import notify.services

    real = notify.services.notifications_create_for_event

    def slow_hook(**kwargs):
        first_has_lock.set()
        assert release_first.wait(timeout=10)
        return real(**kwargs)

    def first():
        return case_transition(case=case.pk, transition="withdraw", actor=actor)

    def second():
        assert first_has_lock.wait(timeout=10)
        timer = threading.Timer(0.5, release_first.set)  # let the second block on the lock
        timer.start()
        return case_transition(case=case.pk, transition="start_assessment", actor=actor)

    notify.services.notifications_create_for_event = slow_hook
    try:
        results = run_in_threads(first, second)
    finally:
        notify.services.notifications_create_for_event = real

    assert results[0].state == bb.WITHDRAWN
    assert isinstance(results[1], CaseNotAllowed)
    assert "'Withdrawn'" in str(results[1])
    assert CaseEvent.objects.filter(case=case).count() == 1
    assert Notification.objects.filter(case=case).count() == 1


def test_fifty_partners_take_one_step_at_once_one_wins_and_49_clean_conflicts():
    """50 API requests at the same moment, each through the whole stack in its own thread
    and connection, each with the version it read: exactly one step is taken, every other
    request gets a 409 or 412 problem, none a 5xx."""
    from django.test import Client

    from tests.test_api.conftest import make_key

    north = council(slug="north")
    case = make_case(north, Service.STREET_REPORT, "repair_scheduled")
    key = make_key(north)
    path = f"/api/v1/cases/{case.process_id}/transitions/mark_fixed"
    barrier = threading.Barrier(50)

    def step():
        partner = Client(raise_request_exception=False)
        barrier.wait()
        answer = partner.post(
            path,
            {},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
            HTTP_IF_MATCH=f'"{case.version}"',
        )
        return answer.status_code, answer["Content-Type"], answer.json()

    answers = run_in_threads(*[step] * 50)

    statuses = sorted(status for status, _type, _body in answers)
    assert statuses.count(200) == 1, statuses
    assert set(statuses) - {200} <= {409, 412}, statuses
    refused = [(t, b["code"]) for s, t, b in answers if s != 200]
    assert {t for t, _code in refused} == {"application/problem+json"}
    assert {code for _t, code in refused} <= {"conflict", "precondition_failed"}
    case.refresh_from_db()
    assert (case.state, case.version) == ("fixed", 2)
    assert CaseEvent.objects.filter(case=case, transition="mark_fixed").count() == 1
