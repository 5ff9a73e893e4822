"""Who is making a change to a case, and whether they may act on it."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from cases.models import Case, Membership, Organisation, Role
from cases.workflows.base import ActorKind

EDITING_ROLES = {Role.ADMIN, Role.EDITOR}


@dataclass(frozen=True)
class Actor:
    """Who is making a change, as the services need to know it."""

    kind: ActorKind
    user: User | None = None
    organisation_id: int | None = None  # the council a partner system belongs to
    case_id: int | None = None  # the case a citizen has proved they own
    label: str = ""

    @classmethod
    def caseworker(cls, user) -> Actor:
        return cls(ActorKind.CASEWORKER, user=user, label=user.get_username())

    @classmethod
    def citizen(cls, case: Case, how: str = "") -> Actor:
        return cls(ActorKind.CITIZEN, case_id=case.pk, label=how or "citizen")

    @classmethod
    def partner(cls, organisation: Organisation, name: str) -> Actor:
        return cls(ActorKind.PARTNER, organisation_id=organisation.pk, label=name)

    @classmethod
    def system(cls, job: str) -> Actor:
        return cls(ActorKind.SYSTEM, label=job)


def may_act_on(actor: Actor, case: Case) -> bool:
    if actor.kind == ActorKind.SYSTEM:
        return True
    if actor.kind == ActorKind.CITIZEN:
        return actor.case_id == case.pk
    if actor.kind == ActorKind.PARTNER:
        return actor.organisation_id == case.organisation_id
    user = actor.user
    if user is None or not user.is_active or not user.is_staff:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(
        user=user, organisation_id=case.organisation_id, role__in=EDITING_ROLES
    ).exists()


def assignable_users(organisation_id: int):
    """Who a case of the council can be given to: its active editors and admins."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__organisation_id=organisation_id,
            memberships__role__in=EDITING_ROLES,
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )
