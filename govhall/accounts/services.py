"""Users, roles and tokens."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction

from govhall.accounts.models import RANK, ApiToken, Membership, Role
from govhall.halls.models import Hall


class AccessDenied(Exception):
    pass


def create_token(username: str, *, hall_code: str | None = None, role: str = Role.STAFF) -> str:
    """Create the user if needed, set its role and hall, and return a new token."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}: use staff, manager or admin")
    hall = None
    if hall_code:
        hall = Hall.objects.filter(code=hall_code).first()
        if hall is None:
            raise ValueError(f"unknown hall {hall_code!r}")
    user_model = get_user_model()
    with transaction.atomic(durable=True):
        user, _ = user_model.objects.get_or_create(username=username)
        if role in (Role.MANAGER, Role.ADMIN) and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        Membership.objects.update_or_create(user=user, defaults={"role": role, "hall": hall})
        return ApiToken.issue(user, label="cli")


def user_for_token(token: str) -> AbstractBaseUser | None:
    # the membership comes along, so the role check that follows costs no query
    row = (
        ApiToken.objects.select_related("user__membership")
        .filter(digest=ApiToken.hash(token), revoked=False)
        .first()
    )
    return row.user if row and row.user.is_active else None


def role_of(user: AbstractBaseUser | AnonymousUser) -> tuple[str | None, int | None]:
    """(role, hall id or None for every hall); superusers are city admins."""
    if not user.is_authenticated:
        return None, None
    if getattr(user, "is_superuser", False):
        return Role.ADMIN, None
    try:
        membership = user.membership  # type: ignore[union-attr,attr-defined]
    except Membership.DoesNotExist:
        return None, None
    return membership.role, membership.hall_id


def can_act(user: AbstractBaseUser | AnonymousUser, hall: Hall, needed: str = Role.STAFF) -> bool:
    role, hall_id = role_of(user)
    if role is None or RANK[Role(role)] < RANK[Role(needed)]:
        return False
    return role == Role.ADMIN or hall_id is None or hall_id == hall.pk


def require(user: AbstractBaseUser | AnonymousUser, hall: Hall, needed: str = Role.STAFF) -> None:
    if not can_act(user, hall, needed):
        raise AccessDenied(f"no {needed} rights in hall {hall.code}")
