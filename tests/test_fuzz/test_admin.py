"""Fuzzing the admin's own views and actions: the case list's search and filters, the
case page, transitions, notes, bulk actions, refunds, messages, staff and memberships."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cases.models import Role, Service
from cases.services import Actor, case_transition
from cases.workflows import WORKFLOWS
from payments.models import PaymentRequest
from payments.providers import PAID, ProviderState
from payments.services import payment_apply_state
from tests.factories import caseworker, council, make_case, new_case
from tests.test_fuzz.conftest import check, snapshot
from tests.test_fuzz.strategies import FUZZ, form_data, text

pytestmark = pytest.mark.django_db

TRANSITIONS = sorted(
    {
        t.name
        for w in WORKFLOWS.values()
        for t in w(state=w.INITIAL_STATE).get_all_state_transitions()
    }
)
STEP_FIELDS = ["repair_date", "duplicate_of", "redirect_to"]


@pytest.fixture
def world(client, admin_user):
    """Two councils with cases in several states; signed in as an editor of the first."""
    north, south = council(slug="north", fee_pence=1000), council(slug="south")
    editor = caseworker(north, role=Role.ADMIN)
    cases = [
        new_case(north),
        new_case(north, Service.STREET_REPORT),
        make_case(north, Service.STREET_REPORT, "inspected"),
        new_case(south),
    ]
    actor = Actor.caseworker(admin_user)
    case_transition(case=cases[0].pk, transition="start_assessment", actor=actor)
    case_transition(case=cases[0].pk, transition="approve", actor=actor)
    request = PaymentRequest.objects.get(case=cases[0])
    payment_apply_state(
        payment_request=request, state=ProviderState(PAID, paid_pence=1000), source="test"
    )
    client.force_login(editor)
    return {"cases": cases, "payment": request, "editor": editor, "north": north}


ids = st.one_of(st.sampled_from(["1", "2", "3", "4", "0", "-1", "abc", "1.5"]), text)


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "q",
                "stage",
                "state",
                "service__exact",
                "overdue__exact",
                "assigned",
                "organisation__id__exact",
                "o",
                "p",
                "created_at__year",
                "created_at__month",
                "all",
                "e",
                "_changelist_filters",
            ]
        ),
        text,
        max_size=4,
    )
)
def test_the_case_list_takes_any_search_and_filter(client, world, params):
    before = snapshot()
    check(client.get("/admin/cases/case/", params), before, what=("changelist", params))


@FUZZ
@given(object_id=ids, page=st.sampled_from(["change", "history", "delete"]))
def test_any_case_page_address_is_a_page_a_redirect_or_a_404(client, world, object_id, page):
    before = snapshot()
    check(client.get(f"/admin/cases/case/{object_id}/{page}/"), before, what=(object_id, page))


@FUZZ
@given(
    which=st.integers(0, 3),
    name=st.one_of(st.sampled_from(TRANSITIONS), text),
    post=form_data(["reason", "message", "version", *[f"data-{f}" for f in STEP_FIELDS]]),
)
def test_any_transition_post_is_done_or_refused_plainly(client, world, which, name, post):
    case = world["cases"][which]
    before = snapshot()
    response = client.post(f"/admin/cases/case/{case.pk}/transition/{name}/", post)
    check(response, before, what=("transition", name, post))


@FUZZ
@given(which=st.integers(0, 3), post=form_data(["text"]))
def test_any_note_is_added_or_refused_plainly(client, world, which, post):
    case = world["cases"][which]
    before = snapshot()
    check(client.post(f"/admin/cases/case/{case.pk}/note/", post), before, what=("note", post))


@FUZZ
@given(
    action=st.one_of(
        st.sampled_from(["assign_to_me", "unassign", "transition_selected", "export_csv"]), text
    ),
    selected=st.lists(ids, max_size=4),
    post=form_data(["apply", "transition", "reason", "message", "select_across", "index"]),
)
def test_any_bulk_action_post_is_done_or_refused_plainly(client, world, action, selected, post):
    data = {**post, "action": action, "_selected_action": selected or [""]}
    before = snapshot()
    response = client.post("/admin/cases/case/", data)
    check(response, before, what=("action", data))


@FUZZ
@given(post=form_data(["amount", "reason"]), payment_id=st.one_of(st.just(None), text))
def test_any_refund_post_is_made_or_refused_plainly(client, world, post, payment_id):
    pk = world["payment"].pk if payment_id is None else payment_id
    before = snapshot()
    try:
        response = client.post(f"/admin/payments/paymentrequest/{pk}/refund/", post)
    except UnicodeEncodeError:
        return
    check(response, before, what=("refund", post))


@FUZZ
@given(
    model=st.sampled_from(
        [
            "notify/notification",
            "payments/paymentrequest",
            "notify/inboundsms",
            "cases/staffaccount",
            "cases/membership",
            "payments/providerevent",
        ]
    ),
    action=st.one_of(st.sampled_from(["retry", "cancel", "delete_selected"]), text),
    selected=st.lists(ids, max_size=3),
    q=text,
)
def test_the_other_lists_take_any_search_and_action(client, world, model, action, selected, q):
    before = snapshot()
    check(client.get(f"/admin/{model}/", {"q": q}), before, what=(model, q))
    before = snapshot()
    response = client.post(
        f"/admin/{model}/", {"action": action, "_selected_action": selected or [""], "index": "0"}
    )
    check(response, before, what=(model, action, selected))


@FUZZ
@given(
    page=st.sampled_from(["cases/staffaccount", "cases/membership"]),
    post=form_data(
        [
            "username",
            "first_name",
            "last_name",
            "email",
            "organisation",
            "role",
            "password1",
            "password2",
            "user",
        ]
    ),
)
def test_staff_and_membership_forms_take_anything(client, world, page, post):
    before = snapshot()
    check(client.post(f"/admin/{page}/add/", post), before, what=(page, post))


@FUZZ
@given(evidence_id=ids)
def test_any_evidence_download_address_is_a_file_or_a_404(client, world, evidence_id):
    before = snapshot()
    response = client.get(f"/admin/cases/case/evidence/{evidence_id}/download/")
    check(response, before, what=("download", evidence_id))
