"""Selection and grouping against the database: demand, levels, the bundle rule, links."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from govhall.booklet import build
from govhall.booklet.tests.conftest import (
    BIRTH,
    CAR,
    COMPANY,
    FUNERAL,
    HUKOU_MOVE,
    MARRIAGE,
    MEDICAL,
    NOW,
    PENSION,
)
from govhall.halls.models import Hall

pytestmark = pytest.mark.django_db


def codes(booklet: build.Booklet) -> list[str]:
    """Matter codes in rank order (sections regroup them, demand keeps the order readable)."""
    entries = [e for s in booklet.sections for e in s.entries]
    return [e.code for e in sorted(entries, key=lambda e: -e.demand)]


def grouped(booklet: build.Booklet) -> dict[str, list[str]]:
    return {s.label: [e.code for e in s.entries] for s in booklet.sections}


def test_the_city_booklet_ranks_online_matters_by_90_days_of_demand(demand: None, at_now: Any) -> None:
    booklet = build.build(None, build.Options(top=4))
    chosen = {e.code: e.demand for s in booklet.sections for e in s.entries}
    # medical (2 people, in a bundle) before pension (2 tickets, in none); funeral's tickets are too old
    assert chosen == {CAR: 3, MEDICAL: 2, PENSION: 2, COMPANY: 1}
    assert booklet.scope == build.CITY and booklet.scope_name == "全市"
    assert booklet.day.isoformat() == "2026-11-20"


def test_window_only_matters_are_never_listed(demand: None, at_now: Any) -> None:
    booklet = build.build(None, build.Options(top=50))
    listed = set(codes(booklet))
    assert listed == {BIRTH, PENSION, COMPANY, CAR, FUNERAL, MEDICAL}
    assert not listed & {HUKOU_MOVE, MARRIAGE}


def test_zero_demand_ties_go_to_matters_in_more_bundles(demand: None, at_now: Any) -> None:
    booklet = build.build(None, build.Options(top=5))
    assert BIRTH in codes(booklet)  # in two 一件事; funeral, with old tickets only, is in one
    assert FUNERAL not in codes(booklet)


def test_a_more_recent_window_of_days_counts_less(demand: None, at_now: Any) -> None:
    booklet = build.build(None, build.Options(top=50, days=5))
    assert {e.demand for s in booklet.sections for e in s.entries} == {0}


def test_a_town_booklet_counts_its_own_tickets_and_its_level_only(demand: None, at_now: Any) -> None:
    town = Hall.objects.get(code="town")
    booklet = build.build(town, build.Options(top=50))
    chosen = {e.code: e.demand for s in booklet.sections for e in s.entries}
    assert chosen == {MEDICAL: 2, PENSION: 2, BIRTH: 0, FUNERAL: 0}  # car and company are city-level
    assert booklet.scope == "town" and booklet.scope_name == "白塔镇便民服务中心"


def test_matters_are_grouped_by_life_event_in_table_order(demand: None, at_now: Any) -> None:
    booklet = build.build(None, build.Options(top=50))
    assert grouped(booklet) == {
        "身后事": [FUNERAL],
        "出生": [BIRTH],
        "养老": [PENSION],
        "出行/车驾": [CAR],
        "社保医保": [MEDICAL],
        "企业开办/经营": [COMPANY],
    }


def test_entries_carry_the_plain_line_link_and_badges(demand: None, at_now: Any) -> None:
    booklet = build.build(None, build.Options(top=50))
    entries = {e.code: e for s in booklet.sections for e in s.entries}
    birth = entries[BIRTH]
    assert birth.line == "宝宝刚出生，户口怎么上"
    assert birth.link == f"https://zwfw.example.gov.cn/matter/{BIRTH}"
    assert birth.channels == ["掌上办", "网上办"] and birth.zero_visit and birth.instant
    assert entries[PENSION].line == "领养老金、农村养老保险" and not entries[PENSION].instant
    assert entries[CAR].link == "https://car.example.org/register?from=booklet"  # the catalogue's own


def test_bundles_mostly_online_ranked_by_the_demand_of_their_matters(demand: None, at_now: Any) -> None:
    booklet = build.build(None)
    listed = {b.code: b for b in booklet.bundles}
    # 结婚生育 is half at the window: out; 军人退役 is three quarters online: in, naming what is not
    # veteran and company tie at 4 (2 + 2 against 3 + 1): the bigger bundle first
    assert [b.code for b in booklet.bundles] == ["YJS-VETERAN", "YJS-COMPANY", "YJS-BIRTH"]
    assert [b.demand for b in booklet.bundles] == [4, 4, 2]
    assert listed["YJS-VETERAN"].offline == ["户口迁入登记"]
    assert listed["YJS-BIRTH"].link == "https://zwfw.example.gov.cn/yjs/YJS-BIRTH"
    assert listed["YJS-BIRTH"].line == "孩子出生后，出生证明、落户、医保参保一张表申请、一次办好"
    assert [b.code for b in build.build(None, build.Options(bundles=1)).bundles] == ["YJS-VETERAN"]


def test_a_town_lists_the_bundles_with_a_matter_handled_at_its_level(demand: None, at_now: Any) -> None:
    town = Hall.objects.get(code="town")
    assert [b.code for b in build.build(town).bundles] == ["YJS-VETERAN", "YJS-BIRTH"]


def test_the_link_template_comes_from_the_settings(demand: None, at_now: Any, settings: Any) -> None:
    settings.GOVHALL_ONLINE_ENTRY = "https://gov.example.net/do?item={code}"
    booklet = build.build(None, build.Options(top=50))
    entries = {e.code: e for s in booklet.sections for e in s.entries}
    assert entries[BIRTH].link == f"https://gov.example.net/do?item={BIRTH}"
    settings.GOVHALL_ONLINE_ENTRY = "https://gov.example.net/without-code"
    with pytest.raises(ImproperlyConfigured):
        build.build(None)


def test_an_empty_catalogue_gives_an_empty_booklet(db: None) -> None:
    booklet = build.build()
    assert booklet.sections == [] and booklet.bundles == [] and booklet.matter_count == 0


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ({"top": "0"}, "事项数"),
        ({"top": "abc"}, "整数"),
        ({"bundles": "-1"}, "一件事"),
        ({"days": "400"}, "统计天数"),
        ({"paper": "letter"}, "纸张"),
    ],
)
def test_bad_options_are_refused_with_a_reason(raw: dict[str, str], reason: str) -> None:
    with pytest.raises(build.BookletError, match=reason):
        build.Options.parse(raw)


def test_options_parse_keeps_defaults_for_absent_fields() -> None:
    assert build.Options.parse({}) == build.Options()
    assert build.Options.parse({"top": " 20 ", "paper": "A4"}) == build.Options(top=20, paper="a4")


def test_an_unknown_hall_is_refused(db: None) -> None:
    with pytest.raises(build.BookletError, match="nowhere"):
        build.find_hall("nowhere")
    assert build.find_hall("") is None


def test_the_booklet_is_json_ready(demand: None, at_now: Any) -> None:
    import json

    data = build.build(None, build.Options(top=2)).as_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False))["options"]["top"] == 2
    assert data["day"] == NOW.date().isoformat()
