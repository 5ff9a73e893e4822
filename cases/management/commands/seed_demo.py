"""Load demo data: councils and logins for trying Waymark on a laptop. Safe to run twice."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cases.models import Organisation

DEMO_PASSWORD = "waymark-demo"  # noqa: S105 - demo data only; refused outside DEBUG

COUNCILS = [
    {"slug": "northshire", "name": "Northshire Council", "name_cy": "Cyngor Gogleddsir"},
    {"slug": "bryn-dewi", "name": "Bryn Dewi County Council", "name_cy": "Cyngor Sir Bryn Dewi"},
]

LOGINS = [
    # username, superuser?, what it is for
    ("admin", True, "national administrator: every council, every setting"),
    ("caseworker", False, "caseworker at Northshire Council"),
]


class Command(BaseCommand):
    help = "Create demo councils and logins (idempotent). Refuses to run with DEBUG off."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even with DEBUG off (for tests and throwaway demo servers only).",
        )

    @transaction.atomic
    def handle(self, *args, allow_production: bool = False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "seed_demo creates logins with a published password; it only runs with "
                "DEBUG on (or --allow-production on a throwaway server)."
            )
        for council in COUNCILS:
            Organisation.objects.update_or_create(slug=council["slug"], defaults=council)

        User = get_user_model()
        for username, superuser, _purpose in LOGINS:
            user, _created = User.objects.get_or_create(username=username)
            user.is_staff = True
            user.is_superuser = superuser
            user.email = f"{username}@example.gov.uk"
            user.set_password(DEMO_PASSWORD)
            user.save()

        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        for username, _superuser, purpose in LOGINS:
            self.stdout.write(f"  {username} / {DEMO_PASSWORD}  ({purpose})")
