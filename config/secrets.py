"""Provider credentials, per council, read from the environment once (in settings).

Each council has its own GOV.UK Notify service, Stripe account and GOV.UK Pay service, so
each has its own keys, webhook secrets and callback token: `NAME_<COUNCIL>`, where
`<COUNCIL>` is the council's slug in capitals with every other character an underscore
(`bryn-dewi` → `STRIPE_SECRET_KEY_BRYN_DEWI`). `NAME` on its own is the value for any
council without one of its own — for an installation with one council, or councils that
share one account on purpose. Nothing here is ever stored in the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# The names of the variables (never their values).
NOTIFY_API_KEY = "NOTIFY_API_KEY"
NOTIFY_CALLBACK_TOKEN = "NOTIFY_CALLBACK_TOKEN"  # noqa: S105
STRIPE_SECRET_KEY = "STRIPE_SECRET_KEY"  # noqa: S105
STRIPE_WEBHOOK_SECRET = "STRIPE_WEBHOOK_SECRET"  # noqa: S105
GOVUK_PAY_API_KEY = "GOVUK_PAY_API_KEY"
GOVUK_PAY_WEBHOOK_SECRET = "GOVUK_PAY_WEBHOOK_SECRET"  # noqa: S105
NAMES = (
    NOTIFY_API_KEY,
    NOTIFY_CALLBACK_TOKEN,
    STRIPE_SECRET_KEY,
    STRIPE_WEBHOOK_SECRET,
    GOVUK_PAY_API_KEY,
    GOVUK_PAY_WEBHOOK_SECRET,
)


def suffix(slug: str) -> str:
    """The part of a variable's name that stands for a council."""
    return re.sub(r"[^A-Z0-9]", "_", slug.upper())


def variable(name: str, slug: str) -> str:
    """The variable that holds a council's own value of `name`."""
    return f"{name}_{suffix(slug)}"


def from_environment(environ: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """name → {council suffix (or "" for the default) → value}, for the names above."""
    found: dict[str, dict[str, str]] = {name: {} for name in NAMES}
    for key, value in environ.items():
        if not value:
            continue
        for name in NAMES:
            if key == name:
                found[name][""] = value
            elif key.startswith(name + "_"):
                found[name][key[len(name) + 1 :]] = value
    return found


def council_secret(name: str, slug: str) -> str:
    """The council's own value of `name`, else the default, else ""."""
    from django.conf import settings

    values = settings.COUNCIL_SECRETS.get(name, {})
    return values.get(suffix(slug)) or values.get("", "")
