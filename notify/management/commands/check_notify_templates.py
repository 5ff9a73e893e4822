"""Compare the templates declared in code with each council's GOV.UK Notify account:
missing templates, the wrong type, and placeholders that differ."""

from django.core.management.base import BaseCommand, CommandError

from cases.models import Organisation
from config import secrets
from notify.client import NotifyFailure, backend_for
from notify.linking import (
    LANGUAGES,
    Status,
    check_template,
    configured_template_id,
    service_events,
)
from notify.templates import TEMPLATES


def problems_for(organisation: Organisation) -> tuple[list[str], bool]:
    """Returns the problems found, and whether the account could be checked at all."""
    backend = backend_for(organisation.slug)
    if backend is None or backend.is_local:
        variable = secrets.variable(secrets.NOTIFY_API_KEY, organisation.slug)
        return [f"{organisation}: no GOV.UK Notify API key (set {variable})"], False
    try:
        account = {t["id"]: t for t in backend.templates()}
    except NotifyFailure as failure:
        return [f"{organisation}: could not read the Notify account: {failure.message}"], False
    problems = []
    for config in organisation.service_configs.filter(enabled=True):
        for event in service_events(config.service):  # the events this service sends
            template = TEMPLATES[event]
            for channel in config.enabled_channels or []:
                for language in LANGUAGES:
                    template_id = configured_template_id(config, event, channel, language)
                    where = f"{config}: {event} / {channel} / {language}"
                    if not template_id:
                        if language == "en" and not template.batch:
                            problems.append(f"{where}: no template ID configured")
                        continue
                    found = account.get(template_id)
                    if found is None:
                        problems.append(f"{where}: template {template_id} is not in the account")
                        continue
                    status, detail = check_template(event, channel, language, found)
                    if status == Status.WRONG_TYPE:
                        problems.append(
                            f"{where}: template {template_id} is a {found.get('type')} template"
                        )
                    elif status == Status.PLACEHOLDERS_DIFFER:
                        problems.append(f"{where}: placeholders differ ({detail})")
    return problems, True


class Command(BaseCommand):
    help = "Check each council's GOV.UK Notify templates against the templates Waymark declares."

    def add_arguments(self, parser):
        parser.add_argument("--council", help="Only this council (its slug).")

    def handle(self, *args, council=None, **options):
        organisations = Organisation.objects.all()
        if council:
            organisations = organisations.filter(slug=council)
            if not organisations.exists():
                raise CommandError(f"No council with the slug {council!r}")
        failed = False
        for organisation in organisations:
            problems, _checked = problems_for(organisation)
            if problems:
                failed = True
                self.stdout.write(self.style.WARNING(f"{organisation}: {len(problems)} problem(s)"))
                for problem in problems:
                    self.stdout.write(f"  - {problem}")
            else:
                self.stdout.write(self.style.SUCCESS(f"{organisation}: templates match"))
        if failed:
            raise CommandError("Some templates do not match: see above.")
