"""The big screen's JSON: live load per hall, today against the usual, alerts, the weekly top 10."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from django.test import Client

from govhall.insights.tests.builders import ticket
from govhall.monitor import live
from govhall.queueing import services as queue
from govhall.queueing.logs import import_log
from govhall.testing import build_hall, window
from govhall.ticketlog import write_log

pytestmark = pytest.mark.django_db
TUESDAY_10AM = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)  # 10:00 in Asia/Shanghai


def test_the_city_view_counts_today_against_the_same_weekday_before(tmp_path: Path) -> None:
    city = build_hall("city", zones=("A", "B"), yellow=2, red=9)
    build_hall("town", zones=("A",))
    # the last two Tuesdays: 3 and 5 tickets before 10:00 (waits 2 and 4 minutes), 1 after
    history = [
        ticket("2026-11-17T09:00:00", called="2026-11-17T09:02:00", handling=300, matter="M-1"),
        ticket("2026-11-17T09:10:00", called="2026-11-17T09:12:00", handling=300, matter="M-1"),
        ticket("2026-11-17T09:20:00", called="2026-11-17T09:22:00", handling=300, matter="M-1"),
        *[
            ticket(f"2026-11-10T09:0{n}:00", called=f"2026-11-10T09:0{n + 4}:00", handling=60, matter="M-1")
            for n in range(5)
        ],
        ticket("2026-11-10T15:00:00", called="2026-11-10T15:30:00", handling=60, matter="M-1"),
    ]
    path = tmp_path / "history.csv"
    with path.open("w", encoding="utf-8") as fh:
        write_log(history, fh)  # type: ignore[arg-type]
    import_log(path)
    with time_machine.travel(TUESDAY_10AM, tick=False) as traveller:
        for zone in ("A", "A", "B"):
            queue.issue_ticket(city, "M-1", zone_code=zone, channel="remote" if zone == "B" else "walk_in")
            traveller.shift(60)
        called = queue.call_next(window(city, "1"))
        traveller.shift(60)
        data = Client().get("/api/v1/dashboard/city").json()
    kpi = data["kpi"]
    assert kpi["tickets_today"] == 3
    assert kpi["waiting"] == 2
    assert kpi["usual_tickets_so_far"] == 4  # (3 + 5) / 2 Tuesdays
    assert kpi["usual_mean_wait_seconds"] == round((3 * 120 + 5 * 240) / 8)
    assert kpi["mean_wait_seconds"] == (called.called_at - called.issued_at).total_seconds()
    assert kpi["good_rating_rate"] is None  # no ratings yet: "—" on screen
    halls = {h["code"]: h for h in data["halls"]}
    assert halls["city"]["waiting"] == 2 and halls["town"]["waiting"] == 0
    assert halls["city"]["longest_wait_seconds"] == 180  # the second A ticket, issued 3 minutes ago
    assert halls["city"]["alert"] == "none"
    assert {c["channel"]: c["tickets"] for c in data["channels"]} == {
        "walk_in": 2,
        "remote": 1,
        "appointment": 0,
    }
    assert data["hourly"]["today"][10] == 3
    assert data["hourly"]["usual"][9] == 4.0 and data["hourly"]["usual"][15] == 0.5


def test_a_hall_shows_zones_windows_alerts_and_last_weeks_top_ten(tmp_path: Path) -> None:
    city = build_hall("city", zones=("A", "B"), yellow=1, red=3)
    # last week (ISO 2026-W47): 12 tickets of M-1 in A, 10 of M-2 in B, 3 of M-3 (too few to rank)
    rows = [
        *[
            ticket(
                f"2026-11-17T09:{n:02d}:00",
                called=f"2026-11-17T09:{n + 1:02d}:00",
                handling=120,
                matter="M-1",
            )
            for n in range(12)
        ],
        *[
            ticket(
                f"2026-11-18T09:{n:02d}:00",
                called=f"2026-11-18T09:{n + 5:02d}:00",
                handling=600,
                matter="M-2",
                zone="B",
            )
            for n in range(10)
        ],
        *[
            ticket(
                f"2026-11-19T09:{n:02d}:00", called=f"2026-11-19T09:{n + 1:02d}:00", handling=60, matter="M-3"
            )
            for n in range(3)
        ],
    ]
    path = tmp_path / "week.csv"
    with path.open("w", encoding="utf-8") as fh:
        write_log(rows, fh)  # type: ignore[arg-type]
    import_log(path)
    with time_machine.travel(TUESDAY_10AM, tick=False) as traveller:
        queue.issue_ticket(city, "M-1", zone_code="A")
        traveller.shift(5)
        live.evaluate(TUESDAY_10AM + dt.timedelta(seconds=5))
        response = Client().get("/api/v1/dashboard/halls/city")
    assert response.status_code == 200
    data = response.json()
    assert [(z["code"], z["waiting"], z["alert"], z["open_windows"]) for z in data["zones"]] == [
        ("A", 1, "yellow", 1),
        ("B", 0, "none", 1),
    ]
    assert data["alert"] == "yellow"
    assert data["windows"]["open"] == data["windows"]["total"] == 2
    assert [(a["kind"], a["zone"]) for a in data["alerts"]] == [("yellow", "A")]
    assert data["kpi"]["open_alerts"] == 1
    top = data["top"]
    assert top["week"] == "2026-W47"
    assert [(e["matter"], e["tickets"]) for e in top["by_volume"]] == [("M-1", 12), ("M-2", 10)]
    assert [e["matter"] for e in top["shortest_handling"]] == ["M-1", "M-2"]
    assert [(u["zone"], u["name"]) for u in top["shortest_wait_units"]] == [("A", "A区"), ("B", "B区")]


def test_unknown_hall_is_a_json_404_and_the_schema_is_documented() -> None:
    client = Client()
    response = client.get("/api/v1/dashboard/halls/nowhere")
    assert response.status_code == 404
    assert response.json() == {"detail": "no hall 'nowhere'"}
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/dashboard/city", "/api/v1/dashboard/halls/{hall}"):
        assert "$ref" in str(paths[path]["get"]["responses"]["200"]), path


def test_the_pages_are_public_chinese_and_carry_no_personal_data() -> None:
    city = build_hall("city", zones=("A",))
    with time_machine.travel(TUESDAY_10AM, tick=False):
        queue.issue_ticket(city, "M-1", zone_code="A", subject="13812345678")
    client = Client()
    for url in ("/dashboard", "/dashboard/city"):
        page = client.get(url)
        assert page.status_code == 200
        text = page.content.decode()
        assert '<html lang="zh-Hans">' in text and "<title>" in text
        assert "13812345678" not in text
    assert client.get("/dashboard/nowhere").status_code == 404


def test_the_good_rating_rate_comes_from_the_ratings_app_once_it_has_data() -> None:
    from govhall.ratings import services as rating

    city = build_hall("city", zones=("A",))
    levels = [5, 4, 3, 3, 1]  # 非常满意, 满意, 基本满意 ×2, 非常不满意
    with time_machine.travel(TUESDAY_10AM, tick=False) as traveller:
        served = []
        for _ in levels:
            queue.issue_ticket(city, "M-1", zone_code="A")
            called = queue.call_next(window(city, "1"))
            assert called is not None
            queue.perform(called.id, "start")
            traveller.shift(120)
            served.append(queue.perform(called.id, "finish"))
        assert Client().get("/api/v1/dashboard/city").json()["kpi"]["good_rating_rate"] is None
        for ticket_, level in zip(served, levels, strict=True):
            rating.rate(ticket_.id, level)
        traveller.shift(120)
        from django.core.cache import cache

        cache.clear()
        kpi = Client().get("/api/v1/dashboard/halls/city").json()["kpi"]
    assert (kpi["good_rating_rate"], kpi["ratings"]) == (0.8, 5)
    from govhall.dashboard import reports

    with time_machine.travel(TUESDAY_10AM + dt.timedelta(days=7), tick=False):
        report = reports.generate_now("week", city, TUESDAY_10AM.date(), by="", pdf=False)
    assert report.data["summary"]["good_rating_rate"] == 0.8
    levels_table = next(t for t in report.data["tables"] if t["key"] == "ratings")["rows"]
    assert {r["level"]: r["ratings"] for r in levels_table} == {
        "非常满意": 1,
        "满意": 1,
        "基本满意": 2,
        "不满意": 0,
        "非常不满意": 1,
    }
