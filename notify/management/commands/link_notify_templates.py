"""Link a council's GOV.UK Notify templates by name: read its Notify account, match each
template to the registry by its name (``waymark <event> <channel> <language>``, see
notify/templates.py), print what would be linked and what is missing or different, and
save the template IDs into the council's service settings with --apply. It exits with an
error when a required template (English, not a batch one) is missing or different — with
--apply, after saving the others."""

from django.core.management.base import BaseCommand, CommandError

from cases.models import Organisation
from notify.client import NotifyFailure
from notify.linking import NoNotifyKey, Report, link_report, save_links


def describe(report: Report) -> list[str]:
    """The report, one line a template (problems first)."""
    lines = []
    for row in [*report.problems, *report.linked]:
        where = f"{row.event} / {row.channel} / {row.language}"
        status = row.status.value.upper() if not row.linked else row.status.value
        text = f"{status:<19} {where}: '{row.name}'"
        if row.template_id:
            text += f" {row.template_id}"
        if row.detail:
            text += f" ({row.detail})"
        if row.change:
            text += f" [{row.change}]"
        if not row.linked and row.required:
            text += " — required"
        lines.append(text)
    return lines


class Command(BaseCommand):
    help = (
        "Link a council's GOV.UK Notify templates to Waymark's by their names; "
        "writes nothing without --apply."
    )

    def add_arguments(self, parser):
        parser.add_argument("--council", required=True, help="The council's slug.")
        parser.add_argument(
            "--apply", action="store_true", help="Save the template IDs found (default: report)."
        )
        parser.add_argument(
            "--clear-missing",
            action="store_true",
            help="With --apply, also remove the IDs of templates not linked "
            "(default: they are kept).",
        )

    def handle(self, *args, council, apply=False, clear_missing=False, **options):
        organisation = Organisation.objects.filter(slug=council).first()
        if organisation is None:
            raise CommandError(f"No council with the slug {council!r}")
        try:
            report = link_report(organisation)
        except NoNotifyKey as missing_key:
            raise CommandError(missing_key.message) from None
        except NotifyFailure as failure:
            raise CommandError(
                f"{organisation}: could not read the Notify account: {failure.message}"
            ) from None

        for line in describe(report):
            self.stdout.write(f"  {line}")
        self.stdout.write(
            f"{organisation}: {len(report.rows)} templates expected, {len(report.linked)} "
            f"linked ({len(report.changes)} to save), {len(report.problems)} missing or different."
        )
        if apply:
            changed = save_links(report, clear_missing=clear_missing)
            self.stdout.write(self.style.SUCCESS(f"Saved: {changed} template ID(s) changed."))
        elif report.changes or (clear_missing and any(r.current for r in report.problems)):
            self.stdout.write("Nothing saved: run again with --apply to save these template IDs.")
        else:
            self.stdout.write("Nothing to save: the service settings already hold these IDs.")
        required = report.required_problems
        if required:
            raise CommandError(
                f"{len(required)} required template(s) (English, not batch) are missing or "
                "different: see above."
            )
