"""The errors `cases.services` raises: each `str()` is a message fit to show the person."""


class CaseError(Exception):
    """A change that cannot be made. `str()` is a message fit to show the person."""

    status = 400


class CaseNotAllowed(CaseError):
    """The state machine does not allow this transition now."""

    status = 409


class CasePermissionDenied(CaseError):
    status = 403


class CaseConflict(CaseError):
    """Someone else changed the case first."""

    status = 409


class CaseValidationError(CaseError):
    """The data given with the change is not valid; `errors` maps field → messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        summary = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
        super().__init__(summary)
