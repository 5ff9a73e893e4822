"""Regenerate or install cases/data/bank_holidays.json (see cases/calendar.py for why it ships).

Without --from-file the file is generated from the ``holidays`` package for 2018 to 2035.
With --from-file PATH a copy of https://www.gov.uk/bank-holidays.json downloaded by an
operator is validated and installed. Nothing is written unless the whole input is valid.
"""

import json
import os
import re
import tempfile
from datetime import date
from pathlib import Path

import holidays
from django.core.management.base import BaseCommand, CommandError

from cases import calendar

FIRST_YEAR = 2018
LAST_YEAR = 2035

SUBDIVISIONS = {"england-and-wales": "ENG", "scotland": "SCT", "northern-ireland": "NIR"}

# One-off bank holidays that must be present; added if a `holidays` release lacks them.
UK_ONE_OFFS = {
    date(2020, 5, 8): "Early May bank holiday (VE day)",
    date(2022, 6, 3): "Platinum Jubilee bank holiday",
    date(2022, 9, 19): "Bank Holiday for the State Funeral of Queen Elizabeth II",
    date(2023, 5, 8): "Bank holiday for the coronation of King Charles III",
}
ONE_OFFS = {
    "england-and-wales": UK_ONE_OFFS,
    "scotland": {
        **UK_ONE_OFFS,
        # Proclaimed by the Privy Council in February 2026.
        date(2026, 6, 15): "Scotland's participation in the FIFA World Cup final",
    },
    "northern-ireland": UK_ONE_OFFS,
}

NO_BUNTING = ("Good Friday", "State Funeral")
OBSERVED = " (observed)"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def generate() -> dict:
    """The GOV.UK-shaped feed for FIRST_YEAR..LAST_YEAR from the `holidays` package.

    Like GOV.UK's feed it lists only the weekday each bank holiday is taken on: a holiday that
    falls at a weekend appears as its substitute day, with notes "Substitute day".
    """
    feed = {}
    for division, subdiv in SUBDIVISIONS.items():
        source = holidays.country_holidays(
            "GB", subdiv=subdiv, years=range(FIRST_YEAR, LAST_YEAR + 1)
        )
        events = {}
        for day, names in source.items():
            if day.weekday() >= 5:
                continue
            parts = names.split("; ")
            title = "; ".join(dict.fromkeys(p.removesuffix(OBSERVED) for p in parts))
            substitute = any(p.endswith(OBSERVED) for p in parts)
            events[day] = _event(title, day, "Substitute day" if substitute else "")
        for day, title in ONE_OFFS[division].items():
            events.setdefault(day, _event(title, day, ""))
        feed[division] = {"division": division, "events": [events[d] for d in sorted(events)]}
    return feed


def _event(title: str, day: date, notes: str) -> dict:
    bunting = not any(word in title for word in NO_BUNTING)
    return {"title": title, "date": day.isoformat(), "notes": notes, "bunting": bunting}


def validate(feed: object) -> dict:
    """The feed with events sorted by date, or CommandError naming the first problem."""
    if not isinstance(feed, dict):
        raise CommandError("Expected a JSON object with one key per division.")
    cleaned = {}
    for division in SUBDIVISIONS:
        section = feed.get(division)
        if not isinstance(section, dict):
            raise CommandError(f"Division {division!r} is missing.")
        if section.get("division") != division:
            raise CommandError(f"{division}: 'division' must be {division!r}.")
        events = section.get("events")
        if not isinstance(events, list) or not events:
            raise CommandError(f"{division}: 'events' must be a non-empty list.")
        parsed = []
        for i, event in enumerate(events):
            where = f"{division} event {i}"
            if not isinstance(event, dict):
                raise CommandError(f"{where}: must be an object.")
            title = event.get("title")
            if not isinstance(title, str) or not title.strip():
                raise CommandError(f"{where}: missing title.")
            raw = event.get("date")
            try:
                if not isinstance(raw, str) or not ISO_DATE.fullmatch(raw):
                    raise ValueError
                day = date.fromisoformat(raw)
            except ValueError:
                raise CommandError(f"{where} ({title}): invalid date {raw!r}.") from None
            notes = event.get("notes", "")
            bunting = event.get("bunting", True)
            if not isinstance(notes, str) or not isinstance(bunting, bool):
                raise CommandError(
                    f"{where} ({title}): 'notes' must be text, 'bunting' true/false."
                )
            parsed.append((day, {"title": title, "date": raw, "notes": notes, "bunting": bunting}))
        parsed.sort(key=lambda pair: pair[0])
        cleaned[division] = {"division": division, "events": [event for _, event in parsed]}
    return cleaned


def write(feed: dict, target: Path) -> None:
    """Write atomically: a reader sees the old file or the new one, never half of one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(feed, indent=2, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Command(BaseCommand):
    help = (
        "Regenerate the shipped UK bank holidays (cases/data/bank_holidays.json) from the "
        f"`holidays` package for {FIRST_YEAR}-{LAST_YEAR}, or install a downloaded copy of "
        "https://www.gov.uk/bank-holidays.json with --from-file."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from-file",
            type=Path,
            metavar="PATH",
            help="A copy of GOV.UK's bank-holidays.json to validate and install.",
        )
        parser.add_argument(
            "--output",
            type=Path,
            default=calendar.BANK_HOLIDAYS_PATH,
            metavar="PATH",
            help="Where to write (default: the shipped file).",
        )

    def handle(self, *args, from_file=None, output=calendar.BANK_HOLIDAYS_PATH, **options):
        if from_file is not None:
            try:
                with Path(from_file).open(encoding="utf-8-sig") as f:
                    loaded = json.load(f)
            except OSError as exc:
                raise CommandError(f"Cannot read {from_file}: {exc}") from exc
            except (ValueError, UnicodeDecodeError) as exc:
                raise CommandError(f"{from_file} is not valid JSON: {exc}") from exc
            feed = validate(loaded)
            source = str(from_file)
        else:
            feed = validate(generate())
            source = f"the holidays package ({FIRST_YEAR}-{LAST_YEAR})"

        output = Path(output)
        write(feed, output)
        if output.resolve() == calendar.BANK_HOLIDAYS_PATH:
            calendar.clear_cache()
        counts = ", ".join(f"{d}: {len(s['events'])}" for d, s in feed.items())
        self.stdout.write(self.style.SUCCESS(f"Wrote {output} from {source} ({counts})."))
