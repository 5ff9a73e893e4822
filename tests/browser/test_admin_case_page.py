"""The caseworker's case page in Chromium, pressed as an editor presses it: every step of
both workflows from its button on the case page, assigning, notes, the history, the bulk
"move on" pages — and axe-core finding nothing on the admin's pages, at 1280 and 1024px."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case, CaseEvent, Role, Service
from cases.workflows import WORKFLOWS
from cases.workflows.base import CASEWORKER
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import caseworker, council, make_case, new_case


@pytest.fixture
def north(transactional_db):
    return council(slug="north", name="Northshire", fee_pence=1000)


@pytest.fixture
def editor(page, north):
    user = caseworker(north, role=Role.EDITOR, first_name="Eddie", last_name="Editor")
    sign_in(page, user)
    return user


def source_state(transition) -> str:
    source = transition.source
    sources = source if isinstance(source, list | tuple) else [source]
    return sorted(s for s in sources if s != "*")[0]


def every_caseworker_step():
    """(service, transition name, a state it can be taken from), for every step of both
    workflows a caseworker may take."""
    found = []
    for service, workflow in WORKFLOWS.items():
        seen = set()
        for t in workflow(state=workflow.INITIAL_STATE).get_all_state_transitions():
            if CASEWORKER in t.custom["step"].actors and t.name not in seen:
                seen.add(t.name)
                found.append((service, t.name))
    return found


def prepared(north, service: str, name: str) -> Case:
    workflow = WORKFLOWS[service]
    transition = next(
        t
        for t in workflow(state=workflow.INITIAL_STATE).get_all_state_transitions()
        if t.name == name
    )
    details = {}
    state = source_state(transition)
    if name == "reopen":
        state, details = "fixed", {"fixed_at": timezone.now().isoformat()}
    if state in ("repair_scheduled", "repair_overdue"):
        details["repair_date"] = (timezone.localdate() + timedelta(days=3)).isoformat()
    return make_case(north, service, state, details=details)


def fill_step(page, north, action, name):
    """What each step asks for, filled as a caseworker would."""
    if name in ("schedule_repair", "reschedule_repair"):
        when = timezone.localdate() + timedelta(days=10)
        action.get_by_label("Day").fill(str(when.day))
        action.get_by_label("Month").fill(str(when.month))
        action.get_by_label("Year").fill(str(when.year))
    if name == "mark_duplicate":
        original = new_case(north, Service.STREET_REPORT)
        action.get_by_label("Reference of the original report").fill(original.reference)
    if name == "not_responsible":
        action.get_by_label("Who is responsible, and how the citizen can contact them").fill(
            "National Highways: 0300 123 5000"
        )
    action.get_by_label("Reason (staff only)").fill("Checked on site")
    message = action.get_by_label("Message to the citizen")
    if message.count():
        message.fill("We have looked at your case.")
    confirm = action.get_by_role("checkbox")
    if confirm.count():
        confirm.check()


@pytest.mark.parametrize(("service", "name"), every_caseworker_step())
def test_an_editor_presses_every_step_of_both_workflows_on_the_case_page(
    page, north, editor, service, name
):
    case = prepared(north, service, name)
    page.goto(f"/admin/cases/case/{case.pk}/change/")
    action = page.locator(f'details[data-transition="{name}"]')
    expect(action).to_have_count(1)
    summary = action.locator("summary")
    if action.get_attribute("open") is None:
        summary.click()
    fill_step(page, north, action, name)

    action.locator('input[type="submit"]').click()

    event = CaseEvent.objects.filter(case=case, transition=name)
    expect(page.locator(".messagelist")).to_contain_text(f"{case.reference} is now")
    assert event.count() == 1, page.locator(".messagelist").inner_text()
    after = Case.objects.get(pk=case.pk)
    expect(page.get_by_test_id("state")).to_have_text(after.state_label.en)
    assert event.get().actor_user == editor


def test_the_next_step_comes_first_and_ending_a_case_needs_a_tick(page, north, editor):
    case = make_case(north, Service.BLUE_BADGE, "submitted")
    page.goto(f"/admin/cases/case/{case.pk}/change/")

    steps = page.locator("details[data-transition]")
    expect(steps.first).to_have_attribute("data-transition", "start_assessment")
    expect(steps.first).to_have_attribute("open", "")
    expect(steps.last).to_have_class("waymark-action waymark-action--destructive")
    # Withdrawing is the citizen's step: offered only as done for them.
    expect(page.locator('details[data-transition="withdraw"] summary')).to_contain_text(
        "on the citizen's behalf"
    )

    refuse = page.locator('details[data-transition="refuse"]')
    refuse.locator("summary").click()
    refuse.get_by_label("Reason (staff only)").fill("Not eligible")
    refuse.get_by_label("Message to the citizen").fill("Sorry")
    refuse.locator('input[type="submit"]').click()  # the browser asks for the tick first
    expect(refuse.locator('input[type="checkbox"]:invalid')).to_have_count(1)  # not sent
    assert Case.objects.get(pk=case.pk).state == "submitted"
    refuse.get_by_role("checkbox").check()
    refuse.locator('input[type="submit"]').click()
    expect(page.get_by_test_id("state")).to_have_text("Refused")


def test_assign_to_a_colleague_and_add_a_note(page, north, editor):
    colleague = caseworker(north, first_name="Cara", last_name="Colleague")
    case = new_case(north)
    page.goto(f"/admin/cases/case/{case.pk}/change/")

    page.get_by_label("Assign to").select_option(label="Cara Colleague")
    page.get_by_role("button", name="Assign").click()
    expect(page.locator(".messagelist")).to_contain_text("assigned to Cara Colleague")
    page.get_by_label("Note (staff only)").fill("Called the applicant")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".messagelist")).to_contain_text("Note added")

    assert Case.objects.get(pk=case.pk).assigned_to == colleague
    page.get_by_role("link", name="History").click()
    history = page.get_by_role("table", name=re.compile("Everything that happened"))
    expect(history).to_contain_text("Called the applicant")
    expect(history).to_contain_text("Assigned")


def test_the_case_page_shows_answers_as_the_citizen_gave_them(page, north, editor):
    case = new_case(north)
    page.goto(f"/admin/cases/case/{case.pk}/change/")
    expect(page.get_by_text("Personal Independence Payment (PIP) mobility award")).to_be_visible()
    expect(page.get_by_text("1 April 1950")).to_be_visible()
    expect(page.get_by_test_id("state")).to_have_text("Submitted")
    assert "pip" not in page.locator(".waymark-summary").first.inner_text().split()


def test_bulk_move_on_offers_only_what_the_cases_can_take(page, north, editor):
    ready = [make_case(north, Service.BLUE_BADGE, "submitted") for _ in range(2)]
    approved = make_case(north, Service.BLUE_BADGE, "approved")
    page.goto("/admin/cases/case/")
    for case in [*ready, approved]:
        page.locator(f'input[name="_selected_action"][value="{case.pk}"]').check()
    page.select_option('select[name="action"]', "transition_selected")
    page.get_by_role("button", name="Go").click()

    expect(page.get_by_label("Start assessment — 2 of 3 cases")).to_be_visible()
    expect(page.get_by_label("Order badge — 1 of 3 cases")).to_be_visible()
    expect(page.get_by_text("Approve")).to_have_count(0)  # none of them can be approved
    page.get_by_label("Start assessment — 2 of 3 cases").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Message to each citizen")).to_have_count(0)  # it sends none
    page.get_by_role("button", name="Start assessment: move the cases on").click()

    expect(page.locator("#content")).to_contain_text("2 done")
    assert {Case.objects.get(pk=c.pk).state for c in ready} == {"in_assessment"}


@pytest.mark.parametrize("width", [1280, 1024])
def test_the_admins_pages_have_no_accessibility_problems(page, north, editor, width):
    page.set_viewport_size({"width": width, "height": 900})
    case = new_case(north, Service.STREET_REPORT)
    for url in (
        "/admin/",
        "/admin/cases/case/",
        f"/admin/cases/case/{case.pk}/change/",
        f"/admin/cases/case/{case.pk}/history/",
        "/admin/cases/case/dashboard/",
        "/admin/notify/notification/outbox/",
    ):
        page.goto(url)
        assert axe_violations(page) == [], url


def test_the_case_list_fits_1024px(page, north, editor):
    page.set_viewport_size({"width": 1024, "height": 800})
    for _ in range(3):
        new_case(north)
    page.goto("/admin/cases/case/")
    reference = page.locator("a.waymark-reference").first
    box = reference.bounding_box()
    assert box["height"] < 30  # on one line
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
