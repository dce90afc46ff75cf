"""One month's ranking recomputed by hand from the raw data, and who may see which figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client

from govhall.accounts.models import ApiToken
from govhall.halls.models import Hall
from govhall.queueing import services as queue
from govhall.ratings.models import Rating
from govhall.staff import attendance, performance, services
from govhall.staff.models import Punch
from govhall.staff.tests.conftest import M1, M2, local
from govhall.testing import window

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
NOV = [dt.date(2026, 11, d) for d in range(1, 31)]
DUE = [d for d in NOV if d.weekday() < 5 and d != dt.date(2026, 11, 11)]  # 20 days
TICKET_DAY = dt.date(2026, 11, 9)
AFTER = local(dt.date(2026, 12, 1), "10:00")
WEIGHTS = {"attendance": 30, "honours": 10, "ratings": 20, "volume": 25, "speed": 15}


def punches(
    user: Any, hall: Hall, days: list[dt.date], *, start: str = "08:25", end: str = "17:05", **odd: Any
) -> None:
    rows = []
    for d in days:
        s, e = odd.get(d.isoformat(), (start, end))
        rows.append(
            Punch(
                user=user,
                hall=hall,
                kind="in",
                at=local(d, s),
                day=d,
                source="device",
                window_code="2" if (user.username == "clerk_zhao" and d == TICKET_DAY) else "",
            )
        )
        rows.append(Punch(user=user, hall=hall, kind="out", at=local(d, e), day=d, source="device"))
    Punch.objects.bulk_create(rows)


def serve(
    hall: Hall, window_code: str, zone: str, matter: str, seconds: int, actor: Any, traveller: Any
) -> Any:
    ticket, _ = queue.issue_ticket(hall, matter, zone_code=zone)
    called = queue.call_next(window(hall, window_code), actor=actor)
    assert called is not None and called.id == ticket.id
    queue.perform(ticket.id, "start", actor)
    traveller.shift(seconds)
    queue.perform(ticket.id, "finish", actor)
    traveller.shift(30)
    return called


def rate(ticket: Any, staff: Any, level: int) -> None:
    ticket.refresh_from_db()
    Rating.objects.create(
        ticket=ticket,
        hall=ticket.hall,
        zone=ticket.zone,
        window=ticket.window,
        window_code=ticket.window_code,
        staff=staff,
        matter_code=ticket.matter_code,
        ticket_number=ticket.number,
        service_day=ticket.service_day,
        level=level,
        channel="phone",
        rated_at=ticket.finished_at,
    )


@pytest.fixture
def november(city: Hall, manager_wang: Any, clerk_li: Any, clerk_zhao: Any) -> Hall:
    """The raw month: punches, one approved leave, honours, tickets and ratings."""
    punches(manager_wang, city, DUE)
    # li: late once (08:50 → 20 minutes past 08:30, beyond the 5-minute grace)
    punches(clerk_li, city, DUE, **{"2026-11-05": ("08:50", "17:05")})
    # zhao: leave 16–17, absent on the 20th, left at 16:30 on the 24th
    zhao_days = [
        d for d in DUE if d not in (dt.date(2026, 11, 16), dt.date(2026, 11, 17), dt.date(2026, 11, 20))
    ]
    punches(clerk_zhao, city, zhao_days, **{"2026-11-24": ("08:25", "16:30")})
    with time_machine.travel(local(dt.date(2026, 11, 6), "10:00"), tick=False):
        leave = attendance.request_leave(
            clerk_zhao, city, "sick", dt.date(2026, 11, 16), dt.date(2026, 11, 17), "发烧"
        )
        attendance.decide_leave(leave, manager_wang, approve=True)
        li, zhao = services.profile_of("clerk_li"), services.profile_of("clerk_zhao")
        services.add_honour(manager_wang, li, on=dt.date(2026, 11, 6), title="群众表扬信", points=6)
        services.add_honour(manager_wang, zhao, on=dt.date(2026, 11, 6), title="协助疑难件", points=3)
        services.add_honour(manager_wang, zhao, on=dt.date(2026, 10, 30), title="上月的不算", points=9)
    with time_machine.travel(local(TICKET_DAY, "09:00"), tick=False) as traveller:
        li_tickets = [serve(city, "1", "A", M1, 600, clerk_li, traveller) for _ in range(4)]
        z1 = serve(city, "2", "A", M1, 1200, clerk_zhao, traveller)
        # finished without an actor (as imported history is): goes to whoever clocked in at window 2
        z2 = serve(city, "2", "B", M2, 300, None, traveller)
    for ticket, level in zip(li_tickets, (5, 5, 4, 2), strict=True):
        rate(ticket, clerk_li, level)
    rate(z1, clerk_zhao, 5)
    rate(z2, clerk_zhao, 4)
    with time_machine.travel(AFTER, tick=False):
        services.set_rules(manager_wang, city, weights=WEIGHTS, late_grace=5, early_grace=5)
    return city


def test_month_ranking_recomputed_by_hand(november: Hall) -> None:
    # attendance  li   1 − (0 + ½·1)/20          = 0.975
    #             zhao 1 − (1 + ½·1)/18          = 0.91667 (2 leave days are not due)
    #             wang 1
    # honours     li 6 / 6 = 1, zhao 3 / 6 = 0.5 (October's 9 don't count), wang 0
    # ratings     li 3 good of 4 = 0.75, zhao 2/2 = 1, wang unrated → mean (0.75 + 1)/2 = 0.875
    # volume      li 4 / 4 = 1, zhao 2 / 4 = 0.5, wang 0
    # speed       hall mean M1 = (4·600 + 1200)/5 = 720 s, M2 = 300 s
    #             li   (4·720)/(4·600)           = 1.2   → 1.2 / 1.2 = 1
    #             zhao (720 + 300)/(1200 + 300)  = 0.68  → 0.68 / 1.2 = 0.56667
    li = 30 * 0.975 + 10 * 1 + 20 * 0.75 + 25 * 1 + 15 * 1
    zhao = 30 * (1 - 1.5 / 18) + 10 * 0.5 + 20 * 1 + 25 * 0.5 + 15 * (0.68 / 1.2)
    wang = 30 * 1 + 0 + 20 * 0.875 + 0 + 0
    with time_machine.travel(AFTER, tick=False):
        rows = performance.ranking_rows(november, 2026, 11)
    assert [(r["username"], r["rank"]) for r in rows] == [
        ("clerk_li", 1),
        ("clerk_zhao", 2),
        ("manager_wang", 3),
    ]
    got = {r["username"]: r for r in rows}
    assert got["clerk_li"]["score"] == pytest.approx(li, abs=0.02)
    assert got["clerk_zhao"]["score"] == pytest.approx(zhao, abs=0.02)
    assert got["manager_wang"]["score"] == pytest.approx(wang, abs=0.02)
    z = {c["key"]: c for c in got["clerk_zhao"]["components"]}
    assert z["attendance"]["raw_text"] == "应出勤18天，缺勤1，迟到0，早退1"
    assert z["volume"]["raw"] == 2 and z["speed"]["raw"] == pytest.approx(0.68)
    assert z["honours"]["raw"] == 3 and z["ratings"]["raw_text"] == "好评2/2"
    assert {c["weight"] for c in z.values()} == {30, 10, 20, 25, 15}
    for r in rows:
        assert r["score"] == pytest.approx(sum(c["points"] for c in r["components"]), abs=0.01)


def test_new_weights_change_the_ranking(november: Hall, manager_wang: Any) -> None:
    with time_machine.travel(AFTER, tick=False):
        services.set_rules(
            manager_wang,
            november,
            weights={"attendance": 100, "honours": 0, "ratings": 0, "volume": 0, "speed": 0},
            late_grace=5,
            early_grace=5,
        )
        rows = performance.ranking_rows(november, 2026, 11)
    assert [r["username"] for r in rows] == ["manager_wang", "clerk_li", "clerk_zhao"]
    assert rows[0]["score"] == 100.0


def api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user)}")


def test_who_sees_which_figures(
    november: Hall, clerk_li: Any, manager_wang: Any, town_manager_sun: Any, admin_chen: Any
) -> None:
    url = "/api/v1/staff/halls/city/performance?month=2026-11"
    with time_machine.travel(AFTER, tick=False):
        own = api(clerk_li).get(url)
        assert own.status_code == 200 and [r["username"] for r in own.json()] == ["clerk_li"]
        assert len(api(manager_wang).get(url).json()) == 3
        assert len(api(admin_chen).get(url).json()) == 3
        other = api(town_manager_sun).get(url)
        assert other.status_code == 403 and "detail" in other.json()
        assert api(clerk_li).get("/api/v1/staff/profiles/clerk_zhao").status_code == 403
        assert [p["username"] for p in api(clerk_li).get("/api/v1/staff/profiles").json()] == ["clerk_li"]
        assert (
            api(clerk_li).get("/api/v1/staff/halls/city/attendance?month=2026-11").json()[0]["username"]
            == "clerk_li"
        )
        assert len(api(manager_wang).get("/api/v1/staff/halls/city/attendance?month=2026-11").json()) == 3
        # pages: staff get their own page only
        web = Client()
        web.force_login(clerk_li)
        assert web.get("/manage/staff/").url == "/manage/staff/me/"
        assert web.get("/manage/staff/people/clerk_zhao/").status_code == 403
        mine = web.get("/manage/staff/performance/?month=2026-11").content.decode()
        assert "李窗口" in mine and "赵窗口" not in mine
        boss = Client()
        boss.force_login(manager_wang)
        page = boss.get("/manage/staff/performance/?month=2026-11").content.decode()
        assert "李窗口" in page and "赵窗口" in page and "应出勤18天" in page
        xlsx = boss.get("/manage/staff/performance.xlsx?month=2026-11")
        assert xlsx.status_code == 200
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [v[2] for v in values] == ["李窗口", "赵窗口", "王主任"]
    assert values[0][3] == pytest.approx(94.25, abs=0.02)
