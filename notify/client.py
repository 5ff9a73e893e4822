"""The only door to GOV.UK Notify (ruff bans `notifications_python_client` elsewhere).

`backend_for(council_slug)` gives the council's backend: the official client with the
council's own API key (`NOTIFY_API_KEY_<COUNCIL>`, or `NOTIFY_API_KEY`, see
`config.secrets`). Without a key, the local backend — which sends nothing and marks
messages delivered (the rendered text is already on the notification row, shown in the
admin's outbox) — only where LOCAL_BACKENDS is on; otherwise None, and the council's
messages wait in the outbox until its key is set.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from config import secrets

logger = logging.getLogger(__name__)


class NotifyFailure(Exception):
    """A send that did not go through, classified for the dispatcher."""

    def __init__(
        self, message: str, *, status_code: int, error_type: str = "", unanswered: bool = False
    ):
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.error_type = error_type
        # No HTTP answer came back (timeout, connection dropped): Notify may have accepted it.
        self.unanswered = unanswered

    @property
    def permanent(self) -> bool:
        """400 and 403 will fail the same way again: never retry them."""
        return self.status_code in (400, 403)

    @property
    def rate_limited(self) -> bool:
        return self.status_code == 429


@dataclass(frozen=True)
class Accepted:
    notify_id: str
    status: str  # created, sending, delivered, …


def _failure(exc: APIError) -> NotifyFailure:
    response = getattr(exc, "response", None)
    if response is None:
        # A timeout or a dropped connection: Notify may have accepted the message, so the
        # dispatcher looks the reference up before it sends again.
        cause = exc.__cause__
        return NotifyFailure(
            f"No answer from GOV.UK Notify: {cause or exc}",
            status_code=exc.status_code,
            error_type=type(cause).__name__ if cause else "RequestError",
            unanswered=True,
        )
    errors = exc.message if isinstance(exc.message, list) else []
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    return NotifyFailure(
        first.get("message") or str(exc.message),
        status_code=exc.status_code,
        error_type=first.get("error", ""),
    )


class GovukNotify:
    """GOV.UK Notify through the official client (one per process: it is not thread-safe)."""

    is_local = False

    def __init__(self, api_key: str, base_url: str, timeout: float):
        self.client = NotificationsAPIClient(api_key, base_url=base_url, timeout=timeout)
        self.key_id = hashlib.sha256(api_key.encode()).hexdigest()[:16]

    def send(
        self,
        *,
        channel: str,
        recipient: str,
        template_id: str,
        personalisation: dict,
        reference: str,
    ) -> Accepted:
        try:
            if channel == "email":
                answer = self.client.send_email_notification(
                    recipient, template_id, personalisation or None, reference
                )
            elif channel == "sms":
                answer = self.client.send_sms_notification(
                    recipient, template_id, personalisation or None, reference
                )
            else:
                lines = [line for line in recipient.splitlines() if line.strip()][:7]
                address = {f"address_line_{i}": line for i, line in enumerate(lines, start=1)}
                answer = self.client.send_letter_notification(
                    template_id, {**personalisation, **address}, reference
                )
        except APIError as exc:
            raise _failure(exc) from exc
        return Accepted(notify_id=answer["id"], status="created")

    def find(self, reference: str) -> Accepted | None:
        """The notification Notify holds with this reference, if it accepted one."""
        try:
            answer = self.client.get_all_notifications(reference=reference)
        except APIError as exc:
            raise _failure(exc) from exc
        found = answer.get("notifications") or []
        if not found:
            return None
        return Accepted(notify_id=found[0]["id"], status=found[0]["status"])

    def status(self, notify_id: str) -> str:
        try:
            return self.client.get_notification_by_id(notify_id)["status"]
        except APIError as exc:
            raise _failure(exc) from exc

    def templates(self) -> list[dict]:
        try:
            return self.client.get_all_templates().get("templates", [])
        except APIError as exc:
            raise _failure(exc) from exc


class LocalNotify:
    """Sends nothing: the message is already rendered on the row for the admin's outbox."""

    is_local = True
    key_id = "local"

    def send(self, *, reference: str, **kwargs) -> Accepted:
        logger.info("local Notify backend: delivered %s", reference)
        return Accepted(notify_id=str(uuid.uuid4()), status="delivered")

    def find(self, reference: str) -> Accepted | None:
        return None

    def status(self, notify_id: str) -> str:
        return "delivered"

    def templates(self) -> list[dict]:
        return []


_clients: dict[tuple, GovukNotify] = {}


def backend_for(council_slug: str) -> GovukNotify | LocalNotify | None:
    """The council's backend; None when it has no key and LOCAL_BACKENDS is off."""
    api_key = secrets.council_secret(secrets.NOTIFY_API_KEY, council_slug)
    if not api_key:
        if not settings.LOCAL_BACKENDS:
            return None
        logger.warning(
            "%s is not set: using the local Notify backend (LOCAL_BACKENDS is on)",
            secrets.variable(secrets.NOTIFY_API_KEY, council_slug),
        )
        return LocalNotify()
    key = (api_key, settings.NOTIFY_API_BASE_URL, settings.NOTIFY_TIMEOUT)
    if key not in _clients:
        _clients[key] = GovukNotify(*key)
    return _clients[key]
