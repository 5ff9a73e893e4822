"""Linking a council's GOV.UK Notify templates by name instead of typing their IDs.

Each template a council creates in its Notify account is named after the registry (see
`notify.templates`): ``waymark <event> <channel> <language>``. `link_report` reads the
account's templates once and finds, for every event, channel and language the council
uses, the template with that name, then checks it as `check_notify_templates` does (type
and placeholders). `save_links` writes the IDs found into the council's service settings.

Which service settings an event is saved to comes from the workflows: the events their
hooks send (``ON_CREATE``, each transition's ``Notify`` hooks, the confirmation texts of
their SMS keywords, and ``payment_reminder`` for a workflow that asks for a fee). Events
no workflow sends by itself (``which_case``, batch templates such as ``announcement``)
belong to every service, as the inbound-SMS replies and batch sends read them from any of
the council's service settings.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

from django.db import transaction

from cases.models import Channel, Organisation, ServiceConfig
from cases.workflows import WORKFLOWS, workflow_class
from cases.workflows.base import Notify, RequestPayment
from config import secrets
from notify.client import backend_for
from notify.templates import NOTIFY_TYPE, TEMPLATES, placeholders_in

PREFIX = "waymark"
LANGUAGES = ("en", "cy")
_SEPARATORS = re.compile(r"[\s_]+")


def template_name(event: str, channel: str, language: str) -> str:
    """The name the council gives this template in its Notify account."""
    return f"{PREFIX} {event} {channel} {language}"


def normalise_name(name: str) -> str:
    """A name as it is compared: capitals ignored; spaces and underscores are one
    separator however many there are ("Waymark  Application Received EMAIL en")."""
    return " ".join(part for part in _SEPARATORS.split(name.strip().lower()) if part)


class NoNotifyKey(Exception):
    """The council has no GOV.UK Notify API key, so its account cannot be read."""

    def __init__(self, organisation: Organisation):
        self.variable = secrets.variable(secrets.NOTIFY_API_KEY, organisation.slug)
        super().__init__(
            f"{organisation} has no GOV.UK Notify API key: set {self.variable} "
            f"(or {secrets.NOTIFY_API_KEY} for every council) to read its Notify account"
        )
        self.message = str(self)


class Status(StrEnum):
    LINKED = "linked"
    WRONG_TYPE = "wrong type"
    PLACEHOLDERS_DIFFER = "placeholders differ"
    DUPLICATE = "several templates"
    MISSING = "missing"


@dataclass(frozen=True)
class Row:
    """One event × channel × language: what the account holds under the expected name."""

    event: str
    channel: str
    language: str
    status: Status
    template_id: str = ""  # the template found (only kept when linked or one was found)
    detail: str = ""  # what is wrong, in words
    services: tuple[str, ...] = ()  # the service settings the ID is saved to
    current: tuple[str, ...] = ()  # the IDs those settings hold now (distinct)

    @property
    def name(self) -> str:
        return template_name(self.event, self.channel, self.language)

    @property
    def linked(self) -> bool:
        return self.status == Status.LINKED

    @property
    def required(self) -> bool:
        """English templates of non-batch events must exist (as check_notify_templates says)."""
        return self.language == "en" and not TEMPLATES[self.event].batch

    @property
    def change(self) -> str:
        """What saving does to the settings, in words."""
        if not self.linked:
            return "kept unless cleared" if self.current else ""
        if not self.current:
            return "new"
        if self.current == (self.template_id,):
            return "unchanged"
        return "replaces " + ", ".join(self.current)


@dataclass(frozen=True)
class Report:
    organisation: Organisation
    rows: tuple[Row, ...] = field(default_factory=tuple)

    @property
    def linked(self) -> list[Row]:
        return [row for row in self.rows if row.linked]

    @property
    def problems(self) -> list[Row]:
        return [row for row in self.rows if not row.linked]

    @property
    def required_problems(self) -> list[Row]:
        return [row for row in self.problems if row.required]

    @property
    def changes(self) -> list[Row]:
        return [row for row in self.linked if row.change != "unchanged"]

    def mapping(self) -> dict[str, dict[str, dict[str, str]]]:
        """event → channel → language → template ID, for the templates linked."""
        found: dict[str, dict[str, dict[str, str]]] = {}
        for row in self.linked:
            found.setdefault(row.event, {}).setdefault(row.channel, {})[row.language] = (
                row.template_id
            )
        return found

    def fingerprint(self) -> str:
        """Changes whenever what saving would write changes (the admin's confirmation)."""
        state = [(r.event, r.channel, r.language, r.status, r.template_id) for r in self.rows]
        return hashlib.sha256(json.dumps(state).encode()).hexdigest()[:32]


@cache
def _workflow_events(service: str) -> frozenset[str]:
    """The events a workflow sends by itself."""
    workflow = workflow_class(service)
    hooks = list(workflow.ON_CREATE)
    for transition in workflow().get_all_state_transitions():
        step = (transition.custom or {}).get("step")
        if step is not None:
            hooks.extend(step.hooks)
    events = {hook.event for hook in hooks if isinstance(hook, Notify)}
    events |= {keyword.confirm_event for keyword in workflow.SMS_KEYWORDS if keyword.confirm_event}
    if any(isinstance(hook, RequestPayment) for hook in hooks):
        events.add("payment_reminder")  # sent by the payments app while a fee is owed
    if workflow.FOLLOWABLE:
        events |= {"follow_confirm", "follow_update"}  # to the case's followers
    return frozenset(events)


def service_events(service: str) -> list[str]:
    """The registry's events a service's settings need IDs for, in the registry's order:
    its workflow's own, and those no workflow sends by itself (which_case, batches)."""
    claimed = set().union(*(_workflow_events(name) for name in WORKFLOWS))
    own = _workflow_events(service)
    return [event for event in TEMPLATES if event in own or event not in claimed]


def _enabled_configs(organisation: Organisation) -> list[ServiceConfig]:
    return list(organisation.service_configs.filter(enabled=True).order_by("pk"))


def configured_template_id(config: ServiceConfig, event: str, channel: str, language: str) -> str:
    """The Notify template ID a council's service settings give for this message ("")."""
    templates = config.notify_templates if isinstance(config.notify_templates, dict) else {}
    by_channel = templates.get(event)
    ids = by_channel.get(channel) if isinstance(by_channel, dict) else None
    value = ids.get(language) if isinstance(ids, dict) else None
    return str(value) if value else ""


def check_template(event: str, channel: str, language: str, found: dict) -> tuple[Status, str]:
    """Whether a template of the Notify account (`found`, as Notify lists it) can send
    this message: its type and its placeholders; what differs if not."""
    if found.get("type") != NOTIFY_TYPE[channel]:
        return Status.WRONG_TYPE, (
            f"{found.get('type') or 'unknown'} template, not {NOTIFY_TYPE[channel]}"
        )
    expected = TEMPLATES[event].placeholders(channel, language)
    actual = placeholders_in(found)
    if expected != actual:
        missing = ", ".join(sorted(expected - actual)) or "none"
        extra = ", ".join(sorted(actual - expected)) or "none"
        return Status.PLACEHOLDERS_DIFFER, (
            f"missing in Notify: {missing}; not provided by Waymark: {extra}"
        )
    return Status.LINKED, ""


def link_report(organisation: Organisation) -> Report:
    """Reads the council's Notify account once and matches its templates by name.

    Raises NoNotifyKey without a key (or with only the local backend) and NotifyFailure
    when the account cannot be read.
    """
    backend = backend_for(organisation.slug)
    if backend is None or backend.is_local:
        raise NoNotifyKey(organisation)
    by_name: dict[str, list[dict]] = {}
    for template in backend.templates():
        by_name.setdefault(normalise_name(template.get("name") or ""), []).append(template)

    configs = _enabled_configs(organisation)
    events = {config.pk: set(service_events(config.service)) for config in configs}
    channels = [c for c in Channel.values if any(c in (x.enabled_channels or []) for x in configs)]
    rows = []
    for event in TEMPLATES:
        for channel in channels:
            targets = [
                config
                for config in configs
                if event in events[config.pk] and channel in (config.enabled_channels or [])
            ]
            if not targets:
                continue
            services = tuple(config.get_service_display() for config in targets)
            for language in LANGUAGES:
                current = tuple(
                    dict.fromkeys(
                        value
                        for config in targets
                        if (value := configured_template_id(config, event, channel, language))
                    )
                )
                candidates = by_name.get(normalise_name(template_name(event, channel, language)))
                status, template_id, detail = Status.MISSING, "", ""
                if candidates and len(candidates) > 1:
                    ids = ", ".join(str(c.get("id")) for c in candidates)
                    status, detail = (
                        Status.DUPLICATE,
                        f"{len(candidates)} templates have this name: {ids}",
                    )
                elif candidates:
                    status, detail = check_template(event, channel, language, candidates[0])
                    template_id = str(candidates[0].get("id"))
                rows.append(
                    Row(event, channel, language, status, template_id, detail, services, current)
                )
    return Report(organisation=organisation, rows=tuple(rows))


def save_links(report: Report, *, clear_missing: bool = False) -> int:
    """Writes the IDs linked into each of the council's enabled service settings, for the
    events that service uses, in one transaction; returns how many values changed.

    IDs of templates not linked (missing from the account, the wrong type, different
    placeholders, a name used twice) are kept as they are, unless `clear_missing`.
    Everything else in the settings (other events, channels not enabled) is left alone.
    """
    changed = 0
    with transaction.atomic():
        configs = list(
            ServiceConfig.objects.select_for_update(of=("self",))
            .filter(organisation=report.organisation, enabled=True)
            .order_by("pk")
        )
        for config in configs:
            templates = config.notify_templates if isinstance(config.notify_templates, dict) else {}
            templates = json.loads(json.dumps(templates))  # a copy to change
            before = json.dumps(templates, sort_keys=True)
            mine = set(service_events(config.service))
            enabled = set(config.enabled_channels or [])
            for row in report.rows:
                if row.event not in mine or row.channel not in enabled:
                    continue
                current = configured_template_id(config, row.event, row.channel, row.language)
                if row.linked:
                    if current == row.template_id:
                        continue
                    by_channel = templates.get(row.event)
                    if not isinstance(by_channel, dict):
                        by_channel = templates[row.event] = {}
                    ids = by_channel.get(row.channel)
                    if not isinstance(ids, dict):
                        ids = by_channel[row.channel] = {}
                    ids[row.language] = row.template_id
                    changed += 1
                elif clear_missing and current:
                    ids = templates[row.event][row.channel]
                    del ids[row.language]
                    if not ids:
                        del templates[row.event][row.channel]
                    if not templates[row.event]:
                        del templates[row.event]
                    changed += 1
            if json.dumps(templates, sort_keys=True) != before:
                config.notify_templates = templates
                config.save(update_fields=["notify_templates"])
    return changed
