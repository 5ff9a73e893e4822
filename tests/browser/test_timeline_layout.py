"""The timeline on a 320px-wide phone, in English and in Welsh: nothing makes the page
scroll sideways (the messages table included), no stage label is broken inside a word, the
current stage looks different from the stages to come, and axe-core finds nothing."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from cases.links import signed_link
from cases.models import Channel, Service
from cases.services import Actor, case_create, case_transition
from notify.models import Notification, Status
from tests.browser.conftest import axe_violations
from tests.factories import ANSWERS, APPLICANT, council

PHONE = {"width": 320, "height": 640}

# For each label of the progress bar: its box, and each word's line boxes (a word broken
# across lines has more than one). The visually hidden "– current stage" is left out.
LABEL_WORDS = """() => [...document.querySelectorAll('.moj-progress-bar__label')].map(label => {
  const item = label.closest('.moj-progress-bar__item').getBoundingClientRect();
  const words = [];
  const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest('.govuk-visually-hidden')) continue;
    for (const match of node.data.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const rects = [...range.getClientRects()].filter(r => r.width > 0);
      words.push({
        word: match[0],
        lines: new Set(rects.map(r => Math.round(r.top))).size,
        left: Math.min(...rects.map(r => r.left)),
        right: Math.max(...rects.map(r => r.right)),
      });
    }
  }
  return {label: label.innerText, left: item.left, right: item.right, words};
})"""


def table_roles(page) -> dict[str, int]:
    """How many of each table role Chromium's accessibility tree has."""
    nodes = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")["nodes"]
    roles = [node.get("role", {}).get("value") for node in nodes]
    return {role: roles.count(role) for role in ("table", "columnheader", "cell")}


ICON_STYLE = """(selector) => {
  const style = getComputedStyle(document.querySelector(selector));
  return ['background-color', 'background-image', 'border-top-color', 'box-shadow']
    .map(name => style.getPropertyValue(name));
}"""


def several_messages(case, user) -> None:
    """The case's own messages, plus ones with long words and the longest statuses."""
    caseworker = Actor.caseworker(user)
    case_transition(
        case=case,
        transition="request_evidence",
        actor=caseworker,
        message="Please send a copy of your Personal Independence Payment award letter.",
    )
    case_transition(case=case, transition="receive_evidence", actor=Actor.citizen(case))
    case_transition(case=case, transition="start_assessment", actor=caseworker)
    for channel, status, subject in (
        (Channel.LETTER, Status.ACCEPTED, "Gwybodaeth bwysig am eich cais am Fathodyn Glas"),
        (Channel.SMS, Status.TECHNICAL_FAILURE, "Internationalisation-and-accessibility-check"),
        (Channel.EMAIL, Status.PERMANENT_FAILURE, "Your application: what happens next"),
    ):
        Notification.objects.create(
            organisation=case.organisation,
            case=case,
            event="evidence_requested",
            channel=channel,
            recipient="ann@example.com",
            language=case.language,
            subject=subject,
            status=status,
        )


@pytest.fixture
def organisation(transactional_db):
    return council(fee_pence=1000, name="Northshire Council", slug="northshire")


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_timeline_fits_a_320px_screen(page, live_server, organisation, admin_user, language):
    case = case_create(
        organisation=organisation,
        service=Service.BLUE_BADGE,
        applicant={**APPLICANT, "contact_preference": "email"},
        answers=ANSWERS[Service.BLUE_BADGE],
        actor=Actor.system("tests"),
        language=language,
    )
    several_messages(case, admin_user)
    if language == "cy":
        page.context.add_cookies(
            [{"name": "waymark_language", "value": "cy", "url": live_server.url}]
        )
    link = urlsplit(signed_link(case))
    page.set_viewport_size(PHONE)

    page.goto(f"{link.path}?{link.query}")

    assert page.locator("html").get_attribute("lang") == language
    messages = page.locator(".govuk-table tbody tr").count()
    assert messages >= 5
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    )
    labels = page.evaluate(LABEL_WORDS)
    assert len(labels) == 5
    for label in labels:
        for word in label["words"]:
            assert word["lines"] == 1, (label["label"], word)  # never broken inside a word
            # Nor spilling out of its stage into the next one.
            assert label["left"] - 1 <= word["left"] <= word["right"] <= label["right"] + 1, (
                label,
                word,
            )

    assert page.locator('[aria-current="step"]').get_attribute("data-stage") == "assessment"
    current = page.evaluate(ICON_STYLE, '[data-status="current"] .moj-progress-bar__icon')
    upcoming = page.evaluate(ICON_STYLE, '[data-status="upcoming"] .moj-progress-bar__icon')
    done = page.evaluate(ICON_STYLE, '[data-status="done"] .moj-progress-bar__icon')
    assert current != upcoming
    assert current != done
    weight = "(s) => getComputedStyle(document.querySelector(s)).fontWeight"
    assert page.evaluate(weight, '[data-status="current"] .moj-progress-bar__label') == "700"
    assert page.evaluate(weight, '[data-status="upcoming"] .moj-progress-bar__label') == "400"
    # The messages table is shown row by row on a phone, and is still a table to Chromium's
    # accessibility tree: its column headings are read out with each cell.
    assert table_roles(page) == {"table": 1, "columnheader": 4, "cell": 4 * messages}
    assert axe_violations(page) == []


def test_the_current_stage_stands_out_on_a_wide_screen_too(page, live_server, organisation):
    case = case_create(
        organisation=organisation,
        service=Service.BLUE_BADGE,
        applicant={**APPLICANT, "contact_preference": "email"},
        answers=ANSWERS[Service.BLUE_BADGE],
        actor=Actor.system("tests"),
    )
    link = urlsplit(signed_link(case))
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{link.path}?{link.query}")

    current = page.evaluate(ICON_STYLE, '[data-status="current"] .moj-progress-bar__icon')
    upcoming = page.evaluate(ICON_STYLE, '[data-status="upcoming"] .moj-progress-bar__icon')
    assert current != upcoming
    labels = page.evaluate(LABEL_WORDS)
    assert all(word["lines"] == 1 for label in labels for word in label["words"])
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert axe_violations(page) == []


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_cookies_table_fits_a_320px_screen_too(page, live_server, transactional_db, language):
    page.context.add_cookies(
        [{"name": "waymark_language", "value": language, "url": live_server.url}]
    )
    page.set_viewport_size(PHONE)
    page.goto("/cookies/")
    assert page.locator("html").get_attribute("lang") == language
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert table_roles(page)["table"] >= 1
    assert axe_violations(page) == []
