"""Open311's errors: the status the spec gives (404 for what does not exist, 403 for a
missing or bad api_key, 400 for anything else) and `<errors>` in the requested format.
No HTML ever comes back from /open311/: `Open311ErrorMiddleware` rewrites any error page
that did not come from the Open311 views (an address outside /open311/v2/, a request
refused before it reached a view)."""

from __future__ import annotations

from collections.abc import Sequence

from cases.open311.render import Open311Response, errors_document, format_of, respond

# What an error page from elsewhere in the stack is called, by its status.
TITLES = {
    400: "The request is not valid",
    403: "This is not allowed",
    404: "There is no Open311 method at this address",
    405: "This address does not take that method",
    413: "The request is too large",
    429: "Too many requests",
}


class Open311Error(Exception):
    """Answered as `<errors>` with `status`, one `<error>` per description."""

    def __init__(
        self, status: int, *descriptions: str, headers: dict[str, str] | None = None
    ) -> None:
        self.status = status
        self.descriptions: Sequence[str] = descriptions or (TITLES.get(status, "Error"),)
        self.headers = headers or {}
        super().__init__("; ".join(self.descriptions))


def bad_request(*descriptions: str) -> Open311Error:
    return Open311Error(400, *descriptions)


def not_found(description: str) -> Open311Error:
    return Open311Error(404, description)


def forbidden(description: str) -> Open311Error:
    return Open311Error(403, description)


def error_response(error: Open311Error, fmt: str):
    return respond(errors_document(error.status, error.descriptions), fmt, error.headers)


class Open311ErrorMiddleware:
    """Under /open311/: an error answer not already Open311's becomes `<errors>` in the
    format the address asks for, keeping its status and headers (Allow, Retry-After, the
    security headers). A plain-text answer's words are kept as the description."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            not request.path.startswith("/open311/")
            or response.status_code < 400
            or isinstance(response, Open311Response)
        ):
            return response
        status = response.status_code
        description = TITLES.get(status, "Something went wrong on our side")
        if response.get("Content-Type", "").startswith("text/plain") and not response.streaming:
            description = response.content.decode("utf-8", "replace").strip() or description
        rewritten = error_response(Open311Error(status, description), format_of(request.path))
        for header, value in response.items():
            if header.lower() not in ("content-type", "content-length"):
                rewritten[header] = value
        return rewritten
