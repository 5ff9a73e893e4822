"""Load demo data: two councils, their services, caseworkers, and cases in every state.

Safe to run twice: councils and logins are updated in place, and a council's cases are
only created when it has none.
"""

import unicodedata
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from cases.models import (
    Case,
    Membership,
    Organisation,
    PaymentProvider,
    Role,
    Service,
    ServiceConfig,
)
from cases.services import Actor, case_create, case_transition
from cases.workflows import blue_badge as bb
from cases.workflows import street_report as st

DEMO_PASSWORD = "waymark-demo"  # noqa: S105 - demo data only; refused outside DEBUG

COUNCILS: list[dict[str, Any]] = [
    {
        "slug": "northshire",
        "name": "Northshire Council",
        "name_cy": "",
        "contact_email": "blue.badge@northshire.example.gov.uk",
        "contact_phone": "0300 123 4567",
        "website": "https://www.northshire.example.gov.uk",
        "sms_inbound_number": "+447700900001",
        "fee_pence": 1000,
        "provider": PaymentProvider.STRIPE,
    },
    {
        "slug": "bryn-dewi",
        "name": "Bryn Dewi County Council",
        "name_cy": "Cyngor Sir Bryn Dewi",
        "contact_email": "cysylltu@bryndewi.example.gov.uk",
        "contact_phone": "0300 765 4321",
        "website": "https://www.bryndewi.example.gov.uk",
        "sms_inbound_number": "+447700900002",
        "fee_pence": 0,
        "provider": PaymentProvider.GOVUK_PAY,
    },
]

# username, organisation slug (None: national administrator), role
LOGINS = [
    ("admin", None, None),
    ("caseworker", "northshire", Role.EDITOR),
    ("northshire-admin", "northshire", Role.ADMIN),
    ("northshire-viewer", "northshire", Role.READ_ONLY),
    ("bryn-dewi", "bryn-dewi", Role.EDITOR),
]

PEOPLE = [
    ("Aisha Khan", "email", "en"),
    ("Dafydd Jones", "sms", "cy"),
    ("Margaret Wilson", "letter", "en"),
    ("Tomasz Nowak", "email", "en"),
    ("Siân Roberts", "email", "cy"),
    ("George Okafor", "sms", "en"),
]

MESSAGE = "Please send a copy of your PIP award letter."


def _blue_badge_paths(fee: bool) -> dict[str, list[tuple]]:
    """How to reach each state from a new application: (transition, actor kind, extra)."""
    assess: list[tuple] = [("start_assessment", "caseworker", {})]
    approve = [*assess, ("approve", "caseworker", {})]
    paid = [*approve, ("payment_received", "system", {})] if fee else approve
    paths = {
        bb.SUBMITTED: [],
        bb.EVIDENCE_REQUESTED: [("request_evidence", "caseworker", {"message": MESSAGE})],
        bb.EVIDENCE_RECEIVED: [
            ("request_evidence", "caseworker", {"message": MESSAGE}),
            ("receive_evidence", "citizen", {}),
        ],
        bb.IN_ASSESSMENT: assess,
        bb.APPROVED: paid,
        bb.BADGE_ORDERED: [*paid, ("order_badge", "caseworker", {})],
        bb.BADGE_DISPATCHED: [
            *paid,
            ("order_badge", "caseworker", {}),
            ("dispatch_badge", "caseworker", {}),
        ],
        bb.REFUSED: [
            *assess,
            (
                "refuse",
                "caseworker",
                {
                    "reason": "No qualifying benefit and walking assessment not met",
                    "message": "Your evidence does not show that you meet the criteria.",
                },
            ),
        ],
        bb.WITHDRAWN: [("withdraw", "citizen", {})],
    }
    if fee:
        paths[bb.AWAITING_PAYMENT] = approve
        paths[bb.PAYMENT_UNKNOWN] = [
            *approve,
            ("payment_unknown", "system", {"reason": "The payment provider did not answer"}),
        ]
    return paths


def _street_paths(original_reference: str) -> dict[str, list[tuple]]:
    inspect: list[tuple] = [("inspect", "caseworker", {})]
    soon = (timezone.localdate() + timedelta(days=7)).isoformat()
    scheduled = [*inspect, ("schedule_repair", "caseworker", {"data": {"repair_date": soon}})]
    fixed = [*inspect, ("mark_fixed", "caseworker", {})]
    return {
        st.REPORTED: [],
        st.INSPECTED: inspect,
        st.REPAIR_SCHEDULED: scheduled,
        st.REPAIR_OVERDUE: [
            *scheduled,
            ("_backdate_repair", None, {}),
            ("repair_date_missed", "system", {}),
        ],
        st.FIXED: fixed,
        st.CLOSED: [*fixed, ("confirm_fixed", "citizen", {})],
        st.DUPLICATE: [
            ("mark_duplicate", "caseworker", {"data": {"duplicate_of": original_reference}})
        ],
        st.NOT_RESPONSIBLE: [
            (
                "not_responsible",
                "caseworker",
                {
                    "data": {
                        "redirect_to": "This road is a motorway: report it to National "
                        "Highways on 0300 123 5000."
                    }
                },
            )
        ],
    }


class Command(BaseCommand):
    help = "Create demo councils, logins and cases in every state (idempotent). DEBUG only."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even with DEBUG off (for tests and throwaway demo servers only).",
        )

    def handle(self, *args, allow_production: bool = False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "seed_demo creates logins with a published password; it only runs with "
                "DEBUG on (or --allow-production on a throwaway server)."
            )
        with transaction.atomic():
            councils = [self._council(spec) for spec in COUNCILS]
            users = self._logins()
        for organisation, spec in zip(councils, COUNCILS, strict=True):
            if Case.objects.filter(organisation=organisation).exists():
                continue
            editor = users[next(u for u, slug, role in LOGINS if slug == spec["slug"])]
            with transaction.atomic():
                self._cases(organisation, editor, fee=spec["fee_pence"] > 0)

        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        for username, slug, role in LOGINS:
            where = (
                f"{Role(role).label} at {slug}"
                if slug and role
                else "national administrator: every council"
            )
            self.stdout.write(f"  {username} / {DEMO_PASSWORD}  ({where})")

    def _council(self, spec: dict) -> Organisation:
        organisation, _ = Organisation.objects.update_or_create(
            slug=spec["slug"],
            defaults={
                k: spec[k]
                for k in (
                    "name",
                    "name_cy",
                    "contact_email",
                    "contact_phone",
                    "website",
                    "sms_inbound_number",
                )
            },
        )
        for service in Service.values:
            charges = service == Service.BLUE_BADGE
            ServiceConfig.objects.update_or_create(
                organisation=organisation,
                service=service,
                defaults={
                    "enabled": True,
                    "fee_pence": spec["fee_pence"] if charges else 0,
                    "payment_provider": spec["provider"],
                },
            )
        return organisation

    def _logins(self) -> dict:
        User = get_user_model()
        users = {}
        for username, slug, role in LOGINS:
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff = True
            user.is_superuser = slug is None
            user.email = f"{username}@example.gov.uk"
            user.set_password(DEMO_PASSWORD)
            user.save()
            if slug and role:  # both or neither: see LOGINS
                Membership.objects.update_or_create(
                    user=user,
                    organisation=Organisation.objects.get(slug=slug),
                    defaults={"role": role},
                )
            users[username] = user
        return users

    def _open(self, organisation, service, index: int) -> Case:
        name, contact, language = PEOPLE[index % len(PEOPLE)]
        first = (
            unicodedata.normalize("NFKD", name.split()[0].lower())
            .encode("ascii", "ignore")
            .decode()
        )
        answers = (
            {"eligibility": "pip", "date_of_birth": "1956-03-14"}
            if service == Service.BLUE_BADGE
            else {
                "issue_type": ["pothole", "street_light", "drain"][index % 3],
                "location": f"Outside {index + 2} Station Road",
                "location_postcode": "NS1 4AB",
            }
        )
        return case_create(
            organisation=organisation,
            service=service,
            applicant={
                "applicant_name": name,
                "email": f"{first}@example.com",
                "phone": f"07911 12345{index % 10}",
                "address_line_1": f"{index + 1} Church Lane",
                "town": "Northtown",
                "postcode": "NS1 2AB",
                "contact_preference": contact,
            },
            answers=answers,
            actor=Actor.system("demo data"),
            language=language,
        )

    def _cases(self, organisation, editor, *, fee: bool) -> None:
        index = 0
        for state, path in _blue_badge_paths(fee).items():
            case = self._open(organisation, Service.BLUE_BADGE, index)
            self._walk(case, path, editor, state)
            index += 1
        original = self._open(organisation, Service.STREET_REPORT, index)
        index += 1
        for state, path in _street_paths(original.process_id).items():
            case = self._open(organisation, Service.STREET_REPORT, index)
            self._walk(case, path, editor, state)
            index += 1

    def _walk(self, case: Case, path: list[tuple], editor, state: str) -> None:
        for transition, kind, extra in path:
            if transition == "_backdate_repair":
                # Demo data only: pretend the booked date has passed, so the scheduled job's
                # transition (repair_date_missed) can run through the services as usual.
                yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
                details = {**Case.objects.get(pk=case.pk).details, "repair_date": yesterday}
                Case.objects.filter(pk=case.pk).update(details=details)
                continue
            actor = {
                "caseworker": Actor.caseworker(editor),
                "citizen": Actor.citizen(case),
                "system": Actor.system("demo data"),
            }[kind]
            case_transition(case=case.pk, transition=transition, actor=actor, **extra)
        reached = Case.objects.get(pk=case.pk).state
        if reached != state:
            raise CommandError(f"Demo case {case} reached {reached}, not {state}")
