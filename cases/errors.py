"""The errors `cases.services` raises: each `str()` is a message fit to show the person."""


class CaseError(Exception):
    """A change that cannot be made. `str()` is a message fit to show the person."""

    status = 400


class CaseNotAllowed(CaseError):
    """The state machine does not allow this transition now; `allowed` names the ones the
    actor could take instead, when they were worked out."""

    status = 409

    def __init__(self, message: str, *, allowed: list[str] | None = None):
        self.allowed = allowed
        super().__init__(message)


class CasePermissionDenied(CaseError):
    status = 403


class CaseConflict(CaseError):
    """Someone else changed the case first."""

    status = 409


class CaseStale(CaseConflict):
    """The version of the case the caller saw (a form's hidden field, an API `If-Match`)
    is not the current one: nothing was changed."""

    def __init__(self, message: str, *, current_version: int):
        self.current_version = current_version
        super().__init__(message)


class CaseValidationError(CaseError):
    """The data given with the change is not valid; `errors` maps field → messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        summary = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
        super().__init__(summary)
