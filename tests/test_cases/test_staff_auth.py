"""Staff sign-in: throttled failures and two-factor authentication."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import caseworker, council

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def sign_in(client, username, password, address="10.0.0.1"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def test_too_many_failed_sign_ins_lock_the_account_for_a_while(client, settings):
    settings.STAFF_SIGNIN_ATTEMPTS = 3
    user = caseworker(council())
    for attempt in range(3):
        failed = sign_in(client, user.username, "wrong", address=f"10.0.0.{attempt}")
        assert "Please enter the correct username and password" in failed.text

    blocked = sign_in(client, user.username, PASSWORD, address="10.0.0.9")

    assert blocked.status_code == 200
    assert "Too many failed sign-in attempts" in blocked.text
    assert "_auth_user_id" not in client.session


def test_too_many_failures_from_one_address_block_it_but_not_others(client, settings):
    settings.STAFF_SIGNIN_ATTEMPTS = 3
    organisation = council()
    victim, other = caseworker(organisation), caseworker(organisation)
    for name in ("a", "b", "c"):
        sign_in(client, f"guess-{name}", "wrong", address="10.9.9.9")

    assert "Too many" in sign_in(client, victim.username, PASSWORD, address="10.9.9.9").text
    assert sign_in(client, other.username, PASSWORD, address="10.1.1.1").status_code == 302


def test_a_good_sign_in_goes_through(client):
    user = caseworker(council())
    assert sign_in(client, user.username, PASSWORD).status_code == 302


@pytest.fixture
def two_factor_on(settings):
    settings.STAFF_TWO_FACTOR = True


def test_with_two_factor_on_staff_must_set_up_a_device_first(client, two_factor_on):
    user = caseworker(council())
    client.force_login(user)

    response = client.get("/admin/cases/case/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/two-factor/?next=/admin/cases/case/"

    setup = client.get(response["Location"])
    assert "Set up two-factor authentication" in setup.text
    assert 'data-testid="qr"><?xml' in setup.text or 'data-testid="qr"><svg' in setup.text
    device = TOTPDevice.objects.get(user=user, confirmed=False)

    wrong = client.post(response["Location"], {"code": "000000"})
    assert "That code is not right" in wrong.text
    assert client.get("/admin/cases/case/").status_code == 302

    # django-otp makes the next try wait after a wrong code; the test does not wait.
    device.throttle_reset()
    code = f"{totp(device.bin_key):06d}"
    done = client.post(response["Location"], {"code": code})
    assert done["Location"] == "/admin/cases/case/"
    assert client.get("/admin/cases/case/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_with_a_device_staff_enter_a_code_at_each_sign_in(client, two_factor_on):
    user = caseworker(council())
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client.force_login(user)

    page = client.get("/admin/two-factor/")
    assert "Enter your code" in page.text
    assert 'data-testid="qr"' not in page.text
    assert client.get("/admin/").status_code == 302
    client.post("/admin/two-factor/", {"code": f"{totp(device.bin_key):06d}"})
    assert client.get("/admin/").status_code == 200


def test_two_factor_off_lets_staff_straight_in(client, settings):
    settings.STAFF_TWO_FACTOR = False
    client.force_login(caseworker(council()))
    assert client.get("/admin/cases/case/").status_code == 200


@pytest.mark.parametrize(
    "variant",
    ["{name} ", "\t{name}", " {name}\t", "{full_width}", "{upper}"],
    ids=["trailing-space", "tab", "both", "full-width", "capitals"],
)
def test_variants_of_the_username_count_against_the_same_account(client, settings, variant):
    """The form signs in the name as authentication sees it (NFKC, stripped): the throttle
    must count that name, not the raw text, or variants would get unlimited guesses."""
    settings.STAFF_SIGNIN_ATTEMPTS = 3
    user = caseworker(council(), username="alex")
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "alex")  # ａｌｅｘ
    names = [variant.format(name="alex", full_width=full_width, upper="ALEX")] * 3
    for attempt, name in enumerate(names):
        sign_in(client, name, "wrong", address=f"10.0.1.{attempt}")

    blocked = sign_in(client, user.username, PASSWORD, address="10.0.1.9")

    assert "Too many failed sign-in attempts" in blocked.text


def test_a_strangers_guesses_do_not_lock_the_owner_out_of_a_device_they_used_before(
    settings,
):
    from django.test import Client

    settings.STAFF_SIGNIN_ATTEMPTS = 3
    user = caseworker(council())
    owner, stranger = Client(), Client()
    assert sign_in(owner, user.username, PASSWORD).status_code == 302
    owner.post("/admin/logout/")

    for attempt in range(5):
        sign_in(stranger, user.username, "guess", address=f"10.8.0.{attempt}")
    assert "Too many" in sign_in(stranger, user.username, PASSWORD, address="10.8.0.9").text

    assert sign_in(owner, user.username, PASSWORD).status_code == 302  # still gets in


def test_a_known_device_still_has_its_own_limit(settings):
    from django.test import Client

    settings.STAFF_SIGNIN_ATTEMPTS = 3
    user = caseworker(council())
    device = Client()
    sign_in(device, user.username, PASSWORD)
    device.post("/admin/logout/")
    for _ in range(3):
        sign_in(device, user.username, "wrong")

    assert "Too many" in sign_in(device, user.username, PASSWORD).text


def test_a_forged_device_cookie_counts_for_nothing(client, settings):
    settings.STAFF_SIGNIN_ATTEMPTS = 3
    user = caseworker(council())
    for attempt in range(3):
        sign_in(client, user.username, "wrong", address=f"10.7.0.{attempt}")
    client.cookies["waymark_staff_device"] = f"user-{user.pk}:device"

    assert "Too many" in sign_in(client, user.username, PASSWORD, address="10.7.0.9").text
