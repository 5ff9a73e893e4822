import re

from tests.browser.conftest import axe_violations


def test_start_page_is_styled_by_govuk_frontend_with_its_fonts_and_scripts(page):
    responses = {}
    page.on("response", lambda r: responses.__setitem__(r.url, r.status))

    page.goto("/")
    page.wait_for_load_state("networkidle")
    page.evaluate("async () => await document.fonts.ready")

    heading = page.locator("h1")
    assert heading.inner_text() == "Apply, report and track your case"
    # GOV.UK Frontend's typography applied: its font family and heading size.
    font_family = heading.evaluate("e => getComputedStyle(e).fontFamily")
    assert "GDS Transport" in font_family
    assert heading.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 32

    # The stylesheets, the fonts the page uses, and the JavaScript all arrived.
    fetched = {url: status for url, status in responses.items() if "/static/" in url}
    assert any(re.search(r"/govuk\.[0-9a-f]+\.css$", u) for u in fetched), fetched
    assert any(u.endswith(".woff2") for u in fetched), fetched
    assert any("govuk-frontend.min" in u for u in fetched), fetched
    assert all(status == 200 for status in fetched.values()), fetched
    assert page.evaluate("document.fonts.check('19px \"GDS Transport\"')")

    # GOV.UK Frontend's JavaScript ran.
    assert "govuk-frontend-supported" in page.locator("body").get_attribute("class")


def test_every_asset_the_stylesheets_refer_to_is_served(page):
    """Fonts, the crest and every icon the CSS points at load with HTTP 200."""
    page.goto("/")
    statuses = page.evaluate(
        """async () => {
            const urls = new Set();
            for (const sheet of document.styleSheets) {
                const text = await (await fetch(sheet.href)).text();
                for (const m of text.matchAll(/url\\(["']?([^"')]+)["']?\\)/g)) {
                    if (!m[1].startsWith("data:")) urls.add(new URL(m[1], sheet.href).href);
                }
            }
            const out = {};
            for (const url of urls) out[url] = (await fetch(url)).status;
            return out;
        }"""
    )
    assert any("govuk-crest" in url for url in statuses), statuses
    assert any(".woff2" in url for url in statuses), statuses
    assert all(status == 200 for status in statuses.values()), statuses


def test_start_page_has_no_accessibility_violations(page):
    page.goto("/")
    assert axe_violations(page) == []


def test_start_page_works_without_javascript_and_switches_to_welsh(no_js_page):
    no_js_page.goto("/")
    no_js_page.get_by_role("link", name="Cymraeg").click()
    assert no_js_page.locator("html").get_attribute("lang") == "cy"
    # The choice is remembered on the next page load.
    no_js_page.goto("/")
    assert no_js_page.locator("html").get_attribute("lang") == "cy"
    assert no_js_page.get_by_role("link", name="English").is_visible()
