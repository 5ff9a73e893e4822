"""The street report's map and "Is it one of these?": the where page shows a map only when
the site has a tile server (hidden until its script runs, no inline code), keeps the pin
in the answers and refuses one outside the UK; open reports of the same kind within 50 m
(or, without a pin, in the same postcode) are offered before the photo, and choosing one
ends the journey without a new case."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case, Service
from cases.portal import report
from cases.services import Actor, case_create
from notify.models import Notification
from tests.factories import APPLICANT, council
from tests.test_portal.test_report import assert_error
from tests.test_portal.test_security import EVENT_HANDLER, INLINE_SCRIPT, STYLE, directives

BASE = "/report/northshire/"
TILES = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"
HERE = (51.5, -0.12)
METRE = 1 / 111_195  # of latitude, in degrees


@pytest.fixture
def northshire(db):
    return council(slug="northshire", name="Northshire Council")


@pytest.fixture
def with_map(settings):
    settings.MAP_TILE_URL = TILES
    settings.MAP_ATTRIBUTION = "© OpenStreetMap contributors"


def post(client, slug, data):
    return client.post(f"{BASE}{slug}/", data)


def where(latitude=HERE[0], longitude=HERE[1], **extra):
    return {
        "location": "Outside 3 Mill Lane",
        "location_postcode": "AB1 2CD",
        "latitude": latitude,
        "longitude": longitude,
        **extra,
    }


def open_report(organisation, *, north=0.0, issue_type="pothole", state=None, days_ago=0, **kw):
    """A report `north` metres north of HERE (None: no pin), opened the real way."""
    answers = {"issue_type": issue_type, "location": kw.pop("location", "By the bus stop")}
    if north is not None:
        answers |= {"latitude": round(HERE[0] + north * METRE, 6), "longitude": HERE[1]}
    answers |= kw
    case = case_create(
        organisation=organisation,
        service=Service.STREET_REPORT,
        applicant={**APPLICANT, "applicant_name": "Neighbour Smith", "contact_preference": "none"},
        answers=answers,
        actor=Actor.system("tests"),
    )
    changes = {"created_at": timezone.now() - timedelta(days=days_ago)}
    if state:
        changes["state"] = state
    Case.objects.filter(pk=case.pk).update(**changes)
    return Case.objects.get(pk=case.pk)


def journey_answers(client) -> dict:
    return client.session["waymark_journey:street_report:northshire"]["answers"]


def finish(client) -> Case:
    post(client, "photo", {"action": "continue"})
    post(client, "name", {"applicant_name": "Sam Reporter"})
    post(client, "contact", {"contact_preference": "none"})
    response = client.post(BASE + "check-answers/")
    assert response["Location"] == BASE + "confirmation/", response.content.decode()[:3000]
    return Case.objects.latest("created_at")


# --- The map -------------------------------------------------------------------------


def test_without_a_tile_server_the_where_page_has_no_map(client, northshire, settings):
    settings.MAP_TILE_URL = ""
    post(client, "what", {"issue_type": "pothole"})
    html = client.get(BASE + "where/").content.decode()
    for markup in ("data-map", "map.mjs", "leaflet", 'name="latitude"'):
        assert markup not in html, markup
    policy = directives(client.get(BASE + "where/")["Content-Security-Policy"])
    assert policy["img-src"] == {"'self'", "data:"}


def test_with_a_tile_server_the_map_is_there_hidden_until_its_script_runs(
    client, northshire, with_map
):
    post(client, "what", {"issue_type": "pothole"})
    response = client.get(BASE + "where/")
    html = response.content.decode()
    group = re.search(r"<div [^>]*data-map-group[^>]*>", html).group(0)
    assert " hidden" in group
    container = re.search(r"<div [^>]*\sdata-map\s[^>]*>", html, re.S).group(0)
    assert f'data-tile-url="{TILES}"' in container
    assert 'data-attribution="© OpenStreetMap contributors"' in container
    assert 'role="region"' in container
    assert re.search(r'<script type="module" src="/static/js/map\.[0-9a-f]+\.mjs">', html)
    assert re.search(r'<link rel="stylesheet" href="/static/dist/leaflet/leaflet\.', html)
    assert '<input type="hidden" name="latitude" value=""' in html
    assert '<input type="hidden" name="longitude" value=""' in html
    assert not INLINE_SCRIPT.search(html)
    assert not EVENT_HANDLER.search(html)
    assert not STYLE.search(html)
    # The words are still the question; the map comes after them.
    assert html.index('name="location"') < html.index("data-map-group")
    policy = directives(response["Content-Security-Policy"])
    assert policy["img-src"] == {"'self'", "data:", "https://*.tile.openstreetmap.org"}
    assert policy["script-src"] == {"'self'"}
    assert policy["style-src"] == {"'self'"}


def test_the_pin_is_kept_and_sent_with_the_report(client, northshire, with_map):
    post(client, "what", {"issue_type": "pothole"})
    response = post(client, "where", where("51.50123456", "-0.11987661"))
    assert response["Location"] == BASE + "photo/"
    assert journey_answers(client)["where"] == {
        "location": "Outside 3 Mill Lane",
        "location_postcode": "AB1 2CD",
        "latitude": 51.501235,
        "longitude": -0.119877,
    }
    html = client.get(BASE + "where/").content.decode()
    assert '<input type="hidden" name="latitude" value="51.501235"' in html
    case = finish(client)
    assert case.answers["latitude"] == 51.501235
    assert case.answers["longitude"] == -0.119877
    assert "Shown on the map" not in html  # only on check answers


def test_check_answers_says_the_place_is_on_the_map(client, northshire, with_map):
    post(client, "what", {"issue_type": "pothole"})
    post(client, "where", where())
    post(client, "photo", {"action": "continue"})
    post(client, "name", {"applicant_name": "Sam Reporter"})
    post(client, "contact", {"contact_preference": "none"})
    assert "Shown on the map" in client.get(BASE + "check-answers/").content.decode()


def test_without_a_pin_the_page_works_as_before(client, northshire, with_map):
    post(client, "what", {"issue_type": "pothole"})
    response = post(client, "where", where("", ""))
    assert response["Location"] == BASE + "photo/"
    assert "latitude" not in journey_answers(client)["where"]
    assert "latitude" not in finish(client).answers


def test_half_a_pin_is_no_pin(client, northshire, with_map):
    post(client, "what", {"issue_type": "pothole"})
    assert post(client, "where", where("51.5", ""))["Location"] == BASE + "photo/"
    assert "latitude" not in journey_answers(client)["where"]


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [("48.8566", "2.3522"), ("51.5", "-10"), ("62", "3"), ("north", "-0.12")],
)
def test_a_pin_outside_the_uk_is_refused(client, northshire, with_map, latitude, longitude):
    post(client, "what", {"issue_type": "pothole"})
    response = post(client, "where", where(latitude, longitude))
    assert_error(response, "Put the pin on a place in the UK", "id_latitude")
    html = response.content.decode()
    assert html.count('<a href="#id_latitude">') == 1  # one message, however wrong the pin
    assert 'id="id_latitude" class="waymark-map"' in html  # the link goes to the map
    assert "where" not in journey_answers(client)


def test_the_text_location_is_still_required_with_a_pin(client, northshire, with_map):
    post(client, "what", {"issue_type": "pothole"})
    assert_error(
        post(client, "where", where(location="")), "Enter where the problem is", "id_location"
    )


# --- Is it one of these? ---------------------------------------------------------------


def test_open_reports_of_the_same_kind_within_50_metres_are_offered(client, northshire):
    near = open_report(northshire, north=30, location="By the post box", days_ago=3)
    newer = open_report(northshire, north=-45, location="Opposite the school", days_ago=1)
    east = open_report(northshire, north=None, latitude=HERE[0], longitude=-0.11957)  # 30 m
    far = open_report(northshire, north=80, location="Far along Mill Lane")
    closed = open_report(northshire, north=10, state="closed", location="Closed one")
    fixed = open_report(northshire, north=10, state="fixed", location="Fixed one")
    drain = open_report(northshire, north=10, issue_type="drain", location="A drain")
    elsewhere = open_report(council(slug="southshire"), north=0, location="Southshire one")
    inspected = open_report(northshire, north=20, state="inspected", location="Inspected one")

    post(client, "what", {"issue_type": "pothole"})
    assert post(client, "where", where())["Location"] == BASE + "nearby/"
    response = client.get(BASE + "nearby/")
    html = response.content.decode()

    assert response.status_code == 200
    assert "Is it one of these?" in html
    shown = re.findall(r'name="nearby" type="radio" value="(ST[^"]+)"', html)
    assert shown == [inspected.process_id, east.process_id, newer.process_id, near.process_id]
    assert [*shown, "no"] == re.findall(r'type="radio" value="([^"]+)"', html)
    for hidden in (far, closed, fixed, drain, elsewhere):
        assert hidden.process_id not in html
    assert "Pothole: By the post box" in html
    assert f"Reported on {near.created_at.day} " in html
    assert "Stage: Inspected." in html
    assert "Stage: Reported." in html
    assert "No, it is a different problem" in html
    assert f'<a href="{BASE}where/" class="govuk-back-link' in html
    # Nothing of the other reporters themselves.
    assert "Neighbour Smith" not in html
    assert APPLICANT["email"] not in html
    assert not INLINE_SCRIPT.search(html)
    assert not STYLE.search(html)


def test_at_most_five_newest_first(client, northshire):
    made = [open_report(northshire, north=i, days_ago=10 - i) for i in range(7)]
    post(client, "what", {"issue_type": "pothole"})
    post(client, "where", where())
    html = client.get(BASE + "nearby/").content.decode()
    shown = re.findall(r'name="nearby" type="radio" value="(ST[^"]+)"', html)
    assert shown == [case.process_id for case in reversed(made)][:5]


def test_choosing_one_opens_no_case_and_says_which_report_will_fix_it(client, northshire):
    near = open_report(northshire, north=30, location="By the post box")
    post(client, "what", {"issue_type": "pothole"})
    post(client, "where", where())

    response = post(client, "nearby", {"nearby": near.process_id})

    assert response["Location"] == BASE + "already-reported/"
    assert Case.objects.count() == 1
    assert not Notification.objects.exclude(case=near).exists()
    assert "waymark_journey:street_report:northshire" not in client.session
    html = client.get(response["Location"]).content.decode()
    assert "This problem has already been reported" in html
    assert f'<strong data-testid="reference">{near.reference}</strong>' in html
    assert "By the post box" in html
    assert "Neighbour Smith" not in html
    assert f"/track/{near.process_id}/" not in html  # not the other reporter's timeline
    assert client.get(f"/track/{near.process_id}/").status_code == 302  # nor access to it
    # The journey is over: starting again asks everything again.
    assert client.get(BASE + "nearby/")["Location"] == BASE + "what/"


def test_the_already_reported_page_needs_a_report_chosen(client, northshire):
    assert client.get(BASE + "already-reported/")["Location"] == BASE


def test_a_report_not_offered_cannot_be_chosen(client, northshire):
    open_report(northshire, north=30)
    far = open_report(northshire, north=80)
    post(client, "what", {"issue_type": "pothole"})
    post(client, "where", where())
    for data in ({}, {"nearby": far.process_id}):
        assert_error(
            post(client, "nearby", data),
            "Select the report of the problem you found, or that it is a different problem",
            "id_nearby",
        )
    assert Case.objects.count() == 2


def test_no_goes_on_with_the_report_and_opens_a_case_at_the_end(client, northshire):
    near = open_report(northshire, north=30)
    post(client, "what", {"issue_type": "pothole"})
    post(client, "where", where())

    assert post(client, "nearby", {"nearby": "no"})["Location"] == BASE + "photo/"
    photo = client.get(BASE + "photo/").content.decode()
    assert f'<a href="{BASE}nearby/" class="govuk-back-link' in photo
    case = finish(client)

    assert case.pk != near.pk
    assert Case.objects.count() == 2
    assert set(case.answers) == {
        "issue_type",
        "location",
        "location_postcode",
        "latitude",
        "longitude",
    }
    check = client.get(BASE + "nearby/")
    assert check["Location"] == BASE + "what/"  # the journey was sent


def test_without_reports_nearby_the_page_is_skipped(client, northshire):
    open_report(northshire, north=80)
    post(client, "what", {"issue_type": "pothole"})
    assert post(client, "where", where())["Location"] == BASE + "photo/"
    assert client.get(BASE + "nearby/")["Location"] == BASE + "photo/"
    photo = client.get(BASE + "photo/").content.decode()
    assert f'<a href="{BASE}where/" class="govuk-back-link' in photo


def test_something_else_is_never_matched(client, northshire):
    open_report(northshire, north=0, issue_type="other")
    post(client, "what", {"issue_type": "other"})
    assert post(client, "where", where())["Location"] == BASE + "photo/"


def test_without_a_pin_reports_with_the_same_postcode_are_offered(client, northshire):
    same = open_report(northshire, north=None, location_postcode="AB1 2CD")
    open_report(northshire, north=None, location_postcode="ZZ9 9ZZ")
    post(client, "what", {"issue_type": "pothole"})
    assert post(client, "where", where("", ""))["Location"] == BASE + "nearby/"
    html = client.get(BASE + "nearby/").content.decode()
    assert re.findall(r'name="nearby" type="radio" value="(ST[^"]+)"', html) == [same.process_id]


def test_without_a_pin_or_a_postcode_the_page_is_skipped(client, northshire):
    open_report(northshire, north=None, location_postcode="AB1 2CD")
    post(client, "what", {"issue_type": "pothole"})
    response = post(client, "where", where("", "", location_postcode=""))
    assert response["Location"] == BASE + "photo/"


def test_moving_the_pin_near_other_reports_asks_again(client, northshire):
    first = open_report(northshire, north=30)
    post(client, "what", {"issue_type": "pothole"})
    post(client, "where", where())
    post(client, "nearby", {"nearby": "no"})
    post(client, "photo", {"action": "continue"})
    post(client, "name", {"applicant_name": "Sam Reporter"})
    post(client, "contact", {"contact_preference": "none"})

    # Back to the same place: the answer stands.
    assert post(client, "where", where())["Location"] == BASE + "check-answers/"
    # Somewhere with a report not seen yet: asked again.
    other = open_report(northshire, north=1030)
    moved = where(latitude=round(HERE[0] + 1000 * METRE, 6))
    assert post(client, "where", moved)["Location"] == BASE + "nearby/"
    html = client.get(BASE + "nearby/").content.decode()
    assert other.process_id in html
    assert first.process_id not in html


def test_distance_is_measured_on_the_earth():
    assert report.distance_metres(*HERE, *HERE) == 0
    assert report.distance_metres(51.5, -0.12, 51.5 + 50 * METRE, -0.12) == pytest.approx(50)
    # London to Edinburgh, about 534 km.
    assert report.distance_metres(51.5074, -0.1278, 55.9533, -3.1883) == pytest.approx(
        534_000, rel=0.01
    )
