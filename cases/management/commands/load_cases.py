"""Loads many street reports, each with a realistic timeline, for measuring at full size:

    python manage.py load_cases --cases 1000000 --council bench --throwaway

Each case is at a stage reached the way the product reaches it (reported; inspected;
repair booked; fixed; closed), with one event for its creation and one for every step
since: closed ones spread over the last two years, open ones recent (repairs still to
come). Each has a citizen with a name, an email address, a phone number and a postcode.
On PostgreSQL the rows go in with `COPY` (about 4,000 cases a second here); elsewhere one
`INSERT` a row (for the tests). It adds to what the council already has and never changes
a row; it writes no notifications, payments or webhook deliveries, and runs no hooks.

For a throwaway database only (`--throwaway` says so): the rows are made up, and nothing
but this command makes cases without `cases.services`.
"""

import json
import random
from datetime import UTC, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import NOT_PROVIDED

from cases import process_id
from cases.models import Case, CaseEvent, Organisation, Service, ServiceConfig
from cases.workflows.base import ActorKind
from cases.workflows.street_report import StreetReportCase

# (final state, share of cases, the steps that led there)
PATHS = [
    ("reported", 20, []),
    ("inspected", 15, ["inspect"]),
    ("repair_scheduled", 30, ["inspect", "schedule_repair"]),
    ("fixed", 15, ["inspect", "schedule_repair", "mark_fixed"]),
    ("closed", 20, ["inspect", "schedule_repair", "mark_fixed", "close"]),
]
STATES = ["reported", "inspected", "repair_scheduled", "fixed", "closed"]
ISSUES = ["pothole", "street_light", "fly_tipping", "graffiti", "blocked_drain"]
STREETS = ["Mill Lane", "High Street", "Church Road", "Station Road", "Park Avenue"]
FIRST = ["Ann", "Bryn", "Carys", "Dewi", "Eleri", "Ffion", "Gareth", "Huw", "Iwan", "Jac"]
LAST = ["Jones", "Williams", "Davies", "Evans", "Thomas", "Roberts", "Hughes", "Lewis"]
LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
CHUNK = 20_000


def _postcode(rng: random.Random) -> str:
    area = rng.choice(["CF", "SA", "NP", "LL", "SY", "LD"])
    return (
        f"{area}{rng.randint(1, 99)} {rng.randint(0, 9)}{rng.choice(LETTERS)}{rng.choice(LETTERS)}"
    )


class Command(BaseCommand):
    help = "Load many street reports with realistic timelines (a throwaway database only)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, required=True)
        parser.add_argument("--council", default="bench", help="the council's slug")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--throwaway", action="store_true", help="confirm this database is a throwaway one"
        )

    def handle(self, *args, cases: int, council: str, seed: int, throwaway: bool, **options):
        if not throwaway:
            raise CommandError(
                "This writes made-up cases without the case services: only into a throwaway "
                "database, confirmed with --throwaway."
            )
        if cases < 1:
            raise CommandError("--cases must be at least 1.")
        organisation, _ = Organisation.objects.get_or_create(
            slug=council, defaults={"name": council.title()}
        )
        ServiceConfig.objects.get_or_create(
            organisation=organisation, service=Service.STREET_REPORT
        )
        rng = random.Random(seed + Case.objects.filter(organisation=organisation).count())
        stage_of = {
            state: StreetReportCase(state=state).stage_for_state(state).slug for state in STATES
        }
        weights = [share for _state, share, _steps in PATHS]
        started = datetime.now(UTC)
        done = 0
        while done < cases:
            size = min(CHUNK, cases - done)
            paths = rng.choices(PATHS, weights=weights, k=size)
            with transaction.atomic():
                pks = self._write_cases(organisation, paths, stage_of, rng)
                self._write_events(pks, paths)
            done += size
            self.stdout.write(f"{done:,} cases ({datetime.now(UTC) - started})")

    def _write_cases(self, organisation, paths, stage_of, rng) -> list[tuple[int, datetime]]:
        """The chunk's cases; returns each one's primary key and creation time, in order."""
        rows, now = [], datetime.now(UTC)
        for state, _share, steps in paths:
            # Closed cases over the last two years; open ones recent, as a council's are
            # (a repair still to come, a fix still within its window to reopen).
            days_ago = rng.uniform(30, 730) if state == "closed" else rng.uniform(0, 2)
            last = now - timedelta(days=days_ago)
            created = last - timedelta(days=3 * len(steps))
            first, family = rng.choice(FIRST), rng.choice(LAST)
            number = rng.randint(1, 10**9)
            repair = (last + timedelta(days=14)).date().isoformat()
            details = {"repair_date": repair} if len(steps) >= 2 else {}
            if len(steps) >= 3:
                details["fixed_at"] = last.isoformat()
            rows.append(
                {
                    "process_id": process_id.generate("ST"),
                    "organisation_id": organisation.pk,
                    "service": Service.STREET_REPORT,
                    "state": state,
                    "stage": stage_of[state],
                    "stage_entered_at": last,
                    "closed_at": last if state == "closed" else None,
                    "applicant_name": f"{first} {family}",
                    "email": f"{first.lower()}.{family.lower()}{number}@example.org",
                    "phone": f"+4479{number % 10**8:08d}",
                    "postcode": _postcode(rng),
                    "contact_preference": "email",
                    "answers": json.dumps(
                        {
                            "issue_type": rng.choice(ISSUES),
                            "location": f"Outside {rng.randint(1, 200)} {rng.choice(STREETS)}",
                        }
                    ),
                    "details": json.dumps(details),
                    "version": 1 + len(steps),
                    "created_at": created,
                    "updated_at": last,
                }
            )
        columns = list(rows[0])
        defaults = {
            field.column: field.get_default()
            for field in Case._meta.concrete_fields
            if not field.primary_key
            and field.column not in columns
            and field.db_default is NOT_PROVIDED
        }
        defaults = {k: (json.dumps(v) if isinstance(v, dict) else v) for k, v in defaults.items()}
        columns += list(defaults)
        values = [[row[c] for c in rows[0]] + list(defaults.values()) for row in rows]
        pks = self._insert(Case._meta.db_table, columns, values)
        return [(pk, row["created_at"]) for pk, row in zip(pks, rows, strict=True)]

    def _write_events(self, cases, paths) -> None:
        columns = [
            "case_id",
            "kind",
            "transition",
            "from_state",
            "to_state",
            "actor_kind",
            "actor_label",
            "reason",
            "message",
            "public",
            "data",
            "request_id",
            "case_version",
            "created_at",
        ]
        rows = []
        for (pk, created), (_state, _share, steps) in zip(cases, paths, strict=True):
            rows.append(
                [
                    pk,
                    CaseEvent.Kind.CREATED,
                    "",
                    "",
                    "reported",
                    ActorKind.CITIZEN,
                    "Citizen",
                    "",
                    "",
                    True,
                    "{}",
                    "",
                    1,
                    created,
                ]
            )
            for n, step in enumerate(steps, start=1):
                data = "{}"
                if step == "schedule_repair":
                    repair = (created + timedelta(days=3 * len(steps) + 14)).date().isoformat()
                    data = json.dumps({"repair_date": repair})
                rows.append(
                    [
                        pk,
                        CaseEvent.Kind.TRANSITION,
                        step,
                        STATES[n - 1],
                        STATES[n],
                        ActorKind.CASEWORKER,
                        "Highways team",
                        "",
                        "",
                        True,
                        data,
                        "",
                        n + 1,
                        created + timedelta(days=3 * n),
                    ]
                )
        self._insert(CaseEvent._meta.db_table, columns, rows, returning=False)

    def _insert(self, table: str, columns: list[str], rows: list[list], returning=True):
        """Writes the rows; returns their new primary keys in order when asked."""
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                keys = None
                if returning:  # reserve the keys, then COPY with them
                    cursor.execute(
                        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                        "FROM generate_series(1, %s)",
                        [table, len(rows)],
                    )
                    keys = [pk for (pk,) in cursor.fetchall()]
                    columns_sql = "id, " + quoted
                    rows = [[pk, *row] for pk, row in zip(keys, rows, strict=True)]
                else:
                    columns_sql = quoted
                with cursor.cursor.copy(f"COPY {table} ({columns_sql}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                return keys
            placeholders = ", ".join(["%s"] * len(columns))
            keys = []
            for row in rows:
                cursor.execute(f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})", row)  # noqa: S608 - our own table and column names
                keys.append(cursor.lastrowid)
            return keys if returning else None
