"""The custom manage pages under /manage/…: one access rule, one navigation, one layout.

Every app with manage pages registers its section in its `AppConfig.ready()`:

    from govhall.web.manage import register_section
    register_section("ratings", "好差评", "ratings:manage", order=40)

and wraps its views in `manage_view(...)`, which redirects anonymous visitors to the login page,
refuses (403) users below the needed role and gives the view `request.manage_scope` (not
`request.scope`: that is the ASGI request's own scope): the role and the
halls the user may see (all for city administrators, one for hall managers and staff).
Templates extend `web/manage_base.html`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from govhall.accounts.models import RANK, Role
from govhall.accounts.services import role_of
from govhall.halls.models import Hall


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    url_name: str
    order: int
    needed: str


SECTIONS: dict[str, Section] = {}


def register_section(
    key: str, label: str, url_name: str, *, order: int = 50, needed: str = Role.MANAGER
) -> None:
    SECTIONS[key] = Section(key, label, url_name, order, needed)


def sections_for(role: str | None) -> list[Section]:
    if role is None:
        return []
    rank = RANK[Role(role)]
    return sorted(
        (s for s in SECTIONS.values() if RANK[Role(s.needed)] <= rank), key=lambda s: (s.order, s.key)
    )


@dataclass(frozen=True)
class Scope:
    """What the signed-in user may see on the manage pages."""

    user_id: int
    role: str
    hall_id: int | None  # None: every hall

    @property
    def is_city(self) -> bool:
        return self.hall_id is None

    def halls(self) -> QuerySet[Hall]:
        found = Hall.objects.order_by("code")
        return found if self.hall_id is None else found.filter(pk=self.hall_id)

    def allows(self, hall: Hall) -> bool:
        return self.hall_id is None or self.hall_id == hall.pk

    def at_least(self, needed: str) -> bool:
        return RANK[Role(self.role)] >= RANK[Role(needed)]


def scope_of(request: HttpRequest) -> Scope | None:
    role, hall_id = role_of(request.user)
    if role is None or request.user.pk is None:
        return None
    return Scope(int(request.user.pk), role, hall_id)


View = Callable[..., HttpResponse]


def manage_view(needed: str = Role.MANAGER) -> Callable[[View], View]:
    """Guard a manage page: login, then at least `needed`; sets `request.manage_scope`."""

    def wrap(view: View) -> View:
        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            scope = scope_of(request)
            if scope is None or not scope.at_least(needed):
                return render(
                    request, "web/manage_forbidden.html", {"needed": Role(needed).label}, status=403
                )
            request.manage_scope = scope  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return guarded

    return wrap


def context(request: HttpRequest) -> dict[str, Any]:
    """Template context processor: the manage navigation for the signed-in user."""
    if not request.path.startswith("/manage/") or not request.user.is_authenticated:
        return {}
    role, _ = role_of(request.user)
    return {"manage_sections": sections_for(role)}
