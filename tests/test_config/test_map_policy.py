"""The Content-Security-Policy with the street report's map on (config/security.py): the
tile server's host, and only it, is added to img-src of the citizen's pages; a subdomain
placeholder becomes one wildcard level; nothing else in the policy changes."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.security import STRICT_POLICY, strict_policy, tile_origin
from tests.test_portal.test_security import STRICT, directives

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("tile_url", "origin"),
    [
        ("", ""),
        ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
        ("https://tile.openstreetmap.org/{z}/{x}/{y}{r}.png", "https://tile.openstreetmap.org"),
        ("https://tiles-{s}.example.gov.uk/os/{z}/{x}/{y}.png", "https://*.example.gov.uk"),
        ("http://localhost:8080/tiles/{z}/{x}/{y}.png", "http://localhost:8080"),
        ("/tiles/{z}/{x}/{y}.png", ""),  # this site's own: 'self' has it
    ],
)
def test_the_tile_servers_origin(tile_url, origin):
    assert tile_origin(tile_url) == origin


@pytest.mark.parametrize(
    "tile_url", ["https://a.{s}.example.org/{z}/{x}/{y}.png", "ftp://tiles.example.org/{z}.png"]
)
def test_a_tile_url_the_policy_cannot_express_is_refused(tile_url):
    with pytest.raises(ImproperlyConfigured, match="MAP_TILE_URL"):
        tile_origin(tile_url)


def test_a_tile_url_the_policy_cannot_express_fails_the_system_check(settings):
    from django.core.checks import run_checks

    settings.MAP_TILE_URL = "ftp://tiles.example.org/{z}.png"
    assert [m.id for m in run_checks() if m.id == "waymark.E001"] == ["waymark.E001"]
    settings.MAP_TILE_URL = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    assert "waymark.E001" not in [m.id for m in run_checks()]


def test_without_a_map_the_policy_is_the_strict_one(client, settings):
    settings.MAP_TILE_URL = ""
    assert strict_policy("") == STRICT_POLICY
    assert client.get("/")["Content-Security-Policy"] == STRICT_POLICY


def test_with_a_map_only_img_src_allows_the_tile_server(client, settings):
    settings.MAP_TILE_URL = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"
    for url in ("/", "/track/", "/no-such-page/"):
        policy = directives(client.get(url)["Content-Security-Policy"])
        assert policy["img-src"] == {"'self'", "data:", "https://*.tile.openstreetmap.org"}, url
        for directive, values in STRICT.items():
            if directive != "img-src":
                assert policy[directive] == values, (url, directive)
        assert policy["connect-src"] == {"'self'"}  # Leaflet fetches nothing itself
    # The admin keeps its own policy.
    relaxed = directives(client.get("/admin/login/")["Content-Security-Policy"])
    assert "https://*.tile.openstreetmap.org" not in relaxed["img-src"]
