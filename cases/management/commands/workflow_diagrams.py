"""Draw each workflow from its code into docs/workflows/<service>.md (Mermaid, which
GitHub renders). `--check` fails when the committed pictures are out of date."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django_fsm import State

from cases.workflows import WORKFLOWS

OUTPUT = Path(settings.BASE_DIR) / "docs" / "workflows"


def render(workflow) -> str:
    case = workflow(state=workflow.INITIAL_STATE)
    lines = [
        f"# {workflow.TITLE.en}",
        "",
        f"Generated from `{workflow.__module__}` by `python manage.py workflow_diagrams`;",
        "do not edit by hand. Labels: the transition, then who may run it.",
        "",
        "```mermaid",
        "stateDiagram-v2",
    ]
    for state, label in workflow.STATE_LABELS.items():
        lines.append(f"    {state}: {label.en}")
    lines.append(f"    [*] --> {workflow.INITIAL_STATE}")
    for transition in case.get_all_state_transitions():
        step = transition.custom["step"]
        targets = (
            transition.target.allowed_states
            if isinstance(transition.target, State)
            else [transition.target]
        )
        who = ", ".join(sorted(str(kind) for kind in step.actors))
        for target in targets:
            lines.append(f"    {transition.source} --> {target}: {step.label.en} ({who})")
    for state in sorted(workflow.CLOSED_STATES):
        lines.append(f"    {state} --> [*]")
    lines += ["```", "", "## Stages the citizen sees", "", "| stage | states | working days |"]
    lines.append("|---|---|---|")
    for stage in workflow.STAGES:
        days = stage.sla_days or "–"
        lines.append(f"| {stage.title.en} | {', '.join(stage.states)} | {days} |")
    if workflow.PAYMENT_STAGE:
        lines += [
            "",
            f"The `{workflow.PAYMENT_STAGE}` stage appears only when the council charges a fee.",
        ]
    lines += ["", "## Outcomes off the main path", ""]
    lines += [f"- **{o.title.en}** (`{o.state}`): {o.explanation.en}" for o in workflow.OUTCOMES]
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = "Write docs/workflows/<service>.md from the workflow code (or --check them)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Fail if any is out of date.")

    def handle(self, *args, check: bool = False, **options):
        stale = []
        with translation.override("en"):
            for service, workflow in sorted(WORKFLOWS.items()):
                path = OUTPUT / f"{service}.md"
                text = render(workflow)
                if check:
                    if not path.exists() or path.read_text() != text:
                        stale.append(str(path))
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
                self.stdout.write(f"wrote {path}")
        if stale:
            raise CommandError(
                "Out of date (run `python manage.py workflow_diagrams`): " + ", ".join(stale)
            )
