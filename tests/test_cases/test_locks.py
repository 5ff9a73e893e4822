"""Row locks on PostgreSQL: only the rows meant, in one order (the case, then its payment
requests, then its notifications), so writers of one council never queue behind each
other and a payment webhook racing a withdrawal never deadlocks."""

import random
import threading
import time
import uuid

import pytest
from django.db import connection, transaction

from cases.models import AccessLog, CaseEvent, Service
from cases.services import Actor, CaseError, case_lock, case_transition
from cases.workflows import blue_badge as bb
from payments.models import PaymentRequest
from payments.providers import PAID, ProviderState, WebhookEvent
from payments.services import payment_start_checkout, payment_webhook
from tests.factories import council, make_case, new_case
from tests.test_cases.test_concurrency import run_in_threads

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs it)"
    ),
]


def hold_lock_on(case, *, until: threading.Event, held: threading.Event):
    """A job that locks the case as the services do and keeps it until told."""

    def job():
        with transaction.atomic():
            case_lock(case.pk)
            held.set()
            assert until.wait(timeout=20)

    return job


def test_a_transition_on_one_case_does_not_wait_for_a_lock_on_another_of_the_council(
    admin_user,
):
    organisation = council()
    locked, other = (make_case(organisation, Service.BLUE_BADGE, bb.SUBMITTED) for _ in range(2))
    held, release = threading.Event(), threading.Event()

    def transition_other():
        assert held.wait(timeout=10)
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:  # waiting for any lock is an error
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
                return case_transition(
                    case=other.pk,
                    transition="start_assessment",
                    actor=Actor.caseworker(admin_user),
                )
        finally:
            release.set()  # only now may the first lock go

    results = run_in_threads(hold_lock_on(locked, until=release, held=held), transition_other)

    assert results[1].state == bb.IN_ASSESSMENT, results


def test_reading_a_locked_case_and_logging_the_read_does_not_wait(admin_user):
    """The case lock is FOR NO KEY UPDATE: rows that only point at the case (the access
    log written as a citizen reads the timeline) are not held up by it."""
    case = make_case(council(), Service.BLUE_BADGE, bb.SUBMITTED)
    held, release = threading.Event(), threading.Event()

    def log_a_read():
        assert held.wait(timeout=10)
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
                AccessLog.objects.create(case_id=case.pk, action=AccessLog.Action.CITIZEN_VIEWED)
            return "logged"
        finally:
            release.set()

    results = run_in_threads(hold_lock_on(case, until=release, held=held), log_a_read)

    assert results[1] == "logged", results


def awaiting_payment(admin_user):
    """A case owing £10 whose citizen has opened a checkout (the local provider)."""
    organisation = council(fee_pence=1000)
    case = new_case(organisation)
    actor = Actor.caseworker(admin_user)
    case_transition(case=case.pk, transition="start_assessment", actor=actor)
    case_transition(case=case.pk, transition="approve", actor=actor)
    request = PaymentRequest.objects.get(case=case)
    request = payment_start_checkout(
        payment_request=request, return_url="http://testserver/r", cancel_url="http://testserver/c"
    )
    return organisation, case, request


def paid_event(request) -> WebhookEvent:
    return WebhookEvent(
        event_id=f"evt-{uuid.uuid4()}",
        type="local.paid",
        payment_request_id=str(request.pk),
        provider_id=request.provider_id,
        state=ProviderState(PAID, paid_pence=1000, payment_id=request.provider_id),
    )


ITERATIONS = 30


def test_a_withdrawal_racing_the_paid_webhook_always_ends_consistently(admin_user):
    """Before the one lock order, the webhook locked the payment request and then the case
    while the withdrawal locked the case and then the payment requests: `deadlock
    detected`. Now every race ends one of two consistent ways, and never in an error."""
    rng = random.Random(20261201)
    endings = {"withdrawn, refund owed": 0, "paid first, withdrawal refused": 0}
    for _ in range(ITERATIONS):
        organisation, case, request = awaiting_payment(admin_user)
        barrier = threading.Barrier(2)
        delays = (rng.random() / 100, rng.random() / 100)

        def withdraw(delay=delays[0], case=case, barrier=barrier):
            barrier.wait()
            time.sleep(delay)
            return case_transition(
                case=case.pk, transition="withdraw", actor=Actor.citizen(case, "portal")
            )

        def webhook(delay=delays[1], organisation=organisation, request=request, barrier=barrier):
            barrier.wait()
            time.sleep(delay)
            return payment_webhook(
                provider="local", organisation=organisation, event=paid_event(request)
            )

        withdrawn, outcome = run_in_threads(withdraw, webhook)

        assert isinstance(outcome, str), outcome  # the webhook never fails
        case.refresh_from_db()
        request.refresh_from_db()
        assert request.status == "paid"
        notes = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.NOTE)
        if case.state == bb.WITHDRAWN:
            assert not isinstance(withdrawn, Exception), withdrawn
            note = notes.get()
            assert note.data == {
                "payment_request": str(request.pk),
                "problem": "refund_owed",
                "needs_attention": True,
            }
            endings["withdrawn, refund owed"] += 1
        else:
            assert case.state == bb.APPROVED
            assert isinstance(withdrawn, CaseError), withdrawn  # a clear refusal
            assert "is not possible" in str(withdrawn)
            assert not notes.exists()
            endings["paid first, withdrawal refused"] += 1
    assert all(endings.values()), endings  # the race was run both ways
