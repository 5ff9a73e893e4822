import pytest
from django.core.management import CommandError, call_command

from cases.models import Case, CaseEvent, Membership, Organisation, Role, ServiceConfig
from cases.workflows import workflow_class

pytestmark = pytest.mark.django_db


def test_seed_demo_refuses_to_run_outside_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not Organisation.objects.exists()


def test_seed_demo_builds_both_councils_with_cases_in_every_state_and_is_idempotent():
    call_command("seed_demo", "--allow-production")
    counts = (Case.objects.count(), CaseEvent.objects.count())

    call_command("seed_demo", "--allow-production")

    assert (Case.objects.count(), CaseEvent.objects.count()) == counts
    northshire = Organisation.objects.get(slug="northshire")
    bryn_dewi = Organisation.objects.get(slug="bryn-dewi")
    assert (
        ServiceConfig.objects.get(organisation=northshire, service="blue_badge").fee_pence == 1000
    )
    assert (
        ServiceConfig.objects.get(organisation=northshire, service="blue_badge").payment_provider
        == "stripe"
    )
    assert ServiceConfig.objects.get(organisation=bryn_dewi, service="blue_badge").fee_pence == 0

    for organisation in (northshire, bryn_dewi):
        for service in ("blue_badge", "street_report"):
            states = set(
                Case.objects.filter(organisation=organisation, service=service).values_list(
                    "state", flat=True
                )
            )
            expected = set(workflow_class(service).STATE_LABELS)
            if organisation == bryn_dewi and service == "blue_badge":
                expected -= {"awaiting_payment", "payment_unknown"}  # a free council
            assert states == expected, (organisation, service)
        assert Membership.objects.filter(organisation=organisation, role=Role.EDITOR).exists()
    # Every demo case was built through the services: each has its "created" event.
    assert CaseEvent.objects.filter(kind="created").count() == Case.objects.count()


def test_workflow_diagrams_in_docs_are_up_to_date():
    """docs/workflows/*.md are drawn from the code; regenerate them when a workflow changes."""
    call_command("workflow_diagrams", "--check")
