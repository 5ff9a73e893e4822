"""Service-level deadlines and the scheduled jobs in `cases.tasks`."""

from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.utils import timezone

from cases import calendar
from cases.models import Case, CaseEvent, Service, ServiceConfig
from cases.selectors import case_timeline
from cases.services import Actor, CaseNotAllowed, case_mark_overdue, case_transition
from cases.tasks import mark_overdue_cases, run_due_transitions
from cases.workflows import blue_badge as bb
from cases.workflows import street_report as st
from tests.factories import council, make_case, new_case

pytestmark = pytest.mark.django_db

WINDOW = st.REOPEN_WINDOW_DAYS


def fresh(case) -> Case:
    return Case.objects.get(pk=case.pk)


def set_due(case, due: date | None) -> None:
    Case.objects.filter(pk=case.pk).update(due_date=due)


def overdue_events(case) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.OVERDUE))


# --- The first deadline -----------------------------------------------------------------


def test_new_blue_badge_case_is_due_in_5_working_days():
    case = fresh(new_case(council()))
    assert case.stage == "received"
    assert case.due_date == calendar.add_working_days(case.created_at, 5)
    assert case.overdue is False


def test_new_street_report_is_due_in_2_working_days():
    case = fresh(new_case(council(), Service.STREET_REPORT))
    assert case.stage == "reported"
    assert case.due_date == calendar.add_working_days(case.created_at, 2)


@pytest.mark.parametrize(
    ("created", "due"),
    [
        # Friday 1 May 2026; Monday 4 May is a bank holiday: 5, 6, 7, 8, 11 May.
        (datetime(2026, 5, 1, 10, 0, tzinfo=UTC), date(2026, 5, 11)),
        # 23:30 UTC on Thursday 30 April is already Friday 1 May in London.
        (datetime(2026, 4, 30, 23, 30, tzinfo=UTC), date(2026, 5, 11)),
        # Thursday 30 April at noon: 1, 5, 6, 7, 8 May.
        (datetime(2026, 4, 30, 12, 0, tzinfo=UTC), date(2026, 5, 8)),
    ],
)
def test_first_deadline_on_known_dates(created, due):
    with mock.patch("django.utils.timezone.now", return_value=created):
        case = new_case(council())
    case = fresh(case)
    assert case.created_at == created
    assert case.due_date == due


def test_first_deadline_honours_the_councils_sla_override():
    organisation = council()
    ServiceConfig.objects.filter(organisation=organisation, service=Service.BLUE_BADGE).update(
        sla_days={"received": 2}
    )
    case = fresh(new_case(organisation))
    assert case.due_date == calendar.add_working_days(case.created_at, 2)
    assert case.due_date != calendar.add_working_days(case.created_at, 5)

    frozen = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)  # Friday before a bank holiday Monday
    with mock.patch("django.utils.timezone.now", return_value=frozen):
        case = fresh(new_case(organisation))
    assert case.due_date == date(2026, 5, 6)


# --- mark_overdue_cases -----------------------------------------------------------------


def test_mark_overdue_cases_flags_exactly_the_late_open_cases(admin_user):
    organisation = council()
    today = timezone.localdate()
    late = new_case(organisation)
    late_report = new_case(organisation, Service.STREET_REPORT)
    due_today = new_case(organisation)
    not_yet_due = new_case(organisation)
    no_deadline = make_case(organisation, Service.BLUE_BADGE, bb.BADGE_ORDERED)
    refused = new_case(organisation)
    case_transition(
        case=refused.pk,
        transition="refuse",
        actor=Actor.caseworker(admin_user),
        reason="Not eligible",
        message="You are not eligible.",
    )
    set_due(late, today - timedelta(days=1))
    set_due(late_report, today - timedelta(days=30))
    set_due(due_today, today)
    set_due(refused, today - timedelta(days=10))  # closed: never overdue, whatever the date
    untouched = [due_today, not_yet_due, no_deadline, refused]
    before = {c.pk: (fresh(c).due_date, fresh(c).version) for c in untouched}
    events_before = CaseEvent.objects.count()

    assert mark_overdue_cases() == 2

    assert set(Case.objects.filter(overdue=True).values_list("pk", flat=True)) == {
        late.pk,
        late_report.pk,
    }
    assert CaseEvent.objects.count() == events_before + 2
    for case, stage, due in [
        (late, "received", today - timedelta(days=1)),
        (late_report, "reported", today - timedelta(days=30)),
    ]:
        (event,) = overdue_events(case)
        assert event.actor_kind == "system"
        assert event.public is True
        assert event.data == {"due_date": due.isoformat(), "stage": stage}
        assert fresh(case).due_date == due
    for case in untouched:
        assert overdue_events(case) == []
        assert (fresh(case).due_date, fresh(case).version) == before[case.pk]
        assert fresh(case).overdue is False

    # A second run changes nothing.
    assert mark_overdue_cases() == 0
    assert CaseEvent.objects.count() == events_before + 2
    assert Case.objects.filter(overdue=True).count() == 2


def test_case_mark_overdue_returns_none_for_a_case_not_yet_due():
    case = new_case(council())
    assert case_mark_overdue(case=case.pk, actor=Actor.system("test")) is None
    assert fresh(case).overdue is False
    assert overdue_events(case) == []


# --- A new stage, a new deadline --------------------------------------------------------


def test_moving_to_a_new_stage_clears_overdue_and_sets_a_new_due_date(admin_user):
    case = new_case(council())
    set_due(case, timezone.localdate() - timedelta(days=2))
    mark_overdue_cases()
    assert fresh(case).overdue is True

    moved = case_transition(
        case=case.pk, transition="start_assessment", actor=Actor.caseworker(admin_user)
    )
    event = CaseEvent.objects.get(case=case, transition="start_assessment")

    case = fresh(moved)
    assert case.stage == "assessment"
    assert case.overdue is False
    assert case.stage_entered_at == event.created_at
    assert case.due_date == calendar.add_working_days(event.created_at, 20)
    assert case.due_date > timezone.localdate()
    assert case_timeline(case).overdue is False


def test_moving_within_a_stage_keeps_its_deadline(admin_user):
    case = new_case(council())
    actor = Actor.caseworker(admin_user)
    case_transition(case=case.pk, transition="start_assessment", actor=actor)
    due = fresh(case).due_date
    entered = fresh(case).stage_entered_at

    case_transition(
        case=case.pk, transition="request_evidence", actor=actor, message="Send a GP letter."
    )
    case = fresh(case)
    assert case.state == bb.EVIDENCE_REQUESTED
    assert case.stage == "assessment"
    assert case.due_date == due
    assert case.stage_entered_at == entered


@pytest.mark.parametrize(
    ("task", "late"),
    [
        ("cases.tasks.mark_overdue_cases", "overdue"),
        ("cases.tasks.run_due_transitions", "missed repair"),
    ],
)
def test_a_case_sweep_out_of_time_stops_between_cases_and_queues_itself_again(
    task, late, settings, monkeypatch
):
    """However many cases are due, one run stops within CASE_SWEEP_SECONDS and the same
    job, queued again at once, goes on with the rest."""
    organisation, today = council(), timezone.localdate()
    if late == "overdue":
        cases = [new_case(organisation) for _ in range(3)]
        for case in cases:
            set_due(case, today - timedelta(days=1))
    else:
        day = (today - timedelta(days=1)).isoformat()
        cases = [
            make_case(organisation, Service.STREET_REPORT, st.REPAIR_SCHEDULED,
                      details={"repair_date": day})
            for _ in range(3)
        ]  # fmt: skip
    run = {"cases.tasks.mark_overdue_cases": mark_overdue_cases,
           "cases.tasks.run_due_transitions": run_due_transitions}[task]  # fmt: skip
    clock = iter([0, 0, 10, 20, 30, 40])  # the sweep's start, then one reading a case
    monkeypatch.setattr("cases.tasks.time.monotonic", lambda: next(clock))
    queued = []
    monkeypatch.setattr("cases.tasks.enqueue", queued.append)
    settings.CASE_SWEEP_SECONDS = 15

    assert run() == 2  # at 0 and 10 s; at 20 s the time is up
    assert queued == [task]
    changed = [c for c in cases if fresh(c).version > 1]
    assert len(changed) == 2

    monkeypatch.setattr("cases.tasks.time.monotonic", lambda: 0)
    assert run() == 1  # the queued run: the one left
    assert all(fresh(c).version == 2 for c in cases)
    assert queued == [task]


def test_the_case_sweeps_budget_must_fit_in_the_task_timeout(settings):
    from django.core.checks import run_checks

    settings.CASE_SWEEP_SECONDS = settings.Q_CLUSTER["timeout"] - 5
    assert "waymark.E003" in [m.id for m in run_checks()]
    settings.CASE_SWEEP_SECONDS = 30
    assert "waymark.E003" not in [m.id for m in run_checks()]


# --- Street reports: scheduled transitions ----------------------------------------------


def test_run_due_transitions_moves_missed_repairs_and_closes_old_fixes():
    organisation = council()
    today = timezone.localdate()
    now = timezone.now()

    def repair(on: date) -> Case:
        return make_case(
            organisation,
            Service.STREET_REPORT,
            st.REPAIR_SCHEDULED,
            details={"repair_date": on.isoformat()},
        )

    def fixed(ago: timedelta) -> Case:
        return make_case(
            organisation,
            Service.STREET_REPORT,
            st.FIXED,
            details={"fixed_at": (now - ago).isoformat()},
        )

    missed = repair(today - timedelta(days=1))
    booked_today = repair(today)
    booked_later = repair(today + timedelta(days=7))
    stale = fixed(timedelta(days=WINDOW + 2))
    recent = fixed(timedelta(days=2))
    end_of_window = fixed(timedelta(days=WINDOW))

    assert run_due_transitions() == 2

    assert fresh(missed).state == st.REPAIR_OVERDUE
    (event,) = CaseEvent.objects.filter(case=missed)
    assert (event.transition, event.from_state, event.to_state) == (
        "repair_date_missed",
        st.REPAIR_SCHEDULED,
        st.REPAIR_OVERDUE,
    )
    assert event.actor_kind == "system"

    closed = fresh(stale)
    assert closed.state == st.CLOSED
    assert closed.closed_at is not None
    assert closed.due_date is None
    (event,) = CaseEvent.objects.filter(case=stale)
    assert (event.transition, event.actor_kind) == ("close", "system")

    for case, state in [
        (booked_today, st.REPAIR_SCHEDULED),
        (booked_later, st.REPAIR_SCHEDULED),
        (recent, st.FIXED),
        (end_of_window, st.FIXED),
    ]:
        assert fresh(case).state == state
        assert fresh(case).version == 1
        assert not CaseEvent.objects.filter(case=case).exists()

    events = CaseEvent.objects.count()
    assert run_due_transitions() == 0
    assert CaseEvent.objects.count() == events
    assert fresh(missed).state == st.REPAIR_OVERDUE
    assert fresh(stale).state == st.CLOSED


def test_while_a_repair_is_booked_the_due_date_is_the_repair_date(admin_user):
    case = new_case(council(), Service.STREET_REPORT)
    actor = Actor.caseworker(admin_user)
    case_transition(case=case.pk, transition="inspect", actor=actor)
    repair_on = timezone.localdate() + timedelta(days=10)

    case_transition(
        case=case.pk,
        transition="schedule_repair",
        actor=actor,
        data={"repair_date": repair_on.isoformat()},
    )
    case = fresh(case)
    assert case.state == st.REPAIR_SCHEDULED
    assert case.stage == "repair"
    assert case.details["repair_date"] == repair_on.isoformat()
    assert case.due_date == repair_on
    assert case.due_date != calendar.add_working_days(case.stage_entered_at, 20)
    assert case_timeline(case).current.due_date == repair_on

    moved_to = repair_on + timedelta(days=5)
    case_transition(
        case=case.pk,
        transition="reschedule_repair",
        actor=actor,
        reason="Contractor unavailable",
        data={"repair_date": moved_to.isoformat()},
    )
    assert fresh(case).due_date == moved_to


# --- Street reports: the citizen's window to reopen -------------------------------------


def test_citizen_can_reopen_a_fix_within_the_window():
    case = make_case(
        council(),
        Service.STREET_REPORT,
        st.FIXED,
        details={"fixed_at": (timezone.now() - timedelta(days=3)).isoformat()},
    )
    reopened = case_transition(
        case=case.pk,
        transition="reopen",
        actor=Actor.citizen(case),
        message="The pothole is back after the rain.",
    )
    case = fresh(reopened)
    assert case.state == st.REPORTED
    assert case.stage == "reported"
    assert "repair_date" not in case.details
    event = CaseEvent.objects.get(case=case)
    assert (event.transition, event.actor_kind) == ("reopen", "citizen")
    assert case.due_date == calendar.add_working_days(event.created_at, 2)


def test_citizen_can_reopen_a_closed_report_within_the_window():
    case = make_case(
        council(),
        Service.STREET_REPORT,
        st.CLOSED,
        details={"fixed_at": (timezone.now() - timedelta(days=WINDOW - 1)).isoformat()},
        closed_at=timezone.now(),
    )
    case_transition(case=case.pk, transition="reopen", actor=Actor.citizen(case))
    case = fresh(case)
    assert case.state == st.REPORTED
    assert case.closed_at is None


@pytest.mark.parametrize("state", [st.FIXED, st.CLOSED])
def test_citizen_cannot_reopen_after_the_window(state):
    case = make_case(
        council(),
        Service.STREET_REPORT,
        state,
        details={"fixed_at": (timezone.now() - timedelta(days=WINDOW + 2)).isoformat()},
    )
    with pytest.raises(CaseNotAllowed):
        case_transition(case=case.pk, transition="reopen", actor=Actor.citizen(case))
    assert fresh(case).state == state
    assert fresh(case).version == 1
    assert not CaseEvent.objects.filter(case=case).exists()


def test_reopen_window_counts_from_the_fix_date_in_london():
    # 23:30 UTC on 1 July 2026 is 00:30 on 2 July in London: the window runs to 16 July.
    fixed_at = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    case = make_case(
        council(), Service.STREET_REPORT, st.FIXED, details={"fixed_at": fixed_at.isoformat()}
    )
    last_day = datetime(2026, 7, 16, 12, 0, tzinfo=UTC)
    with mock.patch("django.utils.timezone.now", return_value=last_day):
        assert run_due_transitions() == 0  # the nightly job agrees the window is still open
        case_transition(case=case.pk, transition="reopen", actor=Actor.citizen(case))
    assert fresh(case).state == st.REPORTED
