"""One report per key and `attribute[fixmystreet_id]`: FixMyStreet resends a report whose
answer it lost (after 5 minutes, then every 30), and each resend gets the first report's
ID, never a second report — also when two copies arrive at the same moment."""

import threading

import pytest
from django.db import connection, connections

from cases.models import Case, CaseEvent
from cases.open311.models import Open311Submission
from notify.models import Notification
from tests.test_api.conftest import make_key
from tests.test_open311.conftest import FMS_REPORT, WRITE, fms, png, post


def request_id(response) -> str:
    return fms(response.content)["request"][0]["service_request_id"]


@pytest.mark.django_db
def test_a_report_sent_three_times_is_one_report_with_one_answer(client, key):
    answers = [post(client, {**FMS_REPORT, "api_key": key}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].content == answers[1].content == answers[2].content
    case = Case.objects.get()
    assert request_id(answers[0]) == case.process_id
    assert CaseEvent.objects.filter(case=case, kind="created").count() == 1
    assert Notification.objects.filter(case=case).count() == 1  # one acknowledgement
    submission = Open311Submission.objects.get()
    assert (submission.case, submission.fixmystreet_id) == (case, "4455")


@pytest.mark.django_db
def test_a_retry_is_answered_whatever_else_it_carries(client, key):
    first = post(client, {**FMS_REPORT, "api_key": key})
    changed = {**FMS_REPORT, "api_key": key, "description": "Now deeper", "lat": "99"}
    assert post(client, changed, "json").json()[0]["service_request_id"] == request_id(first)
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_each_key_and_each_client_id_has_its_own_report(client, key, north, south):
    other_key = make_key(north, scopes=WRITE, name="Another client")
    south_key = make_key(south, scopes=WRITE)
    ids = {
        request_id(post(client, {**FMS_REPORT, "api_key": key})),
        request_id(post(client, {**FMS_REPORT, "api_key": other_key})),
        request_id(post(client, {**FMS_REPORT, "api_key": south_key})),
        request_id(
            post(client, {**FMS_REPORT, "api_key": key, "attribute[fixmystreet_id]": "4456"})
        ),
    }
    assert len(ids) == Case.objects.count() == 4


@pytest.mark.django_db
def test_without_a_client_id_every_post_is_a_report(client, key):
    report = {k: v for k, v in FMS_REPORT.items() if k != "attribute[fixmystreet_id]"}
    for _ in range(2):
        post(client, {**report, "api_key": key})
    assert Case.objects.count() == Open311Submission.objects.count() == 2
    assert set(Open311Submission.objects.values_list("fixmystreet_id", flat=True)) == {""}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent requests need PostgreSQL (CI runs it)"
)
def test_two_copies_at_once_make_one_report(north):
    from django.test import Client

    text = make_key(north, scopes=WRITE)

    def send(fixmystreet_id, barrier, answers):
        try:
            barrier.wait()
            response = post(
                Client(),
                {**FMS_REPORT, "api_key": text, "attribute[fixmystreet_id]": fixmystreet_id},
            )
            answers.append((response.status_code, response.content))
        finally:
            connections.close_all()

    for round_ in range(1, 11):
        barrier, answers = threading.Barrier(2), []
        threads = [
            threading.Thread(target=send, args=(f"race-{round_}", barrier, answers))
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert Case.objects.count() == round_, answers  # one report, however the two met
        assert [status for status, _body in answers] == [200, 200], answers
        assert answers[0][1] == answers[1][1]  # the same answer, with the same ID


@pytest.mark.django_db
def test_a_copy_that_missed_the_first_is_stopped_by_the_constraint(
    client, key, monkeypatch, settings
):
    """What the second of two simultaneous copies meets: no report yet when it looked,
    then the unique constraint. It answers with the first's ID and keeps none of its files."""
    from cases.open311 import submissions

    first = request_id(post(client, {**FMS_REPORT, "api_key": key, "photo1": png()}))
    looked = submissions.earlier
    calls = []

    def too_early(*args):
        calls.append(args)
        return None if len(calls) == 1 else looked(*args)

    monkeypatch.setattr(submissions, "earlier", too_early)
    again = post(client, {**FMS_REPORT, "api_key": key, "photo1": png()})
    assert again.status_code == 200
    assert request_id(again) == first
    assert len(calls) == 2  # before, and after the constraint refused it
    assert Case.objects.count() == 1
    stored = [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]
    assert len(stored) == 1  # the first report's photo, and nothing of the copy's
