"""The citizen's actions from the timeline, in Chromium, under the Content-Security-Policy:
no page may log a CSP violation or a script error, GOV.UK Frontend's JavaScript still runs,
and axe-core finds nothing on any page on the way."""

import re

import pytest
from playwright.sync_api import expect

from cases.models import Case, ContactPreference, Service
from tests.browser.conftest import AXE
from tests.factories import council, make_case, new_case

CSP_WORDS = ("Content Security Policy", "Refused to")


def axe_violations(page) -> list[dict]:
    """Like conftest's helper, but runs axe-core through the DevTools protocol: the strict
    policy rightly blocks the inline <script> tag that `page.add_script_tag` would add."""
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document)")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
    ]


class Console:
    """What the page said: console messages and uncaught errors."""

    def __init__(self, page):
        self.messages: list[str] = []
        self.errors: list[str] = []
        page.on("console", lambda m: self.messages.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    @property
    def csp_violations(self) -> list[str]:
        return [m for m in self.messages if any(word in m for word in CSP_WORDS)]

    def assert_clean(self):
        assert self.csp_violations == [], self.csp_violations
        assert self.errors == [], self.errors


@pytest.fixture
def console(page):
    # Redoc's page links to Google Fonts: answer locally so the test needs no network (the
    # browser checks the policy before a request reaches this route).
    page.route(re.compile(r"https://fonts\.(googleapis|gstatic)\.com/.*"), lambda r: r.abort())
    return Console(page)


@pytest.fixture
def organisation():
    return council(name="Northshire Council", slug="northshire")


def open_case(page, case):
    """Proves this browser may see the case, as the citizen does."""
    page.goto("/track/")
    page.get_by_label("Reference number").fill(case.reference)
    page.get_by_label("Postcode, email address or mobile number").fill("AB1 2CD")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(rf"/track/{case.process_id}/$"))


def assert_accessible(page):
    assert axe_violations(page) == [], page.url


def fresh(case) -> Case:
    return Case.objects.get(pk=case.pk)


# --- The policy and the pages --------------------------------------------------------------


def test_the_strict_policy_is_enforced_and_the_console_shows_it(page, console):
    """The control for the tests below: an inline script on a citizen's page is blocked,
    and the violation is in the console messages they check."""
    page.goto("/")
    page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.inlineRan = true"; document.body.append(s); }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.inlineRan") is None
    assert console.csp_violations, console.messages


def test_pages_load_without_csp_violations(page, console, organisation):
    case = new_case(organisation)

    page.goto("/")
    page.wait_for_load_state("networkidle")
    # GOV.UK Frontend's JavaScript (a module from /static/) ran.
    assert "govuk-frontend-supported" in page.locator("body").get_attribute("class")
    page.goto("/track/")
    page.wait_for_load_state("networkidle")
    open_case(page, case)
    page.wait_for_load_state("networkidle")
    assert "govuk-frontend-supported" in page.locator("body").get_attribute("class")

    page.goto("/admin/login/")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#id_username")).to_be_visible()

    page.goto("/api/v1/docs/")
    # Redoc rendered the schema: its inline script ran and its styles applied.
    expect(page.get_by_role("heading", name=re.compile("Waymark API"))).to_be_visible()
    page.wait_for_load_state("networkidle")

    console.assert_clean()


@pytest.mark.parametrize(
    ("target", "allowed"),
    [
        ("https://checkout.stripe.com/c/pay/cs_test_1", True),
        ("https://card.payments.service.gov.uk/secure/abc", True),
        ("https://elsewhere.example/landing", False),
    ],
)
def test_a_form_may_be_redirected_to_the_payment_providers_only(page, console, target, allowed):
    """The pay form posts here and is redirected to the provider's page: Chromium applies
    form-action to that redirect too."""
    page.route("**/redirect-me/", lambda r: r.fulfill(status=303, headers={"Location": target}))
    page.route(
        re.compile(
            r"https://(checkout\.stripe\.com|card\.payments\.service\.gov\.uk|elsewhere\.example)/.*"
        ),
        lambda r: r.fulfill(status=200, body="<h1>Provider</h1>", content_type="text/html"),
    )
    page.goto("/")
    page.evaluate(
        """() => { const f = document.createElement("form"); f.method = "post";
                   f.action = "/redirect-me/"; document.body.append(f); f.submit(); }"""
    )
    if allowed:
        expect(page).to_have_url(target)
        assert console.csp_violations == []
    else:
        page.wait_for_timeout(500)
        assert not page.url.startswith("https://elsewhere.example")
        assert any("form-action" in m for m in console.csp_violations), console.messages


# --- The citizen's actions -----------------------------------------------------------------


def test_change_how_we_contact_you(page, console, organisation):
    case = new_case(organisation, phone="")
    open_case(page, case)
    assert_accessible(page)

    page.get_by_role("link", name="Change how we contact you").click()
    expect(page.locator("h1")).to_have_text("How should we contact you?")
    # No mobile number: text messages cannot be chosen, and the page says why.
    expect(page.get_by_role("radio")).to_have_count(3)
    expect(page.get_by_label("Text message")).to_have_count(0)
    expect(page.get_by_test_id("unavailable")).to_contain_text(
        "Text message – We do not have a mobile number for you"
    )
    expect(page.get_by_label("Email")).to_be_checked()
    assert_accessible(page)

    page.get_by_label("Letter").check()
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(rf"/track/{case.process_id}/$"))
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text("We will contact you by letter")
    # GOV.UK Frontend moved focus to the banner (role="alert"): its JavaScript runs.
    expect(banner).to_be_focused()
    assert_accessible(page)
    assert fresh(case).contact_preference == ContactPreference.LETTER
    console.assert_clean()


def test_withdraw_your_application(page, console, organisation):
    case = new_case(organisation)
    open_case(page, case)

    page.get_by_role("link", name="Withdraw your application").click()
    expect(page.locator("h1")).to_have_text("Are you sure you want to withdraw your application?")
    assert_accessible(page)

    page.get_by_role("button", name="Continue").click()
    assert page.title().startswith("Error:")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select yes if you want to withdraw your application")
    expect(summary).to_be_focused()  # GOV.UK Frontend's error summary script ran
    assert_accessible(page)
    summary.get_by_role("link").click()
    expect(page.get_by_label("Yes")).to_be_focused()

    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.locator("h1")).to_have_text("Your application was withdrawn")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "You have withdrawn your application"
    )
    expect(page.get_by_role("link", name="Withdraw your application")).to_have_count(0)
    assert_accessible(page)
    assert fresh(case).state == "withdrawn"
    console.assert_clean()


def test_is_it_fixed_no_reopens_the_report(page, console, organisation):
    report = make_case(organisation, Service.STREET_REPORT, "fixed")
    open_case(page, report)
    assert_accessible(page)

    page.get_by_role("link", name="Tell us if it is fixed").click()
    expect(page.locator("h1")).to_have_text("Is it fixed?")
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()
    # No answer: the error summary, focused by GOV.UK Frontend's script.
    assert page.title().startswith("Error:")
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Select yes if the problem is fixed"
    )
    assert_accessible(page)

    page.get_by_label("No").check()
    page.get_by_label("What is still wrong? (optional)").fill("The hole is back after the rain.")
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(re.compile(rf"/track/{report.process_id}/$"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "We have reopened your report"
    )
    expect(page.locator(".moj-timeline")).to_contain_text("The hole is back after the rain.")
    assert_accessible(page)
    assert fresh(report).state == "reported"
    console.assert_clean()


def test_is_it_fixed_works_without_javascript(no_js_page, organisation):
    page = no_js_page
    report = make_case(organisation, Service.STREET_REPORT, "fixed")
    open_case(page, report)

    page.get_by_role("link", name="Tell us if it is fixed").click()
    expect(page.get_by_label("What is still wrong? (optional)")).to_be_visible()
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "We have closed your report"
    )
    assert fresh(report).state == "closed"
