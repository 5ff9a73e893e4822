from django.test import RequestFactory

from config.net import client_ip


def request(remote="10.0.0.5", forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = 0
    assert client_ip(request(forwarded="1.2.3.4")) == "10.0.0.5"


def test_behind_one_proxy_the_last_forwarded_address_is_the_client(settings):
    settings.TRUSTED_PROXIES = 1
    # A client can write anything at the start of the header; only the proxy's entry counts.
    assert client_ip(request(forwarded="6.6.6.6, 81.2.69.142")) == "81.2.69.142"


def test_behind_two_proxies_it_reads_two_hops_back(settings):
    settings.TRUSTED_PROXIES = 2
    assert client_ip(request(forwarded="6.6.6.6, 81.2.69.142, 10.1.1.1")) == "81.2.69.142"
    assert client_ip(request(forwarded="81.2.69.142")) == "10.0.0.5"
