"""Case work in Django admin: every page scoped to the caseworker's councils (see
`scoping`), every change through `cases.services`."""

from cases.admin import (  # noqa: F401 - registers the admin pages
    api_keys,
    case_admin,
    councils,
    staff,
    webhooks,
)
from cases.admin.scoping import ScopedAdmin, can_edit, councils_of

__all__ = ["ScopedAdmin", "can_edit", "councils_of"]
