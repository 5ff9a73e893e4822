"""Every error under /api/ is `application/problem+json` (RFC 9457): `type`, `title`,
`status`, `detail`, `instance` (the request's ID, as in `X-Request-ID`), a stable `code`,
and for invalid input `errors`: one `{attr, code, detail}` per field. No HTML ever comes
back from /api/: `ProblemMiddleware` rewrites any error page (an unknown address, a server
error) that did not come from the API's own handler."""

from __future__ import annotations

import json
import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse
from rest_framework import exceptions
from rest_framework.response import Response

from cases.errors import (
    CaseConflict,
    CaseError,
    CaseNotAllowed,
    CasePermissionDenied,
    CaseStale,
    CaseValidationError,
)
from config.errors import RETRY_AFTER_SECONDS
from config.logging import current_request_id

logger = logging.getLogger(__name__)

PROBLEM = "application/problem+json"
TYPE_BASE = "/api/v1/problems#"

# code → (status, title): every problem the API answers with, documented at /api/v1/problems.
PROBLEMS: dict[str, tuple[int, str]] = {
    "invalid": (400, "The request is not valid"),
    "parse_error": (400, "The body could not be read"),
    "not_authenticated": (401, "An API key is needed"),
    "authentication_failed": (401, "The API key is not valid"),
    "permission_denied": (403, "This API key may not do this"),
    "not_found": (404, "Not found"),
    "method_not_allowed": (405, "This address does not take that method"),
    "not_acceptable": (406, "The API answers only in JSON"),
    "conflict": (409, "The case changed while this request ran"),
    "idempotency_in_flight": (409, "A request with this Idempotency-Key is still running"),
    "precondition_failed": (412, "The case has changed since the version you sent"),
    "unsupported_media_type": (415, "Send the body as JSON"),
    "not_allowed_now": (422, "This step is not possible now"),
    "idempotency_mismatch": (422, "This Idempotency-Key was used with a different request"),
    "throttled": (429, "Too many requests"),
    "server_error": (500, "Something went wrong on our side"),
    "unavailable": (503, "The service is unavailable for a moment"),
}


class ProblemError(exceptions.APIException):
    """A problem the API raises itself, with its code (and anything else it adds)."""

    def __init__(self, code: str, detail: str, **extra):
        self.status_code = PROBLEMS[code][0]
        self.problem_code = code
        self.extra = extra
        super().__init__(detail)


def problem(code: str, detail: str = "", *, status: int | None = None, **extra) -> dict:
    default_status, title = PROBLEMS[code]
    body = {
        "type": TYPE_BASE + code,
        "title": title,
        "status": status or default_status,
        "detail": detail or title,
        "instance": f"urn:waymark:request:{current_request_id()}",
        "code": code,
    }
    body.update(extra)
    return body


def _field_errors(detail, prefix: str = "") -> list[dict]:
    """DRF's nested error detail as a flat list of {attr, code, detail}."""
    found: list[dict] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            attr = f"{prefix}.{key}" if prefix else str(key)
            found += _field_errors(value, "" if key == "non_field_errors" and not prefix else attr)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                found += _field_errors(value, f"{prefix}.{index}" if prefix else str(index))
            else:
                found += _field_errors(value, prefix)
    else:
        code = getattr(detail, "code", "invalid")
        found.append({"attr": prefix or None, "code": code, "detail": str(detail)})
    return found


_CODES = {
    exceptions.ParseError: "parse_error",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def exception_handler(exc, context) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception a view raises, as a problem."""
    headers: dict[str, str] = {}
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, CaseError):
        body = _case_problem(exc)
    elif isinstance(exc, ProblemError):
        body = problem(exc.problem_code, str(exc.detail), **exc.extra)
        if "retry_after" in exc.extra:
            headers["Retry-After"] = str(exc.extra["retry_after"])
    elif isinstance(exc, exceptions.ValidationError):
        body = problem(
            "invalid", "Some of what you sent is not valid.", errors=_field_errors(exc.detail)
        )
    elif isinstance(exc, exceptions.APIException):
        code = next((c for kind, c in _CODES.items() if isinstance(exc, kind)), None)
        detail = str(exc.detail) if not isinstance(exc.detail, dict | list) else ""
        body = problem(code or "invalid", detail, status=exc.status_code)
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(int(exc.wait))
    elif isinstance(exc, OperationalError | InterfaceError):  # the database is unreachable
        logger.error("API request while the database is unavailable: %s", exc)
        body = problem("unavailable", "Nothing was changed: try again shortly.")
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    else:
        logger.exception("API error", exc_info=exc)
        body = problem("server_error")
    return Response(body, status=body["status"], headers=headers, content_type=PROBLEM)


def _case_problem(exc: CaseError) -> dict:
    if isinstance(exc, CaseValidationError):
        errors = [
            {
                "attr": None if field in ("", "__all__") else field,
                "code": "invalid",
                "detail": message,
            }
            for field, messages in exc.errors.items()
            for message in messages
        ]
        return problem("invalid", "Some of what you sent is not valid.", errors=errors)
    if isinstance(exc, CasePermissionDenied):
        return problem("permission_denied", str(exc))
    if isinstance(exc, CaseNotAllowed):
        if exc.allowed is None:
            return problem("not_allowed_now", str(exc))
        return problem("not_allowed_now", str(exc), allowed=exc.allowed)
    if isinstance(exc, CaseStale):
        return problem("precondition_failed", str(exc), current_version=exc.current_version)
    if isinstance(exc, CaseConflict):
        return problem("conflict", str(exc))
    return problem("invalid", str(exc))


_BY_STATUS = {status: code for code, (status, _t) in reversed(PROBLEMS.items())}


class ProblemMiddleware:
    """Under /api/: any error response that is not already JSON (Django's own 404, 500,
    400 pages, from anywhere in the stack) becomes a problem."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/") or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith(("application/json", PROBLEM)):
            return response
        status = response.status_code
        code = _BY_STATUS.get(status, "server_error" if status >= 500 else "invalid")
        body = problem(code, status=status)
        rewritten = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM)
        for header, value in response.items():  # Allow, Retry-After, the security headers
            if header.lower() not in ("content-type", "content-length"):
                rewritten[header] = value
        return rewritten
