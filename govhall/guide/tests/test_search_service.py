"""The search through the database: the command, the HTTP API with routes, catalogue reloads."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from govhall.catalog.services import import_catalog, upsert_matters
from govhall.guide import services
from govhall.testing import SAMPLE_CATALOG, build_hall, matter

pytestmark = pytest.mark.django_db

PASSPORT_RENEWAL = "331082-GA-9847"
ID_CARD_REISSUE = "331082-GA-8582"
DIVORCE = "331082-MZ-2986"


@pytest.fixture(autouse=True)
def fresh_index() -> Iterator[None]:
    services.reset_index()
    yield
    services.reset_index()


@pytest.fixture
def sample_catalogue() -> None:
    import_catalog(SAMPLE_CATALOG)


def run_search(*args: str, stdin: str | None = None) -> str:
    out = io.StringIO()
    if stdin is not None:
        old = sys.stdin
        sys.stdin = io.StringIO(stdin)
        try:
            call_command("guide", "search", *args, stdout=out)
        finally:
            sys.stdin = old
    else:
        call_command("guide", "search", *args, stdout=out)
    return out.getvalue()


def test_stdin_json_prints_one_object_per_line_in_order(sample_catalogue: None) -> None:
    output = run_search(
        "--stdin", "--json", "--top", "3", stdin="  护照换发 \n\n身粉证补办\nhow to get divorced\n"
    )
    lines = [json.loads(line) for line in output.splitlines()]
    assert [line["query"] for line in lines] == ["护照换发", "", "身粉证补办", "how to get divorced"]
    assert lines[1]["results"] == []
    assert lines[0]["results"][0]["code"] == PASSPORT_RENEWAL
    assert lines[2]["results"][0]["code"] == ID_CARD_REISSUE
    assert lines[3]["results"][0]["code"] == DIVORCE
    assert all(len(line["results"]) <= 3 for line in lines)
    first = lines[0]["results"][0]
    assert set(first) == {"code", "name", "score", "department", "why"}
    assert first["department"] == "公安局"
    assert "护照" in first["why"] and len(first["why"]) <= 30


def test_each_result_says_its_department_and_why_it_was_offered(sample_catalogue: None) -> None:
    results = services.search_catalog("身份证丢了怎么办", top=3)["results"]
    assert results[0]["code"] == ID_CARD_REISSUE
    assert results[0]["department"] == "公安局"
    why = results[0]["why"]
    assert "身份证" in why and "丢了" in why and len(why) <= 30
    body = Client().get("/api/v1/guide/search", {"q": "身份证丢了怎么办", "top": 3}).json()
    assert [(r["department"], r["why"]) for r in body["results"]] == [
        (r["department"], r["why"]) for r in results
    ]
    # the table shows them too
    assert "公安局 · " in run_search("身份证丢了怎么办", "--top", "1")


def test_a_staff_correction_says_so_in_why(sample_catalogue: None) -> None:
    from django.contrib.auth import get_user_model

    clerk = get_user_model().objects.create_user("clerk")
    question = "想和老伴分开过"
    services.record_correction(question, DIVORCE, clerk)
    first = services.search_catalog(question, top=3)["results"][0]
    assert first["code"] == DIVORCE
    assert first["department"] == "民政局"
    assert "工作人员" in first["why"]


def test_the_table_shows_the_follow_up_question(sample_catalogue: None) -> None:
    output = run_search("护照")
    assert "普通护照换发" in output
    assert "?" in output


def test_api_adds_the_route_with_the_nearest_halls_and_their_wait(sample_catalogue: None) -> None:
    build_hall("far", zones=("A",), matters={"A": [PASSPORT_RENEWAL]})
    build_hall("near", zones=("A",), matters={"A": [PASSPORT_RENEWAL]})
    from govhall.halls.models import Hall

    Hall.objects.filter(code="near").update(lat=30.0, lon=120.0)
    Hall.objects.filter(code="far").update(lat=31.0, lon=121.0)
    response = Client().get(
        "/api/v1/guide/search", {"q": "护照过期了换新的", "top": 2, "lat": 30.01, "lon": 120.01}
    )
    assert response.status_code == 200
    body = response.json()
    first = body["results"][0]
    assert first["code"] == PASSPORT_RENEWAL
    route = first["route"]
    assert route["channel"] == "app"  # lightest of app, kiosk, hall
    assert [h["hall"] for h in route["halls"]] == ["near", "far"]
    assert route["halls"][0]["distance_km"] < 2
    assert route["halls"][0]["estimated_wait_seconds"] == 0
    assert route["halls"][0]["ticket"]["body"]["matter"] == PASSPORT_RENEWAL


def test_api_without_a_hall_listing_falls_back_to_halls_of_the_matters_levels(sample_catalogue: None) -> None:
    build_hall("city-centre", zones=("A",))
    body = Client().get("/api/v1/guide/search", {"q": "身份证丢了"}).json()
    halls = body["results"][0]["route"]["halls"]
    assert [h["hall"] for h in halls] == ["city-centre"]


def test_api_refuses_bad_parameters_with_detail(sample_catalogue: None) -> None:
    response = Client().get("/api/v1/guide/search", {"q": "护照", "top": 0})
    assert response.status_code == 422
    assert "detail" in response.json()


def test_api_empty_query_gives_empty_results() -> None:
    body = Client().get("/api/v1/guide/search", {"q": "  "}).json()
    assert body == {"query": "", "results": []}


def test_a_catalogue_import_is_seen_without_a_restart(monkeypatch: Any) -> None:
    upsert_matters([matter("X-1", "犬只登记", description="养狗要登记")])
    assert services.search_catalog("燃气经营")["results"] == [] or all(
        r["code"] == "X-1" for r in services.search_catalog("燃气经营")["results"]
    )
    monkeypatch.setattr(services, "CHECK_SECONDS", 0.0)
    upsert_matters([matter("X-2", "燃气经营许可证核发", description="经营燃气的企业申请许可")])
    assert services.search_catalog("燃气经营")["results"][0]["code"] == "X-2"


def test_the_index_is_kept_between_searches_while_the_catalogue_is_unchanged(sample_catalogue: None) -> None:
    services.search_catalog("护照")
    first = services.current_index()
    services.search_catalog("身份证")
    assert services.current_index() is first


def _two_halls(near_level: str = "city", far_level: str = "city") -> None:
    from govhall.halls.models import Hall

    build_hall("near", zones=("A",), matters={"A": [PASSPORT_RENEWAL]})
    build_hall("other", zones=("A",), matters={"A": [PASSPORT_RENEWAL]})
    Hall.objects.filter(code="near").update(lat=30.0, lon=120.0, level=near_level)
    Hall.objects.filter(code="other").update(lat=30.02, lon=120.0, level=far_level)  # ~2.2 km further


def _hall_order(lat: float = 30.0, lon: float = 120.0) -> list[dict[str, Any]]:
    body = Client().get("/api/v1/guide/search", {"q": "护照换发", "top": 1, "lat": lat, "lon": lon}).json()
    assert body["results"][0]["code"] == PASSPORT_RENEWAL
    halls: list[dict[str, Any]] = body["results"][0]["route"]["halls"]
    return halls


def test_tickets_waiting_in_the_nearest_hall_send_citizens_to_the_next_one(sample_catalogue: None) -> None:
    from govhall.halls.models import Hall
    from govhall.queueing.services import issue_ticket

    _two_halls()
    assert [h["hall"] for h in _hall_order()] == ["near", "other"]
    near = Hall.objects.get(code="near")
    for _ in range(8):
        issue_ticket(near, PASSPORT_RENEWAL, zone_code="A")
    halls = _hall_order()
    assert [h["hall"] for h in halls] == ["other", "near"]
    assert halls[1]["waiting"] == 8 and halls[1]["estimated_wait_seconds"] > 0
    assert halls[0]["waiting"] == 0
    # the navigation link and the remote ticket point at the chosen hall
    assert halls[0]["navigation"] == "geo:30.02,120.0"
    assert halls[0]["ticket"]["url"] == "/api/v1/halls/other/tickets"
    # the suggested remote ticket is accepted by the queue API as it is
    ticket = halls[0]["ticket"]
    response = Client().post(ticket["url"], ticket["body"], content_type="application/json")
    assert response.status_code in (200, 201), response.content
    assert response.json()["hall"] == "other"


def test_a_town_centre_comes_before_a_city_centre_at_the_same_distance(sample_catalogue: None) -> None:
    _two_halls(near_level="city", far_level="town")
    order = [h["hall"] for h in _hall_order(lat=30.01, lon=120.0)]  # half way between
    assert order == ["other", "near"]
    levels = [h["level"] for h in _hall_order(lat=30.01, lon=120.0)]
    assert levels == ["town", "city"]
