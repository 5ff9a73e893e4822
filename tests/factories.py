"""Test data. Cases made with `make_case` skip the services on purpose (to put a case in
any state for the state-machine matrix); everything else should use `cases.services`."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from cases import process_id
from cases.models import (
    Membership,
    Organisation,
    PaymentProvider,
    Role,
    Service,
    ServiceConfig,
)
from cases.services import Actor, case_create
from cases.workflows import workflow_class


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Council {n}")
    slug = factory.Sequence(lambda n: f"council-{n}")
    name_cy = factory.LazyAttribute(lambda o: f"Cyngor {o.name}")


class ServiceConfigFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceConfig

    organisation = factory.SubFactory(OrganisationFactory)
    service = Service.BLUE_BADGE
    fee_pence = 0
    payment_provider = PaymentProvider.LOCAL  # the tests run with LOCAL_BACKENDS on


PASSWORD = "correct-horse-battery"  # every factory user's


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.gov.uk")
    is_staff = True
    password = factory.django.Password(PASSWORD)


def council(*, fee_pence: int = 0, services=(Service.BLUE_BADGE, Service.STREET_REPORT), **kw):
    organisation = OrganisationFactory(**kw)
    for service in services:
        ServiceConfigFactory(
            organisation=organisation,
            service=service,
            fee_pence=fee_pence if service == Service.BLUE_BADGE else 0,
        )
    return organisation


def caseworker(organisation, role: str = Role.EDITOR, **kw):
    user = UserFactory(**kw)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


APPLICANT = {
    "applicant_name": "Ann Example",
    "email": "ann@example.com",
    "phone": "07911 123456",
    "address_line_1": "1 High Street",
    "town": "Northtown",
    "postcode": "ab1 2cd",
}
ANSWERS = {
    Service.BLUE_BADGE: {"eligibility": "pip", "date_of_birth": "1950-04-01"},
    Service.STREET_REPORT: {"issue_type": "pothole", "location": "Outside 3 Mill Lane"},
}


def new_case(organisation, service=Service.BLUE_BADGE, *, contact="email", **applicant):
    """A case opened the real way, through the services."""
    return case_create(
        organisation=organisation,
        service=service,
        applicant={**APPLICANT, "contact_preference": contact, **applicant},
        answers=ANSWERS[service],
        actor=Actor.system("tests"),
    )


def make_case(organisation, service, state: str, **fields):
    """A case put straight into `state`, with the details its conditions look at."""
    workflow = workflow_class(service)
    now = timezone.now()
    details = {
        "repair_date": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "fixed_at": now.isoformat(),
    }
    case = workflow(
        process_id=process_id.generate(workflow.PREFIX),
        organisation=organisation,
        service=service,
        state=state,
        answers=ANSWERS[service],
        details={**details, **fields.pop("details", {})},
        applicant_name=APPLICANT["applicant_name"],
        email=APPLICANT["email"],
        phone="+447911123456",
        address_line_1=APPLICANT["address_line_1"],
        town=APPLICANT["town"],
        postcode="AB1 2CD",
        **fields,
    )
    stage = case.stage_for_state(state)
    case.stage = stage.slug if stage else state
    case.save(force_insert=True)
    return case
