from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from govhall.accounts.services import can_act, create_token, user_for_token
from govhall.testing import build_hall

pytestmark = pytest.mark.django_db


def test_tokens_create_prints_the_token_alone_on_the_last_line() -> None:
    build_hall("city")
    out = io.StringIO()
    call_command("tokens", "create", "--username", "staff_li", "--hall", "city", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]
    assert len(token) >= 20
    user = user_for_token(token)
    assert user is not None and user.get_username() == "staff_li"


def test_roles_are_scoped_to_halls() -> None:
    city, town = build_hall("city"), build_hall("town")
    staff_li = user_for_token(create_token("staff_li", hall_code="city"))
    manager_wang = user_for_token(create_token("manager_wang", hall_code="city", role="manager"))
    admin_zhao = user_for_token(create_token("admin_zhao", role="admin"))
    assert can_act(staff_li, city) and not can_act(staff_li, town)
    assert not can_act(staff_li, city, "manager")
    assert can_act(manager_wang, city, "manager") and not can_act(manager_wang, town)
    assert can_act(admin_zhao, town, "admin")


def test_unknown_hall_or_role_is_refused() -> None:
    with pytest.raises(CommandError, match="unknown hall"):
        call_command("tokens", "create", "--username", "x", "--hall", "nowhere")
    with pytest.raises(ValueError, match="unknown role"):
        create_token("x", role="boss")


def test_a_new_token_replaces_nothing_and_wrong_tokens_fail() -> None:
    build_hall("city")
    first = create_token("staff_li", hall_code="city")
    second = create_token("staff_li", hall_code="city")
    assert user_for_token(first) == user_for_token(second)
    assert user_for_token("gh_wrong") is None
