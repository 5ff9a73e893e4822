"""`manage.py load_cases`: many cases with timelines, as the product would have made them."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from cases.models import Case, CaseEvent
from cases.selectors import case_timeline

pytestmark = pytest.mark.django_db

STEPS = {"reported": 0, "inspected": 1, "repair_scheduled": 2, "fixed": 3, "closed": 4}


def test_it_loads_cases_whose_events_lead_to_their_state():
    call_command("load_cases", cases=60, council="bench", throwaway=True, stdout=StringIO())
    cases = list(Case.objects.filter(organisation__slug="bench"))
    assert len(cases) == 60
    assert {c.state for c in cases} <= set(STEPS)
    for case in cases:
        events = list(case.events.order_by("created_at", "id"))
        assert events[0].kind == CaseEvent.Kind.CREATED
        assert len(events) == 1 + STEPS[case.state]
        assert events[-1].to_state == case.state
        assert case.version == len(events)
        assert case.stage == case.stage_for_state(case.state).slug
        assert (case.closed_at is not None) == (case.state == "closed")
    timeline = case_timeline(next(c for c in cases if c.state == "repair_scheduled"))
    assert timeline.current.stage.slug == "repair"
    assert len(timeline.entries) == 3

    call_command("load_cases", cases=5, council="bench", throwaway=True, stdout=StringIO())
    assert Case.objects.filter(organisation__slug="bench").count() == 65


def test_it_loads_nothing_unless_told_the_database_is_a_throwaway_one():
    with pytest.raises(CommandError, match="--throwaway"):
        call_command("load_cases", cases=5, council="bench", stdout=StringIO())
    assert not Case.objects.exists()
