"""How what a workflow declares reaches the app that does it, without `cases` importing it.

A workflow declares its side effects as plain data (`Notify("approved")`,
`RequestPayment()`, see `cases.workflows.base`); `cases.services` also raises a few of its
own (`CaseClosed` when a transition closes a case). Each is handed, inside the same
transaction as the change, to the handlers registered for its type. `notify` and
`payments` register theirs in their `AppConfig.ready()`:

    hooks.register(Notify, notify_handler)

A hook nobody handles is an error (a workflow asking for something no installed app
does), never silently dropped. `message_values` is the same idea for the values a
message to the citizen may show: each app adds what it knows (the fee and the link to pay
it come from `payments`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from cases.models import Case, CaseEvent

Handler = Callable[..., Any]
ValuesProvider = Callable[["Case"], dict[str, str]]

_handlers: dict[type, list[Handler]] = {}
_values: list[ValuesProvider] = []


def register(hook_type: type, handler: Handler) -> None:
    """`handler(hook, *, case, event, message)` runs for every hook of `hook_type`.
    Registering the same handler twice (a reloaded app) keeps one."""
    handlers = _handlers.setdefault(hook_type, [])
    if handler not in handlers:
        handlers.append(handler)


def dispatch(
    hook: object,
    *,
    case: Case,
    event: CaseEvent | None = None,
    message: str = "",
    required: bool = True,
) -> None:
    """Runs every handler of the hook's type, in the caller's transaction. A workflow's
    hooks are `required`; what the services announce themselves (`CaseClosed`) is not."""
    handlers = _handlers.get(type(hook))
    if not handlers and required:
        raise ImproperlyConfigured(
            f"No handler is registered for {type(hook).__name__} hooks: is the app that "
            "handles them installed?"
        )
    for handler in handlers or ():
        handler(hook, case=case, event=event, message=message)


def dispatch_council(hook: object) -> None:
    """Runs every handler of a hook that is about a council, not a case (a webhook
    subscription failing): `handler(hook)`. Someone must handle it."""
    handlers = _handlers.get(type(hook))
    if not handlers:
        raise ImproperlyConfigured(f"No handler is registered for {type(hook).__name__} hooks.")
    for handler in handlers:
        handler(hook)


def register_message_values(provider: ValuesProvider) -> None:
    """`provider(case)` returns values a message about the case may use."""
    if provider not in _values:
        _values.append(provider)


def message_values(case: Case) -> dict[str, str]:
    values: dict[str, str] = {}
    for provider in _values:
        values.update(provider(case))
    return values
