"""Every state × every transition of each workflow: the allowed ones succeed, the rest
raise a clear error and write nothing. The expected tables below are the specification;
they are written out by hand, not read from the workflows."""

import pytest

from cases.models import CaseEvent, Service
from cases.services import Actor, CaseNotAllowed, case_transition
from cases.workflows import blue_badge as bb
from cases.workflows import street_report as st
from cases.workflows import workflow_class
from notify.models import Notification
from payments.models import PaymentRequest
from tests.factories import council, make_case

pytestmark = pytest.mark.django_db

BEFORE_DECISION = {bb.SUBMITTED, bb.EVIDENCE_REQUESTED, bb.EVIDENCE_RECEIVED, bb.IN_ASSESSMENT}

# transition: (source states, target state) — with a fee, so approve waits for payment.
BLUE_BADGE = {
    "request_evidence": (
        {bb.SUBMITTED, bb.EVIDENCE_RECEIVED, bb.IN_ASSESSMENT},
        bb.EVIDENCE_REQUESTED,
    ),
    "receive_evidence": ({bb.EVIDENCE_REQUESTED}, bb.EVIDENCE_RECEIVED),
    "start_assessment": ({bb.SUBMITTED, bb.EVIDENCE_RECEIVED}, bb.IN_ASSESSMENT),
    "approve": ({bb.IN_ASSESSMENT}, bb.AWAITING_PAYMENT),
    "payment_received": ({bb.AWAITING_PAYMENT, bb.PAYMENT_UNKNOWN}, bb.APPROVED),
    "payment_unknown": ({bb.AWAITING_PAYMENT}, bb.PAYMENT_UNKNOWN),
    "payment_not_received": ({bb.PAYMENT_UNKNOWN}, bb.AWAITING_PAYMENT),
    "order_badge": ({bb.APPROVED}, bb.BADGE_ORDERED),
    "dispatch_badge": ({bb.BADGE_ORDERED}, bb.BADGE_DISPATCHED),
    "refuse": (BEFORE_DECISION, bb.REFUSED),
    "withdraw": (BEFORE_DECISION | {bb.AWAITING_PAYMENT, bb.PAYMENT_UNKNOWN}, bb.WITHDRAWN),
    "close_unpaid": ({bb.AWAITING_PAYMENT}, bb.WITHDRAWN),
}
BLUE_BADGE_STATES = [
    bb.SUBMITTED,
    bb.EVIDENCE_REQUESTED,
    bb.EVIDENCE_RECEIVED,
    bb.IN_ASSESSMENT,
    bb.AWAITING_PAYMENT,
    bb.PAYMENT_UNKNOWN,
    bb.APPROVED,
    bb.BADGE_ORDERED,
    bb.BADGE_DISPATCHED,
    bb.REFUSED,
    bb.WITHDRAWN,
]

STREET = {
    "inspect": ({st.REPORTED}, st.INSPECTED),
    "mark_duplicate": ({st.REPORTED, st.INSPECTED}, st.DUPLICATE),
    "not_responsible": ({st.REPORTED, st.INSPECTED}, st.NOT_RESPONSIBLE),
    "schedule_repair": ({st.INSPECTED}, st.REPAIR_SCHEDULED),
    "repair_date_missed": ({st.REPAIR_SCHEDULED}, st.REPAIR_OVERDUE),
    "reschedule_repair": ({st.REPAIR_SCHEDULED, st.REPAIR_OVERDUE}, st.REPAIR_SCHEDULED),
    "mark_fixed": ({st.INSPECTED, st.REPAIR_SCHEDULED, st.REPAIR_OVERDUE}, st.FIXED),
    "confirm_fixed": ({st.FIXED}, st.CLOSED),
    "reopen": ({st.FIXED, st.CLOSED}, st.REPORTED),
    "close": ({st.FIXED}, st.CLOSED),
}
STREET_STATES = [
    st.REPORTED,
    st.DUPLICATE,
    st.NOT_RESPONSIBLE,
    st.INSPECTED,
    st.REPAIR_SCHEDULED,
    st.REPAIR_OVERDUE,
    st.FIXED,
    st.CLOSED,
]

MATRIX = [
    (Service.BLUE_BADGE, state, name, sources, target)
    for name, (sources, target) in BLUE_BADGE.items()
    for state in BLUE_BADGE_STATES
] + [
    (Service.STREET_REPORT, state, name, sources, target)
    for name, (sources, target) in STREET.items()
    for state in STREET_STATES
]


def test_tables_cover_every_state_and_transition_of_the_workflows():
    for service, table, states in [
        (Service.BLUE_BADGE, BLUE_BADGE, BLUE_BADGE_STATES),
        (Service.STREET_REPORT, STREET, STREET_STATES),
    ]:
        workflow = workflow_class(service)
        assert set(workflow.STATE_LABELS) == set(states)
        assert {t.name for t in workflow(state=states[0]).get_all_state_transitions()} == set(table)


def _actor_for(case, meta, admin):
    kinds = meta.actors
    if "system" in kinds:
        return Actor.system("matrix")
    if "caseworker" in kinds:
        return Actor.caseworker(admin)
    if "partner" in kinds:
        return Actor.partner(case.organisation, "matrix partner")
    return Actor.citizen(case)


def _arguments(case, name, meta, organisation):
    kwargs = {}
    if meta.reason_required:
        kwargs["reason"] = "Reason given in the matrix"
    if meta.message != "none":
        kwargs["message"] = "A message for the citizen"
    data = {
        "schedule_repair": {"repair_date": "2099-01-01"},
        "reschedule_repair": {"repair_date": "2099-01-02"},
        "not_responsible": {"redirect_to": "National Highways: 0300 123 5000"},
    }.get(name)
    if name == "mark_duplicate":
        original = make_case(organisation, Service.STREET_REPORT, st.REPORTED)
        data = {"duplicate_of": original.process_id.lower()}
    if data:
        kwargs["data"] = data
    return kwargs


@pytest.mark.parametrize(("service", "state", "name", "sources", "target"), MATRIX)
def test_every_state_by_every_transition(service, state, name, sources, target, admin_user):
    organisation = council(fee_pence=1000)
    case = make_case(organisation, service, state)
    meta = next(t.custom["step"] for t in case.get_all_state_transitions() if t.name == name)
    kwargs = _arguments(case, name, meta, organisation)
    actor = _actor_for(case, meta, admin_user)
    events_before = CaseEvent.objects.count()

    if state in sources:
        result = case_transition(case=case, transition=name, actor=actor, **kwargs)
        assert result.state == target
        result.refresh_from_db()
        assert result.state == target
        assert result.version == 2
        event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.TRANSITION)
        assert (event.from_state, event.to_state, event.transition) == (state, target, name)
        assert event.actor_kind == actor.kind
        assert CaseEvent.objects.count() == events_before + 1
    else:
        with pytest.raises(CaseNotAllowed) as raised:
            case_transition(case=case, transition=name, actor=actor, **kwargs)
        # The message names the current state and what can be done instead.
        assert f"'{case.STATE_LABELS[state]}'" in str(raised.value)
        case.refresh_from_db()
        assert case.state == state
        assert case.version == 1
        assert CaseEvent.objects.count() == events_before
        assert not Notification.objects.filter(case=case).exists()
        assert not PaymentRequest.objects.filter(case=case).exists()
