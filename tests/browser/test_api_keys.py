"""A council admin makes an API key in the admin, copies it from the one page that shows
it, and a real HTTP client uses it against the running site; revoking it in the admin
stops it at once (in the process that revoked it; others within 30 s). A read-only
member cannot make one."""

import requests
from playwright.sync_api import expect

from cases.models import ApiKey, Role
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import caseworker, council, new_case


def test_a_council_admin_makes_a_key_that_works_and_revokes_it(page, live_server, north):
    case = new_case(north)
    new_case(council(slug="south", name="Southshire"))
    sign_in(page, caseworker(north, role=Role.ADMIN))

    page.goto("/admin/cases/apikey/add/")
    assert axe_violations(page) == []
    page.get_by_label("Name").fill("CRM")
    page.get_by_label("Read cases, their timelines, messages and payments").check()
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator("h1")).to_have_text("Copy the new API key now")
    assert axe_violations(page) == []
    text = page.get_by_test_id("api-key").input_value()
    assert text.startswith("wm_live_")
    assert ApiKey.objects.get().hashed_secret not in text  # only its hash is kept

    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {text}"
    listed = api.get(f"{live_server.url}/api/v1/cases", timeout=10)
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()["data"]] == [case.process_id]

    page.goto("/admin/cases/apikey/")
    expect(page.locator("#result_list")).to_contain_text("in use")
    page.locator("input[name=_selected_action]").first.check()
    page.locator("select[name=action]").select_option("revoke")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_contain_text("Revoked 1 key(s).")
    expect(page.locator("#result_list")).to_contain_text("revoked")
    refused = api.get(f"{live_server.url}/api/v1/cases", timeout=10)
    assert refused.status_code == 401
    assert refused.headers["Content-Type"] == "application/problem+json"


def test_a_read_only_member_cannot_make_a_key(page, north):
    sign_in(page, caseworker(north, role=Role.READ_ONLY))
    response = page.goto("/admin/cases/apikey/add/")
    assert response.status == 403
