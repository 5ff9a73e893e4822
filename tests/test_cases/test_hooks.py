"""A transition's hooks write their outbox rows in the same transaction as the change,
and queue work only once that transaction commits."""

from unittest import mock

import pytest
from django.db import transaction

from cases.models import CaseEvent, PaymentProvider, Service
from cases.services import Actor, case_transition
from cases.workflows import blue_badge as bb
from notify.models import Notification
from payments.models import PaymentRequest
from tests.factories import council, make_case, new_case

pytestmark = pytest.mark.django_db


def approve(case, admin_user):
    case_transition(case=case, transition="start_assessment", actor=Actor.caseworker(admin_user))
    return case_transition(case=case, transition="approve", actor=Actor.caseworker(admin_user))


@pytest.mark.parametrize(
    ("contact", "channel", "recipient"),
    [
        ("email", "email", "ann@example.com"),
        ("sms", "sms", "+447911123456"),
        ("letter", "letter", "Ann Example\n1 High Street\nNorthtown\nAB1 2CD"),
    ],
)
def test_a_notifying_transition_creates_one_row_for_the_chosen_channel(
    contact, channel, recipient, admin_user
):
    case = new_case(council(), contact=contact)
    Notification.objects.all().delete()

    case_transition(
        case=case,
        transition="request_evidence",
        actor=Actor.caseworker(admin_user),
        message="Please send a copy of your PIP award letter",
    )

    row = Notification.objects.get(case=case)
    assert (row.event, row.channel, row.recipient) == ("evidence_requested", channel, recipient)
    assert row.status == Notification.Status.QUEUED
    assert row.case_event == CaseEvent.objects.get(case=case, transition="request_evidence")
    assert row.personalisation["message"] == "Please send a copy of your PIP award letter"
    assert row.personalisation["reference"] == case.reference


def test_a_citizen_who_opted_out_gets_no_notification(admin_user):
    case = new_case(council(), contact="none")
    case_transition(
        case=case, transition="request_evidence", actor=Actor.caseworker(admin_user), message="x"
    )
    assert not Notification.objects.filter(case=case).exists()


def test_a_channel_the_council_does_not_offer_falls_back_to_email(admin_user):
    organisation = council()
    organisation.service_configs.update(enabled_channels=["email", "letter"])
    case = new_case(organisation, contact="sms")
    row = Notification.objects.get(case=case)
    assert (row.channel, row.recipient) == ("email", "ann@example.com")


def test_rolling_back_the_transaction_leaves_no_outbox_rows(admin_user):
    case = make_case(council(fee_pence=1000), Service.BLUE_BADGE, bb.IN_ASSESSMENT)

    seen_inside = {}

    def transition_then_fail():
        with transaction.atomic():
            case_transition(case=case, transition="approve", actor=Actor.caseworker(admin_user))
            seen_inside["notifications"] = Notification.objects.filter(case=case).count()
            seen_inside["payments"] = PaymentRequest.objects.filter(case=case).count()
            raise RuntimeError("the caller's transaction fails after the transition")

    with pytest.raises(RuntimeError):
        transition_then_fail()

    assert seen_inside == {"notifications": 1, "payments": 1}

    case.refresh_from_db()
    assert case.state == bb.IN_ASSESSMENT
    assert not Notification.objects.filter(case=case).exists()
    assert not PaymentRequest.objects.filter(case=case).exists()
    assert not CaseEvent.objects.filter(case=case).exists()


def test_delivery_is_queued_only_when_the_transaction_commits(
    admin_user, django_capture_on_commit_callbacks
):
    case = make_case(council(), Service.BLUE_BADGE, bb.SUBMITTED)
    with mock.patch("django_q.tasks.async_task") as async_task:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            case_transition(
                case=case,
                transition="request_evidence",
                actor=Actor.caseworker(admin_user),
                message="x",
            )
            async_task.assert_not_called()
        # the message's delivery, and the webhooks' announcement of the event (a council
        # with no subscription queues nothing for it)
        assert [callback.func.__name__ for callback in callbacks] == [
            "announce",
            "enqueue_delivery",
        ]
        for callback in callbacks:
            callback()
    row = Notification.objects.get(case=case)
    async_task.assert_called_once_with(
        "notify.tasks.send_notification",
        str(row.pk),
        sync=False,
        task_name=f"notify-{row.pk}",
        save=False,
    )


def test_a_fee_stage_creates_one_payment_request_for_the_councils_fee(admin_user):
    organisation = council(fee_pence=1000)
    organisation.service_configs.filter(service=Service.BLUE_BADGE).update(
        payment_provider=PaymentProvider.STRIPE
    )
    case = approve(new_case(organisation), admin_user)

    assert case.state == bb.AWAITING_PAYMENT
    request = PaymentRequest.objects.get(case=case)
    assert request.amount_pence == 1000
    assert request.currency == "GBP"
    assert request.provider == PaymentProvider.STRIPE
    assert request.reference == case.process_id
    assert request.status == PaymentRequest.Status.REQUESTED
    assert list(
        Notification.objects.filter(case=case)
        .values_list("event", flat=True)
        .order_by("created_at")
    ) == ["application_received", "payment_requested"]


def test_a_free_council_skips_the_payment_stage(admin_user):
    case = approve(new_case(council(fee_pence=0)), admin_user)

    assert case.state == bb.APPROVED
    assert not PaymentRequest.objects.filter(case=case).exists()
    assert "payment" not in [stage.slug for stage in case.visible_stages()]
    assert Notification.objects.filter(case=case, event="application_approved").count() == 1
    assert not Notification.objects.filter(case=case, event="payment_requested").exists()


def test_asking_again_after_an_unknown_payment_replaces_the_open_request(admin_user):
    case = approve(new_case(council(fee_pence=1000)), admin_user)
    system = Actor.system("reconciliation")
    case_transition(case=case, transition="payment_unknown", actor=system, reason="Pay timed out")
    case_transition(
        case=case, transition="payment_not_received", actor=system, reason="Nothing at Pay"
    )

    statuses = list(
        PaymentRequest.objects.filter(case=case)
        .order_by("created_at")
        .values_list("status", flat=True)
    )
    assert statuses == [PaymentRequest.Status.CANCELLED, PaymentRequest.Status.REQUESTED]
