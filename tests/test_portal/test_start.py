"""The start page lists every council with links to its services, in a fixed number of
queries however many councils there are."""

from cases.models import Organisation, Service, ServiceConfig
from tests.factories import council


def test_the_start_page_makes_the_same_queries_for_2_and_10_councils(
    client, db, django_assert_max_num_queries
):
    counts = []
    for total in (2, 10):
        while Organisation.objects.count() < total:
            council()
        with django_assert_max_num_queries(2) as captured:
            response = client.get("/")
        assert response.status_code == 200
        assert response.text.count("Apply for a Blue Badge<span") == total
        assert response.text.count("Report a street problem<span") == total
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_only_the_services_a_council_has_turned_on_are_linked(client, db):
    north = council(slug="north", name="North")
    council(slug="south", name="South", services=(Service.STREET_REPORT,))
    ServiceConfig.objects.filter(organisation=north, service=Service.STREET_REPORT).update(
        enabled=False
    )
    html = client.get("/").text
    assert 'href="/apply/north/blue-badge/"' in html
    assert 'href="/report/north/"' not in html
    assert 'href="/report/south/"' in html
    assert 'href="/apply/south/blue-badge/"' not in html
