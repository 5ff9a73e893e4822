"""Reads: the citizen's timeline of a case, built in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone

from cases import calendar
from cases.models import Case, CaseEvent
from cases.money import pounds
from cases.ukdates import long_iso_date
from cases.workflows.base import Outcome, Stage, Text

DONE, CURRENT, UPCOMING = "done", "current", "upcoming"

CREATED_TEXT = Text("We received it", "Cawsom ef")
OVERDUE_TEXT = Text(
    "This is taking longer than it should. We aimed to finish this stage by {due}.",
    "Mae hyn yn cymryd mwy o amser nag y dylai. Roeddem yn bwriadu gorffen y cam hwn erbyn {due}.",
)


REFUNDED_TEXT = Text("We refunded {amount} to you", "Gwnaethom ad-dalu {amount} i chi")
DUPLICATE_REFUNDED_TEXT = Text(
    "You paid twice, so we refunded the second payment of {amount}",
    "Gwnaethoch dalu ddwywaith, felly gwnaethom ad-dalu'r ail daliad o {amount}",
)


@dataclass
class TimelineStage:
    stage: Stage
    status: str  # done, current or upcoming
    completed_at: datetime | None = None
    due_date: date | None = None
    doing: str = ""  # what is happening now (the current stage only)
    next: str = ""  # what happens next (the current stage only)

    @property
    def title(self) -> str:
        return str(self.stage.title)


@dataclass
class TimelineEntry:
    at: datetime
    text: str
    message: str = ""


@dataclass
class Timeline:
    case: Case
    stages: list[TimelineStage]
    outcome: Outcome | None
    entries: list[TimelineEntry]  # newest first
    actions: list[dict]
    expected_completion: date | None
    overdue: bool
    notifications: list = field(default_factory=list)
    payments: list = field(default_factory=list)
    outcome_text: str = ""  # the outcome's explanation, its placeholders filled
    outcome_next: str = ""  # what the citizen can do now
    headline: str = ""  # where the case is, in words

    @property
    def current(self) -> TimelineStage | None:
        return next((s for s in self.stages if s.status == CURRENT), None)

    @property
    def payable(self):
        """The payment the citizen can make now, if any."""
        return next((p for p in self.payments if p.is_payable), None)

    @property
    def checking(self) -> bool:
        """A payment the provider may have: the citizen must not be asked to pay again."""
        return any(p.is_being_checked for p in self.payments)


def entry_text(case: Case, event: CaseEvent, steps: dict) -> str:
    """The line a public event puts on the citizen's timeline (`steps`: the workflow's
    transitions by name), in the active language."""
    if event.kind == CaseEvent.Kind.CREATED:
        return str(case.CREATED_TEXT or CREATED_TEXT)
    if event.kind == CaseEvent.Kind.OVERDUE:
        return OVERDUE_TEXT.format(due=long_iso_date(event.data.get("due_date")))
    if event.kind == CaseEvent.Kind.REFUNDED:
        text = DUPLICATE_REFUNDED_TEXT if event.data.get("duplicate") else REFUNDED_TEXT
        return text.format(amount=pounds(event.data.get("amount_pence", 0)))
    meta = steps.get(event.transition)
    return str(meta.public) if meta and meta.public else ""


def case_timeline(case: Case) -> Timeline:
    """Everything the citizen's timeline page shows. Three queries plus the council's
    settings, however many events the case has."""
    events = list(case.events.filter(public=True).order_by("created_at", "id"))
    # What was sent to the citizen, not to the report's followers.
    notifications = list(case.notifications.filter(follower=None).order_by("-created_at"))
    payments = list(case.payment_requests.order_by("-created_at"))
    steps = {t.name: t.custom["step"] for t in case.get_all_state_transitions()}

    stages = case.visible_stages()
    index_of = {stage.slug: i for i, stage in enumerate(stages)}

    def stage_index(state: str) -> int | None:
        stage = case.stage_for_state(state)
        return index_of.get(stage.slug) if stage else None

    outcome = case.outcome_for_state(case.state)
    if outcome is not None:
        # The furthest stage reached before the case ended off the happy path.
        before = [e.from_state for e in events if e.to_state == case.state and e.from_state]
        reached = stage_index(before[-1]) if before else 0
        reached = 0 if reached is None else reached
    else:
        reached = stage_index(case.state)
        reached = 0 if reached is None else reached

    completed: dict[int, datetime] = {}
    for event in events:
        if event.kind != CaseEvent.Kind.TRANSITION:
            continue
        old, new = stage_index(event.from_state), stage_index(event.to_state)
        if old is not None and new is not None and new > old:
            for i in range(old, new):
                completed[i] = event.created_at

    timeline_stages = []
    for i, stage in enumerate(stages):
        if outcome is not None:
            if i > reached:
                break
            status = DONE if i < reached else CURRENT
        else:
            status = (
                DONE if i < reached or case.is_closed else CURRENT if i == reached else UPCOMING
            )
        timeline_stages.append(
            TimelineStage(
                stage=stage,
                status=status,
                completed_at=completed.get(i) if status == DONE else None,
                due_date=case.due_date if status == CURRENT and not case.is_closed else None,
            )
        )
    if outcome is not None and timeline_stages:
        timeline_stages[-1].status = DONE
        timeline_stages[-1].completed_at = case.closed_at
    values = _text_values(case)
    for item in timeline_stages:
        if item.status == CURRENT:
            item.doing = item.stage.doing.format(**values)
            item.next = item.stage.next.format(**values)

    entries = [
        TimelineEntry(
            at=event.created_at, text=entry_text(case, event, steps), message=event.message
        )
        for event in reversed(events)
    ]

    actions = []
    action = case.CITIZEN_ACTIONS.get(case.state)
    if action is not None:
        actions.append(
            {"slug": action.slug, "text": action.text.format(fee=pounds(case.fee_pence()))}
        )

    return Timeline(
        case=case,
        stages=timeline_stages,
        outcome=outcome,
        entries=entries,
        actions=actions,
        expected_completion=expected_completion(case, stages, reached),
        overdue=case.overdue,
        notifications=notifications,
        payments=payments,
        outcome_text=outcome.explanation.format(**values) if outcome else "",
        outcome_next=outcome.next.format(**values) if outcome and outcome.next else "",
        headline=_headline(case, timeline_stages, outcome, values),
    )


def _headline(case: Case, stages, outcome, values: dict[str, str]) -> str:
    """The top of the timeline: the workflow's words for the state, else the stage's."""
    words = case.HEADLINES.get(case.state)
    if words is not None:
        return words.format(**values)
    if outcome is not None:
        return str(outcome.title)
    current = next((s for s in stages if s.status == CURRENT), None)
    return current.title if current else str(case.state_label)


def _text_values(case: Case) -> dict[str, str]:
    return {
        "repair_date": long_iso_date(case.details.get("repair_date")),
        "redirect_to": case.details.get("redirect_to", ""),
    }


def expected_completion(case: Case, stages: list[Stage], current_index: int) -> date | None:
    """When the case should finish: the current stage's deadline (or today, if that has
    passed) plus the working days of every stage still to come."""
    if case.is_closed:
        return None
    today = timezone.localdate()
    start = max(case.due_date or today, today)
    remaining = sum(case.config.stage_days(stage) for stage in stages[current_index + 1 :])
    return calendar.add_working_days(start, remaining)
