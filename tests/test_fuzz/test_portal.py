"""Fuzzing every citizen form: each page of both journeys (with the pages before it
answered), check answers, following a report, finding a case, the timeline's actions and
paying."""

import pytest
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import strategies as st

from cases.models import Case, Service
from cases.portal.apply import BLUE_BADGE
from cases.portal.report import STREET_REPORT
from cases.services import Actor, case_create, case_transition
from cases.workflows import street_report
from payments.models import PaymentRequest
from tests.factories import council, make_case, new_case
from tests.test_fuzz.conftest import check, snapshot
from tests.test_fuzz.strategies import FUZZ, NASTY, form_data, text

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
JOURNEYS = {
    "apply": (
        BLUE_BADGE,
        "/apply/northshire/blue-badge/",
        [
            ("eligibility", {"eligibility": "pip"}),
            ("date-of-birth", {"day": "1", "month": "4", "year": "1950"}),
            ("name", {"applicant_name": "Ann Example"}),
            ("contact", {"contact_preference": "email"}),
            ("contact-email", {"email": "ann@example.com"}),
        ],
    ),
    "report": (
        STREET_REPORT,
        "/report/northshire/",
        [
            ("what", {"issue_type": "pothole"}),
            ("where", {"location": "Outside 3 Mill Lane"}),
            ("photo", {"action": "continue"}),
            ("name", {"applicant_name": "Sam Reporter"}),
            ("contact", {"contact_preference": "none"}),
        ],
    ),
}


@pytest.fixture
def northshire(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    return council(slug="northshire", fee_pence=1000)


def answered(client, base, posts):
    for slug, data in posts:
        response = client.post(f"{base}{slug}/", data)
        assert response.status_code == 302, (slug, response.content[:500])


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    try:
        return SimpleUploadedFile(name, content)
    except SuspiciousFileOperation:  # no name a browser would send ("", "..")
        return SimpleUploadedFile("file", content)


def files():
    """What a file page may be sent: nothing, a real PDF, junk, under any name."""
    one = st.builds(
        _upload,
        st.one_of(st.sampled_from(["a.pdf", "x.html", ".", "a" * 300]), text),
        st.one_of(st.just(PDF), st.binary(max_size=200)),
    )
    return st.one_of(st.none(), one, st.lists(one, max_size=3))


def step_fields(flow, slug) -> list[str]:
    step = flow.step(slug)
    return list(step.form.base_fields) if step.form else ["action", "remove"]


@pytest.mark.parametrize("journey", sorted(JOURNEYS))
@FUZZ
@given(data=st.data())
def test_every_page_of_both_journeys_takes_any_answer_without_a_server_error(
    client, northshire, journey, data
):
    flow, base, posts = JOURNEYS[journey]
    answered(client, base, posts)
    slugs = [step.slug for step in flow.steps] + ["check-answers", "saved", "confirmation"]
    slug = data.draw(st.sampled_from(slugs))
    fields = step_fields(flow, slug) if slug in {s.slug for s in flow.steps} else ["action"]
    post = data.draw(form_data(fields))
    if flow.step(slug).files if slug in {s.slug for s in flow.steps} else False:
        chosen = data.draw(files())
        if chosen is not None:
            post["files"] = chosen
    before = snapshot()
    try:
        response = client.post(f"{base}{slug}/", post)
    except UnicodeEncodeError:
        return  # text a browser could not send (a lone surrogate)
    check(response, before, what=(journey, slug, post))


@FUZZ
@given(post=form_data(["contact"]), token=st.one_of(st.sampled_from(NASTY), text))
def test_following_a_report_takes_anything(client, northshire, post, token):
    """The "already reported" page's form, and any follow link's pages."""
    near = case_create(
        organisation=northshire,
        service=Service.STREET_REPORT,
        applicant={"applicant_name": "Neighbour", "contact_preference": "none"},
        answers={"issue_type": "pothole", "location": "By the post box"},
        actor=Actor.system("tests"),
    )
    client.post("/report/northshire/what/", {"issue_type": "pothole"})
    client.post("/report/northshire/where/", {"location": "X", "location_postcode": "AB1 2CD"})
    Case.objects.filter(pk=near.pk).update(answers={**near.answers, "location_postcode": "AB1 2CD"})
    chose = client.post("/report/northshire/nearby/", {"nearby": near.process_id})
    assert chose["Location"] == "/report/northshire/already-reported/"
    for url in (
        "/report/northshire/already-reported/",
        f"/follow/{token}/confirm/",
        f"/follow/{token}/stop/",
    ):
        before = snapshot()
        try:
            response = client.post(url, post)
        except UnicodeEncodeError:
            continue  # text a browser could not send (a lone surrogate)
        check(response, before, what=(url, post))


@FUZZ
@given(council_slug=st.one_of(st.just("northshire"), text), step=text)
def test_any_journey_address_is_a_page_or_a_404(client, northshire, council_slug, step):
    before = snapshot()
    response = client.get(f"/apply/{council_slug}/blue-badge/{step}/")
    check(response, before, what=("address", council_slug, step))


@FUZZ
@given(post=form_data(["reference", "postcode_or_email"]))
def test_finding_a_case_takes_anything(client, northshire, post):
    new_case(northshire)
    before = snapshot()
    response = client.post("/track/", post)
    check(response, before, what=("track", post))


@pytest.fixture
def citizen(client, northshire):
    """A browser that has found its case: a Blue Badge awaiting payment."""
    case = new_case(northshire)
    response = client.post("/track/", {"reference": case.reference, "postcode_or_email": "AB1 2CD"})
    assert response.status_code == 302
    return case


@pytest.mark.parametrize("page", ["contact", "withdraw", "fixed", "evidence"])
@FUZZ
@given(post=form_data(["contact_preference", "confirm", "fixed", "message", "version"]))
def test_the_timelines_actions_take_anything(client, citizen, admin_user, page, post):
    if page == "fixed" and citizen.service != Service.STREET_REPORT:
        report = make_case(citizen.organisation, Service.STREET_REPORT, street_report.FIXED)
        client.post("/track/", {"reference": report.reference, "postcode_or_email": "AB1 2CD"})
        target = report
    else:
        target = citizen
    before = snapshot()
    response = client.post(f"/track/{target.process_id}/{page}/", post)
    check(response, before, what=(page, post))


@FUZZ
@given(reference=st.one_of(st.sampled_from(NASTY), text), token=st.one_of(st.none(), text))
def test_any_timeline_address_and_link_token_is_handled(client, citizen, reference, token):
    before = snapshot()
    response = client.get(f"/track/{reference}/", {"t": token} if token is not None else {})
    check(response, before, what=("timeline", reference, token))


@pytest.fixture
def owed(citizen, admin_user):
    """The citizen's fee, once their application is approved."""
    actor = Actor.caseworker(admin_user)
    case_transition(case=citizen.pk, transition="start_assessment", actor=actor)
    case_transition(case=citizen.pk, transition="approve", actor=actor)
    return PaymentRequest.objects.get(case=citizen)


@FUZZ
@given(post=form_data(["outcome"]), code=text)
def test_paying_and_the_language_toggle_take_anything(client, owed, post, code):
    request = owed
    for call in (
        lambda: client.post(f"/pay/{request.pk}/", post),
        lambda: client.get(f"/pay/{request.pk}/return/"),
        lambda: client.get(f"/language/{code}/", {"next": code}),
    ):
        before = snapshot()
        check(call(), before, what=("pay", post, code))
