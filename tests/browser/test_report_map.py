"""The street report's map in Chromium, under the Content-Security-Policy: select the map to
put the pin, drag it, put it with the keyboard or "Use my location"; the report is sent with
the pin; a report already open nearby is offered, and followed instead; axe-core finds
nothing, the console shows no policy violation or script error; and without JavaScript the
page works as before.

Tiles come from a made-up tile server (https://{s}.tile.example.test) that Playwright
answers with one blank PNG, so no test needs the network; the policy still has to allow the
host, since the browser checks it before a request reaches the route."""

from __future__ import annotations

import re
import struct
import zlib

import pytest
from playwright.sync_api import expect

from cases.models import Case, Service
from cases.services import Actor, case_create, case_transition
from notify.models import Notification
from tests.browser.conftest import axe_violations
from tests.browser.test_timeline_actions import Console
from tests.factories import APPLICANT, caseworker, council

TILES = "https://{s}.tile.example.test/{z}/{x}/{y}.png"
HERE = {"latitude": 51.5, "longitude": -0.12}


def blank_png(size: int = 256) -> bytes:
    """A size × size light grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xee" * size for _ in range(size))  # grey, one byte a pixel
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def northshire(transactional_db):
    return council(slug="northshire", name="Northshire Council")


@pytest.fixture
def tiles(page, settings):
    """The map on, its tiles answered locally; returns the tile URLs asked for."""
    settings.MAP_TILE_URL = TILES
    asked: list[str] = []
    png = blank_png()

    def answer(route):
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=png)

    page.route(re.compile(r"https://[a-c]\.tile\.example\.test/.*"), answer)
    return asked


@pytest.fixture
def console(page):
    return Console(page)


def to_the_where_page(page):
    page.goto("/report/northshire/")
    page.get_by_role("button", name="Start now").click()
    page.get_by_label("Pothole").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1")).to_have_text("Where is the problem?")


def pin(page) -> tuple[str, str]:
    return (
        page.locator("input[name=latitude]").input_value(),
        page.locator("input[name=longitude]").input_value(),
    )


def send_without_photo_or_contact(page):
    page.get_by_role("button", name="Continue").click()  # no photo
    page.get_by_label("Full name").fill("Sam Reporter")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Do not contact me").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Send report").click()
    expect(page.locator("h1")).to_have_text("Report sent")


def test_put_the_pin_on_the_map_and_send_the_report(page, northshire, tiles, console):
    to_the_where_page(page)
    group = page.locator("[data-map-group]")
    expect(group).to_be_visible()
    expect(page.locator(".leaflet-tile-loaded").first).to_be_visible()
    assert tiles
    assert all(re.search(r"/\d+/\d+/\d+\.png$", url) for url in tiles)
    expect(page.locator(".leaflet-control-attribution")).to_contain_text(
        "© OpenStreetMap contributors"
    )
    assert pin(page) == ("", "")
    page.get_by_label("Describe where the problem is").fill("Outside 3 Mill Lane")

    page.locator("[data-map]").click(position={"x": 200, "y": 150})

    latitude, longitude = pin(page)
    assert re.fullmatch(r"\d{2}\.\d{6}", latitude), latitude
    assert re.fullmatch(r"-?\d+\.\d{6}", longitude), longitude
    assert 49 <= float(latitude) <= 61
    assert -9 <= float(longitude) <= 2
    expect(page.locator(".leaflet-marker-icon")).to_have_count(1)
    expect(page.locator("[data-map-status]")).to_have_text("The pin is on the map.")
    expect(page.get_by_role("button", name="Remove the pin")).to_be_visible()
    assert axe_violations(page) == []

    # Drag the pin: it moves, and so do the coordinates.
    marker = page.locator(".leaflet-marker-icon").bounding_box()
    page.mouse.move(marker["x"] + 12, marker["y"] + 30)
    page.mouse.down()
    page.mouse.move(marker["x"] + 80, marker["y"] + 90, steps=8)
    page.mouse.up()
    moved = pin(page)
    assert moved != (latitude, longitude)

    page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1")).to_have_text("Add a photo of the problem (optional)")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Full name").fill("Sam Reporter")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Do not contact me").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("main")).to_contain_text("Shown on the map")
    page.get_by_role("button", name="Send report").click()
    expect(page.locator("h1")).to_have_text("Report sent")

    case = Case.objects.get()
    assert (case.answers["latitude"], case.answers["longitude"]) == tuple(map(float, moved))
    assert case.answers["location"] == "Outside 3 Mill Lane"
    console.assert_clean()


def test_with_the_keyboard_the_pin_goes_in_the_middle_and_focus_moves_on(
    page, northshire, tiles, console
):
    to_the_where_page(page)
    expect(page.locator("[data-map][tabindex='0']")).to_be_visible()  # the map is ready
    page.get_by_label("Postcode (optional)").focus()
    page.keyboard.press("Tab")
    expect(page.locator("[data-map]")).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Where is the problem?")  # not sent
    latitude, longitude = pin(page)
    assert latitude
    assert longitude
    expect(page.locator("[data-map-status]")).to_have_text("The pin is on the map.")

    # Tab leaves the map: through its controls, on to the buttons after it.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("!document.activeElement.closest('[data-map]')"):
            break
    assert page.evaluate("document.activeElement.textContent.trim()") in (
        "Use my location",
        "Remove the pin",
    )

    page.get_by_role("button", name="Remove the pin").click()
    assert pin(page) == ("", "")
    expect(page.locator(".leaflet-marker-icon")).to_have_count(0)
    expect(page.locator("[data-map-status]")).to_have_text("The pin is removed.")
    console.assert_clean()


def test_use_my_location_and_follow_a_report_already_made_there(
    page, live_server, northshire, tiles, console
):
    near = case_create(
        organisation=northshire,
        service=Service.STREET_REPORT,
        applicant={**APPLICANT, "contact_preference": "none"},
        answers={
            "issue_type": "pothole",
            "location": "By the post box",
            "latitude": 51.50027,  # 30 m north
            "longitude": -0.12,
        },
        actor=Actor.system("tests"),
    )
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation(HERE)
    to_the_where_page(page)
    page.get_by_label("Describe where the problem is").fill("Outside 3 Mill Lane")

    page.get_by_role("button", name="Use my location").click()

    expect(page.locator("[data-map-status]")).to_have_text("The pin is on the map.")
    assert pin(page) == ("51.500000", "-0.120000")
    page.get_by_role("button", name="Continue").click()

    expect(page.locator("h1")).to_have_text("Is it one of these?")
    assert axe_violations(page) == []
    page.get_by_label("Pothole: By the post box").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.locator("h1")).to_have_text("This problem has already been reported")
    expect(page.get_by_test_id("reference")).to_have_text(near.reference)
    assert axe_violations(page) == []
    assert Case.objects.count() == 1

    # Follow it instead: a link to confirm first, then its news; every update can stop them.
    page.get_by_role("button", name="Get updates").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter an email address or a mobile number"
    )
    page.get_by_label("Email address or UK mobile number").fill("sam@example.com")
    page.get_by_role("button", name="Get updates").click()
    expect(page.locator("h1")).to_have_text("Check your email")
    page.goto(link_in(Notification.objects.get(event="follow_confirm"), "confirm"))
    expect(page.locator("h1")).to_have_text("Confirm you want updates about this report")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Get updates").click()
    expect(page.locator("h1")).to_have_text("You will get updates about this report")

    editor = caseworker(northshire)
    case_transition(case=near.pk, transition="inspect", actor=Actor.caseworker(editor))
    update = Notification.objects.get(event="follow_update")
    assert update.recipient == "sam@example.com"
    assert update.body.startswith("An inspector has looked at it.")
    page.goto(link_in(update, "stop"))
    page.get_by_role("button", name="Stop updates").click()
    expect(page.locator("h1")).to_have_text("You will not get any more updates about this report")
    assert axe_violations(page) == []
    console.assert_clean()


def link_in(notification, action: str) -> str:
    """The path of a follow link in a message (the live server is the page's base URL)."""
    found = re.search(rf"https?://[^/ ]+(/follow/[^ ]+/{action}/)", notification.body)
    assert found, notification.body
    return found.group(1)


def test_without_javascript_there_is_no_map_and_the_report_still_goes(no_js_page, northshire):
    page = no_js_page
    to_the_where_page(page)
    expect(page.locator("[data-map-group]")).to_be_hidden()
    expect(page.get_by_role("button", name="Use my location")).to_be_hidden()
    page.get_by_label("Describe where the problem is").fill("Outside 3 Mill Lane")
    page.get_by_label("Postcode (optional)").fill("ab1 2cd")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1")).to_have_text("Add a photo of the problem (optional)")
    send_without_photo_or_contact(page)
    case = Case.objects.get()
    assert "latitude" not in case.answers
    assert case.answers["location_postcode"] == "AB1 2CD"


@pytest.fixture
def no_js_tiles(no_js_page, settings):
    settings.MAP_TILE_URL = TILES
    no_js_page.route(re.compile(r"https://.*\.tile\.example\.test/.*"), lambda r: r.abort())


def test_without_javascript_the_map_page_with_a_tile_server_works_too(
    no_js_page, northshire, no_js_tiles
):
    page = no_js_page
    to_the_where_page(page)
    expect(page.locator("[data-map-group]")).to_be_hidden()
    page.get_by_label("Describe where the problem is").fill("Outside 3 Mill Lane")
    page.get_by_role("button", name="Continue").click()
    send_without_photo_or_contact(page)
    assert "latitude" not in Case.objects.get().answers


def test_a_pin_outside_the_uk_is_shown_as_an_error_on_the_map(page, northshire, tiles, console):
    to_the_where_page(page)
    page.get_by_label("Describe where the problem is").fill("Outside 3 Mill Lane")
    page.locator("[data-map]").click(position={"x": 200, "y": 150})
    # As a pin from outside the UK would arrive (the map itself keeps to the UK).
    page.locator("input[name=latitude]").evaluate("input => { input.value = '48.8566'; }")
    page.get_by_role("button", name="Continue").click()

    expect(page.locator(".govuk-error-summary")).to_contain_text("Put the pin on a place in the UK")
    expect(page.locator("#map-error")).to_be_visible()
    assert pin(page) == ("", "")  # not put back on the map, nor sent again
    assert axe_violations(page) == []
    page.locator(".govuk-error-summary a").click()
    expect(page.locator("[data-map]")).to_be_focused()

    page.get_by_role("button", name="Continue").click()  # on without a pin
    expect(page.locator("h1")).to_have_text("Add a photo of the problem (optional)")
    console.assert_clean()
