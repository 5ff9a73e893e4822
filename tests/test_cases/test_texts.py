"""Every text a citizen can be shown — each stage's "what is happening" and "what happens
next", each outcome, each step's line on the timeline, each message template — rendered for
a case of each state of both workflows, in English and in Welsh: no placeholder is left."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from cases.selectors import case_timeline
from cases.workflows import WORKFLOWS
from notify.services import case_values
from notify.templates import TEMPLATES
from tests.factories import council, make_case

pytestmark = pytest.mark.django_db

LEFT_OVER = re.compile(r"\{[a-z_]*\}|\(\([a-z_ ]*\)\)")
# What a case holds once the steps that set them have run.
DETAILS = {
    "repair_date": (timezone.localdate() + timedelta(days=5)).isoformat(),
    "redirect_to": "National Highways: 0300 123 5000",
    "fixed_at": timezone.now().isoformat(),
    "approved_at": timezone.now().isoformat(),
}
STATES = [(service, state) for service, w in WORKFLOWS.items() for state in w.STATE_LABELS]


@pytest.mark.parametrize("language", ["en", "cy"])
@pytest.mark.parametrize(("service", "state"), STATES)
def test_the_timeline_of_every_state_has_every_placeholder_filled(service, state, language):
    case = make_case(council(fee_pence=1000), service, state, details=DETAILS)
    with translation.override(language):
        timeline = case_timeline(case)
        texts = [timeline.headline, timeline.outcome_text, timeline.outcome_next]
        texts += [e.text for e in timeline.entries]
        texts += [t for s in timeline.stages for t in (s.doing, s.next)]
        texts += [str(timeline.outcome.title)] if timeline.outcome else []
    assert timeline.headline
    for text in texts:
        assert not LEFT_OVER.search(text), (state, language, text)
    if timeline.outcome and "redirect_to" in timeline.outcome.explanation.en:
        assert DETAILS["redirect_to"] in timeline.outcome_text


@pytest.mark.parametrize("language", ["en", "cy"])
@pytest.mark.parametrize(
    "event",
    sorted(e for e in TEMPLATES if not e.startswith("follow_") and e != "webhook_failing"),
)
def test_every_message_template_renders_completely_for_a_case(event, language):
    """(A report's followers' messages: tests/test_portal/test_follow.py; the council
    admins' warning about a failing webhook: tests/test_webhooks/test_ladder.py.)"""
    template = TEMPLATES[event]
    service = "street_report" if event.startswith(("report", "repair")) else "blue_badge"
    case = make_case(council(fee_pence=1000), service, "submitted", details=DETAILS)
    values = {**case_values(case, "A message from your caseworker"), "references": "BB-1, ST-2"}
    values.setdefault("amount", "£10.00")
    values.setdefault("pay_url", "https://example/pay/")
    for channel in ("email", "sms", "letter"):
        needed = template.placeholders(channel, language)
        if template.batch and needed - set(values):
            continue  # its values come from the CSV file
        subject, body = template.render(channel, language, values)
        assert not LEFT_OVER.search(subject + body), (event, channel, language, body)
