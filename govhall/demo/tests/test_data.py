"""The demo city's data and traffic model, without a database."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import Counter, defaultdict

from govhall.catalog import formats
from govhall.demo import traffic
from govhall.demo.data import catalog, city, guides


def test_catalogue_is_about_300_valid_matters_with_unique_codes_and_names() -> None:
    records = catalog.records()
    clean = formats.validate(list(enumerate(records, start=1)))
    assert len(clean) == len(records) >= 290
    assert len({r["code"] for r in records}) == len(records)
    assert len({r["name"] for r in records}) == len(records)
    assert all(r["code"].startswith("330299-") for r in records)
    departments = Counter(r["department"] for r in records)
    for needed in (
        "公安局",
        "人力资源和社会保障局",
        "医疗保障局",
        "住房公积金管理中心",
        "市场监督管理局",
        "税务局",
    ):
        assert departments[needed] >= 10
    online = [r for r in records if {"app", "web"} & set(r["channels"])]
    assert len(online) > len(records) / 2
    assert sum(bool(r["scenarios"]) for r in records) > len(records) / 2
    family = next(r for r in records if r["name"] == "基本医疗保险参保人员历年账户家庭共济备案")
    assert "我的医保卡里有历年余额，能否给老父亲使用" in family["scenarios"]


def test_codes_stay_the_same_whatever_the_order() -> None:
    first = {r["name"]: r["code"] for r in catalog.records()}
    assert first == {r["name"]: r["code"] for r in catalog.records()}


def test_situations_and_bundles_name_matters_of_the_catalogue() -> None:
    names = {r["name"] for r in catalog.records()}
    with_situations = set(guides.SITUATIONS) | set(guides.GENERIC)
    assert len(with_situations) >= 55 and with_situations <= names
    assert len(guides.BUNDLES) >= 15
    assert len({code for code, *_ in guides.BUNDLES}) == len(guides.BUNDLES)
    for _code, _name, matters, _description in guides.BUNDLES:
        assert set(matters) <= names and len(matters) >= 2


def test_halls_file_puts_each_matter_in_one_zone_per_hall() -> None:
    records = catalog.records()
    halls = city.halls(records)
    assert [h["level"] for h in halls] == ["city"] + ["town"] * 5
    centre = halls[0]
    assert centre["opening_hours"] == {"mon-sun": ["00:00-23:59"]}
    assert len(centre["zones"]) == 8 and len(centre["windows"]) >= 30
    assert 3 <= sum(w["tidal"] for w in centre["windows"]) <= 4
    assert any(len(w["zones"]) >= 3 for w in centre["windows"])
    for hall in halls:
        listed = [m for z in hall["zones"] for m in z["matters"]]
        assert len(listed) == len(set(listed))
        if hall["level"] == "town":
            assert hall["parent"] == city.CITY and hall["closed_dates"]
            assert 3 <= len(hall["windows"]) <= 5
            assert "12:00" in str(hall["opening_hours"])  # a lunch break
    points = city.points(records)
    assert sum(p["kind"] == "village" for p in points) == 20
    assert {p["kind"] for p in points} == {"village", "bank", "post", "kiosk"}


def test_ticket_fate_is_a_function_of_the_ticket() -> None:
    assert traffic.plan("tabc", "A") == traffic.plan("tabc", "A")
    plans = [traffic.plan(f"t{i}", "A") for i in range(2000)]
    assert 60 <= sum(p.service for p in plans) / len(plans) <= 90
    assert 0.03 <= sum(p.no_show for p in plans) / len(plans) <= 0.07
    assert all(5 <= p.start_delay <= 30 for p in plans)


SMALL = traffic.HallSpec(
    code="town",
    timezone="Asia/Shanghai",
    opening_hours={"mon-fri": ["08:30-12:00", "13:30-17:00"]},
    closed_dates=("2026-11-25",),
    zones=(traffic.ZoneSpec("A", ("m1", "m2", "m3")), traffic.ZoneSpec("B", ("m4", "m5"))),
    windows=(
        traffic.WindowSpec("1", ("A",)),
        traffic.WindowSpec("2", ("A", "B")),
        traffic.WindowSpec("3", ("B",)),
        traffic.WindowSpec("4", ("A", "B"), tidal=True),
    ),
)


def test_history_is_a_consistent_log_inside_opening_hours() -> None:
    days = [dt.date(2026, 11, 23) + dt.timedelta(days=i) for i in range(7)]
    rows = traffic.history(SMALL, days, random.Random(1), [["m1", "m4"]], staffed_share=1.0)
    assert len(rows) > 100
    assert len({r.ticket_id for r in rows}) == len(rows)
    issued_days = {r.issued_at.date() for r in rows}
    assert dt.date(2026, 11, 25) not in issued_days  # a closed date
    assert not issued_days & {dt.date(2026, 11, 28), dt.date(2026, 11, 29)}  # weekend
    per_window = defaultdict(list)
    for r in rows:
        local = r.issued_at.time()
        assert dt.time(8, 30) <= local < dt.time(12) or dt.time(13, 30) <= local < dt.time(17)
        assert r.outcome in ("served", "no_show", "cancelled")
        assert r.finished_at is not None and r.finished_at >= r.issued_at
        if r.called_at:
            assert r.called_at >= r.issued_at and r.finished_at >= r.called_at
            assert not dt.time(12) <= r.called_at.time() < dt.time(13, 30)  # nobody called at lunch
            per_window[(r.called_at.date(), r.window)].append((r.called_at, r.finished_at))
        else:
            assert r.outcome == "cancelled" and r.window == ""
    for spans in per_window.values():  # a window serves one ticket at a time
        spans.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    subjects = defaultdict(set)
    for r in rows:
        if r.subject and r.outcome == "served":
            subjects[r.subject].add(r.matter)
    assert any({"m1", "m4"} <= done for done in subjects.values())  # some did the bundle
