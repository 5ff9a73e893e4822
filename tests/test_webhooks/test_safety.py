"""What a webhook target may not do: be a private address (even one a public name turns
into after it was saved), redirect, answer without end, or hold the worker past its
deadline."""

import contextlib
import socket
import time

import pytest
from django.core.exceptions import ValidationError

from cases.webhooks import outbox, transport
from cases.webhooks.models import WebhookDelivery
from cases.webhooks.subscriptions import subscription_create, validate_target
from tests.factories import council, new_case
from tests.test_webhooks.conftest import ALL_TYPES, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def dns(monkeypatch):
    """Names resolve to what the test says, as a resolver under an attacker's control might."""
    answers: dict[str, list[str]] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def production(settings):
    settings.WEBHOOKS_LOCAL_TARGETS = False


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.5",
        "172.16.3.4",
        "192.168.1.1",
        "169.254.169.254",  # the cloud metadata service
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104
        "::1",
        "fd00:ec2::254",
        "fe80::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_no_delivery_to_a_non_public_address(production, dns, address):
    dns["hooks.example.org"] = [address]
    answer = transport.post("https://hooks.example.org/in", b"{}", {}, timeout=1)
    assert answer.status is None
    assert answer.error == (
        f"Refused: hooks.example.org resolves to a non-public address ({address})."
    )


def test_a_name_with_one_private_address_among_public_ones_is_refused(production, dns):
    dns["hooks.example.org"] = ["93.184.216.34", "10.1.2.3"]
    with pytest.raises(transport.TargetRefused, match=r"10\.1\.2\.3"):
        transport.resolve("hooks.example.org", 443)


def test_the_guard_holds_when_dns_changes_after_the_subscription_was_saved(production, dns):
    north = council()
    dns["crm.example.org"] = ["93.184.216.34"]
    subscription, _secret = subscription_create(
        organisation=north, name="CRM", url="https://crm.example.org/hooks", event_types=ALL_TYPES
    )
    dns["crm.example.org"] = ["169.254.169.254"]  # rebound to the metadata address
    new_case(north)
    outbox.pump()
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    [tried] = delivery.tries.all()
    assert tried.status_code is None
    assert tried.error == (
        "Refused: crm.example.org resolves to a non-public address (169.254.169.254)."
    )
    assert delivery.status == "pending"
    assert delivery.next_attempt_at


def test_saving_refuses_http_private_names_and_credentials(production, dns):
    dns["intranet.example.org"] = ["10.0.0.7"]
    dns["crm.example.org"] = ["93.184.216.34"]
    for url, problem in [
        ("http://crm.example.org/hooks", "The target must be an https:// URL."),
        ("https://intranet.example.org/", "resolves to a non-public address (10.0.0.7)"),
        ("https://user:pw@crm.example.org/", "must not hold a user name or password"),
        ("https://nowhere.example.org/", "could not be resolved"),
    ]:
        with pytest.raises(ValidationError) as refused:
            validate_target(url)
        assert problem in refused.value.message_dict["url"][0]
    validate_target("https://crm.example.org/hooks")


def test_a_redirect_is_not_followed(receiver):
    followed = []

    def redirect(handler):
        if handler.path.endswith("/elsewhere"):
            followed.append(handler.path)
        handler.send_response(307)
        handler.send_header("Location", receiver.url + "/elsewhere")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    receiver.answer = redirect
    north = council()
    subscribe(north, receiver.url)
    new_case(north)
    outbox.pump()
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_status_code == 307
    assert delivery.status == "pending"
    assert followed == []
    assert len(receiver.received) == 1


def test_only_the_first_bytes_of_an_answer_are_read(receiver):
    def huge(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", str(10_000_000))
        handler.end_headers()
        with contextlib.suppress(OSError):  # the sender hangs up once it has its first bytes
            handler.wfile.write(b"x" * 10_000_000)

    receiver.answer = huge
    north = council()
    subscribe(north, receiver.url)
    new_case(north)
    outbox.pump()
    [tried] = WebhookDelivery.objects.get().tries.all()
    assert tried.status_code == 200
    assert tried.response_excerpt == "x" * transport.EXCERPT_BYTES


@pytest.mark.parametrize("status_in_time", [False, True])
def test_a_receiver_dripping_its_answer_cannot_hold_the_worker_past_the_deadline(
    receiver, settings, status_in_time
):
    """A byte every 0.1 s: each read is quick, the whole is not. Cut at the deadline: with
    no status line by then it is a failed attempt; a 200 that came in time counts, with
    what of its body came by then."""
    settings.WEBHOOK_TIMEOUT = 1
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"

    def drip(handler):
        sent = head if status_in_time else b""
        handler.wfile.write(sent)
        for byte in (b"x" * 40) if status_in_time else head:
            try:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
            except OSError:
                return
            time.sleep(0.1)

    receiver.answer = drip
    north = council()
    subscribe(north, receiver.url)
    new_case(north)
    started = time.monotonic()
    outbox.pump()
    took = time.monotonic() - started
    [tried] = WebhookDelivery.objects.get().tries.all()
    assert took < 2.5
    assert 900 <= tried.latency_ms < 2000
    if status_in_time:
        assert tried.status_code == 200
        assert 0 < len(tried.response_excerpt) < 40
    else:
        assert tried.status_code is None
        assert tried.error == "No answer within 1 seconds."
