"""Applications and reports in progress: the answers kept in the session page by page, the
question pages every journey shares, sending the answers, and saving a draft to finish
later from a link.

A journey (`Flow`) is a list of pages (`Step`); each question page has a form whose
`answer()` gives the keys it stores: applicant details (`cases.applicants.APPLICANT_FIELDS`)
or the workflow's answers. A page with `when` is asked only if the answers before it call
for it (the contact details for the channel chosen), and one with `when_journey` only if
the journey calls for it (say, reports already on record near the place given); the answers
to a page no longer asked are dropped. A page with a `view` of its own asks its question
its own way. Sending them is one `case_create` call.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from cases.applicants import APPLICANT_FIELDS
from cases.errors import CaseError, CaseValidationError
from cases.models import Case, Draft, Organisation
from cases.portal import access
from cases.services import Actor, case_create

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from cases.portal.evidence import FileRule

SESSION_PREFIX = "waymark_journey"
SUBMITTED_PREFIX = "waymark_submitted"
DRAFT_DAYS = 30
FLOWS: dict[str, Flow] = {}


class QuestionForm(forms.Form):
    """A question page's form. `answer()` is what the journey stores for the page."""

    def answer(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}

    @classmethod
    def initial_from(cls, stored: dict[str, Any]) -> dict[str, Any]:
        """The form's values for a stored answer (to show it again, or to check it again)."""
        return dict(stored)

    def add_service_error(self, key: str, messages: list[str]) -> None:
        """Shows an error `cases.services` found on the field it belongs to."""
        for message in messages:
            self.add_error(key if key in self.fields else None, message)


@dataclass(frozen=True)
class Step:
    slug: str  # the page's address within the journey
    title: StrOrPromise
    template: str
    form: type[QuestionForm] | None = None
    files: FileRule | None = None  # a file page instead of a question
    form_kwargs: dict[str, Any] = field(default_factory=dict)
    # Asked only when this is true of the answers to the pages before it.
    when: Callable[[dict[str, Any]], bool] | None = None
    # ...and, for a page that depends on more than the answers (the council, what is on
    # record), only when this is true of the journey and the answers before it.
    when_journey: Callable[[Journey, dict[str, Any]], bool] | None = None
    # A page with a view of its own, view(request, journey, step), reached once the pages
    # before it are answered; it keeps its answer with journey.answer().
    view: Callable[..., HttpResponse] | None = None


@dataclass(frozen=True)
class Flow:
    service: str
    name: str  # URL names: portal:<name>-start, -step, -check, -confirmation, -saved
    title: StrOrPromise
    steps: tuple[Step, ...]
    rows: Callable[[Journey], list[dict]]  # the check-answers summary list
    drafts: bool = False  # offers "Save and come back later"
    # More pages of the journey's own, each (address, view(request, flow, council)); they
    # may take a form (POST).
    pages: tuple[tuple[str, Callable[..., HttpResponse]], ...] = ()

    def step(self, slug: str) -> Step:
        for step in self.steps:
            if step.slug == slug:
                return step
        raise Http404("No such page")

    def url(self, name: str, organisation: Organisation, step: Step | None = None) -> str:
        kwargs = {"council": organisation.slug}
        if step is not None:
            kwargs["step"] = step.slug
        return reverse(f"portal:{self.name}-{name}", kwargs=kwargs)


def register(flow: Flow) -> Flow:
    FLOWS[flow.service] = flow
    return flow


def offered_by(flow: Flow, council: str) -> Organisation:
    """The council, if it offers the service now; 404 otherwise."""
    organisation = Organisation.objects.filter(
        slug=council, service_configs__service=flow.service, service_configs__enabled=True
    ).first()
    if organisation is None:
        raise Http404("This council does not offer this service")
    return organisation


class Journey:
    """One person's answers to one flow at one council, kept in their session."""

    def __init__(self, request, flow: Flow, organisation: Organisation):
        self.request, self.flow, self.organisation = request, flow, organisation
        self.key = f"{SESSION_PREFIX}:{flow.service}:{organisation.slug}"
        stored = request.session.get(self.key)
        self.data: dict[str, Any] = stored or {"id": uuid.uuid4().hex, "answers": {}, "files": []}
        self.memo: dict[Any, Any] = {}  # what a page works out once a request

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def files(self) -> list[dict]:
        return self.data["files"]

    def get(self, slug: str) -> dict | None:
        return self.data["answers"].get(slug)

    def steps(self) -> list[Step]:
        """The pages this person is asked, in order: a page with `when` only if the answers
        before it call for it."""
        asked: list[Step] = []
        merged: dict[str, Any] = {}
        for step in self.flow.steps:
            if (step.when is None or step.when(merged)) and (
                step.when_journey is None or step.when_journey(self, merged)
            ):
                asked.append(step)
                merged.update(self.get(step.slug) or {})
        return asked

    def values(self) -> dict[str, Any]:
        """Every answer, in page order: the applicant's details and the workflow's answers."""
        merged: dict[str, Any] = {}
        for step in self.steps():
            merged.update(self.get(step.slug) or {})
        return merged

    def save(self) -> None:
        self.request.session[self.key] = self.data
        self.request.session.modified = True

    def answer(self, slug: str, value: dict) -> None:
        """Keeps the page's answer, and drops the answers to pages it means are no longer
        asked (say, the email address once the person chooses letters instead)."""
        self.data["answers"][slug] = value
        asked = {step.slug for step in self.steps()}
        for step in self.flow.steps:
            if step.slug not in asked:
                self.data["answers"].pop(step.slug, None)
        self.save()

    def unanswer(self, slug: str) -> None:
        self.data["answers"].pop(slug, None)
        self.save()

    def forget_lost_files(self) -> None:
        """Drops files no longer stored (say, sent from another browser with the same
        draft link), so a page that needs files asks for them again."""
        from cases.portal import evidence

        kept = evidence.still_stored(self.files)
        if len(kept) != len(self.files):
            self.data["files"] = kept
            self.save()

    def is_answered(self, step: Step) -> bool:
        if step.slug not in self.data["answers"]:
            return False
        return not (step.files and step.files.required and not self.files)

    def first_unanswered(self) -> Step | None:
        return next((s for s in self.steps() if not self.is_answered(s)), None)

    def url(self, step: Step) -> str:
        return self.flow.url("step", self.organisation, step)

    def next_url(self) -> str:
        missing = self.first_unanswered()
        return self.url(missing) if missing else self.flow.url("check", self.organisation)

    def back_url(self, step: Step) -> str:
        steps = self.steps()
        index = steps.index(step) if step in steps else 0
        if index == 0:
            return self.flow.url("start", self.organisation)
        return self.url(steps[index - 1])

    def last_url(self) -> str:
        """The last page asked (the check-answers page's back link)."""
        return self.url(self.steps()[-1])

    # --- Errors found when the answers are sent -----------------------------------------

    def route_errors(self, errors: dict[str, list[str]]) -> tuple[Step | None, list[str]]:
        """Puts each error on the page that asks for it; returns the first such page and
        the messages no page asks for."""
        pending: dict[str, dict[str, list[str]]] = {}
        unplaced: list[str] = []
        asked = self.steps()
        for key, messages in errors.items():
            name = key.removeprefix("answers.")
            owner = next(
                (
                    step
                    for step in asked
                    if step.form is not None
                    and (name in (self.get(step.slug) or {}) or name in step.form.base_fields)
                ),
                None,
            )
            if owner is None:
                unplaced.extend(messages)
            else:
                pending.setdefault(owner.slug, {})[name] = list(messages)
        self.data["errors"] = pending
        self.save()
        first = next((s for s in asked if s.slug in pending), None)
        return first, unplaced

    def form_with_errors(self, step: Step) -> QuestionForm | None:
        """The page's form showing the errors found when the answers were sent, if any."""
        pending = self.data.get("errors", {}).pop(step.slug, None)
        if not pending:
            return None
        self.save()
        form_class = step.form
        assert form_class is not None  # route_errors puts errors only on pages with a form
        form = form_class(
            data=form_class.initial_from(self.get(step.slug) or {}), **step.form_kwargs
        )
        form.is_valid()
        for key, messages in pending.items():
            form.add_service_error(key, messages)
        return form

    # --- Saving a draft and finishing ----------------------------------------------------

    def save_draft(self) -> Draft:
        draft, _created = Draft.objects.update_or_create(
            token=uuid.UUID(self.id),
            defaults={
                "organisation": self.organisation,
                "service": self.flow.service,
                "answers": {"answers": self.data["answers"], "files": self.files},
                "expires_at": timezone.now() + timedelta(days=DRAFT_DAYS),
            },
        )
        self.data["draft"] = str(draft.token)
        self.save()
        return draft

    def restore(self, draft: Draft) -> None:
        from cases.portal import evidence

        saved = draft.answers or {}
        self.data = {
            "id": draft.token.hex,
            "answers": dict(saved.get("answers", {})),
            "files": evidence.still_stored(saved.get("files", [])),
            "draft": str(draft.token),
        }
        self.save()

    def submit(self) -> Case:
        """Opens the case with the answers and attaches the files; raises
        CaseValidationError when the services find a problem."""
        from cases.portal import evidence

        values = self.values()
        applicant = {k: v for k, v in values.items() if k in APPLICANT_FIELDS}
        answers = {k: v for k, v in values.items() if k not in APPLICANT_FIELDS}
        with transaction.atomic():
            case = case_create(
                organisation=self.organisation,
                service=self.flow.service,
                applicant=applicant,
                answers=answers,
                actor=Actor.system("citizen portal"),
                language=get_language() or "en",
            )
            evidence.attach(case, self.files)
        evidence.discard(self.files)
        Draft.objects.filter(token=uuid.UUID(self.id)).delete()
        self.request.session.pop(self.key, None)
        access.grant(self.request, case)
        self.request.session[f"{SUBMITTED_PREFIX}:{self.flow.service}"] = case.pk
        return case


def drafts_delete_expired(now=None) -> int:
    """Deletes expired drafts and their files (for a scheduled job). Returns how many."""
    from cases.portal import evidence

    expired = Draft.objects.filter(expires_at__lte=now or timezone.now())
    count = 0
    for draft in expired:
        evidence.discard((draft.answers or {}).get("files", []))
        draft.delete()
        count += 1
    return count


# --- The pages every journey shares ----------------------------------------------------


def _render(request, journey: Journey, template: str, context: dict, status: int = 200):
    context = {
        "flow": journey.flow,
        "organisation": journey.organisation,
        "journey": journey,
        **context,
    }
    return render(request, template, context, status=status)


def start_page(request, flow: Flow, council: str) -> HttpResponse:
    journey = Journey(request, flow, offered_by(flow, council))
    return _render(request, journey, f"portal/{flow.name}/start.html", {"next": journey.next_url()})


def question_page(request, flow: Flow, council: str, slug: str) -> HttpResponse:
    journey = Journey(request, flow, offered_by(flow, council))
    step = flow.step(slug)
    steps = journey.steps()
    if step not in steps:  # not asked, given the answers so far (another contact channel)
        return HttpResponseRedirect(journey.next_url())
    missing = journey.first_unanswered()
    if missing is not None and steps.index(missing) < steps.index(step):
        return HttpResponseRedirect(journey.url(missing))
    if step.view is not None:
        return step.view(request, journey, step)
    if step.files is not None:
        from cases.portal.evidence import files_page

        return files_page(request, journey, step)
    form_class = step.form
    assert form_class is not None  # a page without files is a question page
    status = 200
    if request.method == "POST":
        saving = flow.drafts and request.POST.get("action") == "save"
        form = form_class(request.POST, **step.form_kwargs)
        if form.is_valid():
            journey.answer(step.slug, form.answer())
            if not saving:
                return HttpResponseRedirect(journey.next_url())
        if saving:  # keeps the answers that are valid; a page with a problem is not saved
            return save_for_later(journey)
        status = 400
    else:
        form = journey.form_with_errors(step) or form_class(
            initial=form_class.initial_from(journey.get(step.slug) or {}), **step.form_kwargs
        )
    return question_render(request, journey, step, form, status)


def question_render(request, journey: Journey, step: Step, form, status=200, **extra):
    context = {"step": step, "form": form, "back_url": journey.back_url(step), **extra}
    return _render(request, journey, step.template, context, status)


def save_for_later(journey: Journey) -> HttpResponse:
    journey.save_draft()
    return HttpResponseRedirect(journey.flow.url("saved", journey.organisation))


def check_page(request, flow: Flow, council: str) -> HttpResponse:
    journey = Journey(request, flow, offered_by(flow, council))
    journey.forget_lost_files()
    missing = journey.first_unanswered()
    if missing is not None:
        return HttpResponseRedirect(journey.url(missing))
    problems = None
    if request.method == "POST":
        try:
            journey.submit()
        except CaseError as exc:
            errors = exc.errors if isinstance(exc, CaseValidationError) else {"": [str(exc)]}
            step, unplaced = journey.route_errors(errors)
            if step is not None:
                return HttpResponseRedirect(journey.url(step))
            problems = forms.Form(data={})
            problems.is_valid()
            for message in unplaced:
                problems.add_error(None, message)
        else:
            return HttpResponseRedirect(flow.url("confirmation", journey.organisation))
    context = {
        "rows": flow.rows(journey),
        "form": problems,
        "back_url": journey.last_url(),
    }
    status = 400 if problems else 200
    return _render(request, journey, f"portal/{flow.name}/check_answers.html", context, status)


def confirmation_page(request, flow: Flow, council: str) -> HttpResponse:
    pk = request.session.get(f"{SUBMITTED_PREFIX}:{flow.service}")
    case = (
        Case.objects.select_related("organisation")
        .filter(pk=pk, organisation__slug=council, service=flow.service)
        .first()
        if pk
        else None
    )
    if case is None or not access.allowed(request, case):
        return HttpResponseRedirect(reverse("portal:start"))
    context = {"flow": flow, "organisation": case.organisation, "case": case}
    return render(request, f"portal/{flow.name}/confirmation.html", context)


def saved_page(request, flow: Flow, council: str) -> HttpResponse:
    journey = Journey(request, flow, offered_by(flow, council))
    token = journey.data.get("draft")
    draft = Draft.objects.filter(token=token).first() if token else None
    if draft is None or draft.is_expired:
        return HttpResponseRedirect(flow.url("start", journey.organisation))
    link = request.build_absolute_uri(reverse("portal:apply-resume", args=[draft.token]))
    context = {"draft": draft, "link": link, "next": journey.next_url()}
    return _render(request, journey, "portal/apply/saved.html", context)


def resume_page(request, token: uuid.UUID) -> HttpResponse:
    draft = (
        Draft.objects.select_related("organisation")
        .filter(token=token, expires_at__gt=timezone.now())
        .first()
    )
    flow = FLOWS.get(draft.service) if draft else None
    expired = {"days": DRAFT_DAYS}
    if draft is None or flow is None or not flow.drafts:
        return render(request, "portal/apply/expired.html", expired, status=404)
    try:
        organisation = offered_by(flow, draft.organisation.slug)
    except Http404:
        return render(request, "portal/apply/expired.html", expired, status=404)
    journey = Journey(request, flow, organisation)
    journey.restore(draft)
    return HttpResponseRedirect(journey.next_url())


def journey_urls(prefix: str, name: str, flow: Flow) -> list:
    """The URLs of one journey, bound to its flow: start, each question, check answers,
    confirmation, the saved-link page when the journey offers drafts, and its own pages."""
    from django.urls import path
    from django.views.decorators.cache import never_cache
    from django.views.decorators.http import require_http_methods, require_safe

    def bound(page, *, posts: bool):
        def view(request, council: str, **kwargs):
            return page(request, flow, council, *kwargs.values())

        decorate = require_http_methods(["GET", "HEAD", "POST"]) if posts else require_safe
        return never_cache(decorate(view))  # a journey's pages hold personal data

    urls = [
        path(prefix, bound(start_page, posts=False), name=f"{name}-start"),
        path(f"{prefix}check-answers/", bound(check_page, posts=True), name=f"{name}-check"),
        path(
            f"{prefix}confirmation/",
            bound(confirmation_page, posts=False),
            name=f"{name}-confirmation",
        ),
    ]
    if flow.drafts:
        urls.append(path(f"{prefix}saved/", bound(saved_page, posts=False), name=f"{name}-saved"))
    for slug, page in flow.pages:
        urls.append(path(f"{prefix}{slug}/", bound(page, posts=True), name=f"{name}-{slug}"))
    urls.append(
        path(f"{prefix}<slug:step>/", bound(question_page, posts=True), name=f"{name}-step")
    )
    return urls
