"""Users, roles and tokens."""

from __future__ import annotations

import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import DEFAULT_DB_ALIAS, connection, transaction

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
    """The active user of a live token, its membership along (the role check that follows costs
    no query). Plain SQL: every staff API call runs this, and composing the three-table join
    through the ORM cost several times the CPU of the database's answer (bench/request_cost.py)."""
    user_model = get_user_model()
    rows = user_model.objects.raw(_token_sql(connection.vendor), [ApiToken.hash(token), False])
    user = next(iter(rows), None)
    if user is None:
        return None
    found = (user.gh_membership_id, user.gh_membership_role, user.gh_membership_hall)  # type: ignore[attr-defined]
    del user.gh_membership_id, user.gh_membership_role, user.gh_membership_hall  # type: ignore[attr-defined]
    membership = None
    if found[0] is not None:
        membership = Membership.from_db(
            DEFAULT_DB_ALIAS, ["id", "user_id", "role", "hall_id"], [found[0], user.pk, found[1], found[2]]
        )
        Membership.user.field.set_cached_value(membership, user)
    # what select_related("user__membership") leaves: reading user.membership asks nothing more
    Membership.user.field.remote_field.set_cached_value(user, membership)
    return user if user.is_active else None


@functools.cache
def _token_sql(vendor: str) -> str:
    qn = connection.ops.quote_name
    users = get_user_model()._meta
    return (
        f"SELECT u.*, m.id AS gh_membership_id, m.role AS gh_membership_role, m.hall_id AS gh_membership_hall "
        f"FROM {qn(ApiToken._meta.db_table)} t JOIN {qn(users.db_table)} u ON u.{qn(users.pk.column)} = t.user_id "
        f"LEFT JOIN {qn(Membership._meta.db_table)} m ON m.user_id = u.{qn(users.pk.column)} "
        "WHERE t.digest = %s AND t.revoked = %s"
    )


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
