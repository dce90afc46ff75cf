"""Loading the demo city: everything through the import services, twice with no change."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model

from govhall import ticketlog
from govhall.accounts.models import ApiToken, Membership
from govhall.accounts.services import user_for_token
from govhall.catalog.models import Bundle, Matter, Situation
from govhall.demo import loader
from govhall.halls.models import Hall, ServicePoint, Window, Zone, ZoneMatter
from govhall.queueing.logs import export_log
from govhall.queueing.models import Ticket

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Matter,
            Situation,
            Bundle,
            Hall,
            Zone,
            Window,
            ZoneMatter,
            ServicePoint,
            Ticket,
            ApiToken,
            Membership,
            get_user_model(),
        )
    }


def test_load_demo_twice_changes_nothing_the_second_time(capsys: pytest.CaptureFixture[str]) -> None:
    first = loader.load_demo(history_days=2)
    before = counts()
    stamps = dict(Matter.objects.values_list("code", "updated_at"))
    zone_links = set(ZoneMatter.objects.values_list("pk", flat=True))
    second = loader.load_demo(history_days=2)

    assert counts() == before
    assert dict(Matter.objects.values_list("code", "updated_at")) == stamps
    assert set(ZoneMatter.objects.values_list("pk", flat=True)) == zone_links
    assert "300 matters (300 new or changed)" in first
    assert "(0 new or changed)" in second and "0 history tickets added" in second
    assert before["Matter"] >= 290
    assert before["Hall"] == 6
    assert before["Bundle"] >= 15
    assert before["ServicePoint"] >= 20
    assert Situation.objects.values("matter").distinct().count() >= 55
    assert before["Ticket"] > 100  # two days of history
    err = capsys.readouterr().err
    assert "manager_wang / demo1234" in err and "staff_li / demo1234" in err and "admin / admin" in err


def test_demo_city_is_wired_together() -> None:
    loader.load_demo(history_days=0)
    codes = set(Matter.objects.values_list("code", flat=True))
    assert set(ZoneMatter.objects.values_list("matter_code", flat=True)) <= codes
    centre = Hall.objects.get(code="jianglan")
    assert centre.level == "city" and centre.opening_hours == {"mon-sun": ["00:00-23:59"]}
    assert centre.zones.count() == 8 and centre.windows.count() >= 30
    assert centre.windows.filter(tidal=True, state=Window.State.CLOSED).count() >= 3
    towns = Hall.objects.filter(level="town")
    assert towns.count() == 5 and all(t.parent_id == centre.pk for t in towns)
    for zone in Zone.objects.all():
        assert zone.windows.exists(), zone
    for point in ServicePoint.objects.all():
        assert point.matters and set(point.matters) <= codes
    bundle = Bundle.objects.get(name="出生一件事")
    assert bundle.matters.count() >= 5 and len(bundle.combined_materials()) > 5

    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("admin")
    wang = get_user_model().objects.get(username="manager_wang")
    assert wang.membership.role == "manager" and wang.membership.hall == centre
    assert user_for_token(loader.demo_token("staff_li")).username == "staff_li"  # type: ignore[union-attr]


def test_history_exports_as_a_valid_ticket_log() -> None:
    loader.load_demo(history_days=0)
    added = loader.load_history(days=3)
    assert added == Ticket.objects.count() > 100
    assert loader.load_history(days=3) == 0
    out = io.StringIO()
    export_log(out)
    rows = list(ticketlog.iter_rows(out.getvalue()))
    assert len(rows) == added
    assert {r.outcome for r in rows} == {"served", "no_show", "cancelled"}
    assert {r.hall for r in rows} >= {"jianglan", "jianglan-linxi"}
