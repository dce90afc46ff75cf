"""The API and the pages: public rating, scoped figures and cases, 4xx reasons, manage access."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.test import Client

from govhall.halls.models import Hall
from govhall.ratings import services
from govhall.ratings.models import Case, Rating, Step
from govhall.ratings.tests.conftest import MEDICAL, PASSWORD, person, served

pytestmark = pytest.mark.postgres


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def rated(city: Hall, clerk_wang: Any, clerk_chen: Any) -> dict[str, Any]:
    """Wang: one 满意 and one 非常不满意 (a case); Chen: one 非常满意; a town ticket rated 不满意."""
    good = served(city, "1", clerk_wang)
    services.rate(good.pk, 4)
    bad = served(city, "1", clerk_wang)
    services.rate(bad.pk, 1, "态度差", ["attitude"])
    chen = served(city, "2", clerk_chen, MEDICAL)
    services.rate(chen.pk, 5)
    town = Hall.objects.get(code="town")
    clerk_wu = person("clerk_wu", "town", "staff")[0]
    services.rate(served(town, "1", clerk_wu).pk, 2)
    return {"good": good, "bad": bad, "chen": chen}


def test_rating_over_the_api(client: Client, city: Hall, clerk_wang: Any) -> None:
    ticket = served(city, "1", clerk_wang)
    url = f"/api/v1/ratings/tickets/{ticket.pk}"
    bad = client.post(url, {"level": 9}, content_type="application/json")
    assert bad.status_code == 422 and "评价等级" in bad.json()["detail"]
    assert client.post(url, {"level": "x"}, content_type="application/json").status_code == 422
    assert client.post(url, "{not json", content_type="application/json").status_code in (400, 422)
    made = client.post(
        url, {"level": 2, "comment": "等太久", "tags": ["waiting"]}, content_type="application/json"
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["level_label"] == "不满意" and body["case_step"] == "verify" and body["tags"] == ["waiting"]
    again = client.post(url, {"level": 5}, content_type="application/json")
    assert again.status_code == 409 and "已经评价" in again.json()["detail"]
    assert client.get(url).json()["level"] == 2
    assert (
        client.post("/api/v1/ratings/tickets/nope", {"level": 5}, content_type="application/json").status_code
        == 404
    )


def test_summary_and_cases_are_scoped(
    client: Client, rated: dict[str, Any], manager_li: Any, admin_sun: Any
) -> None:
    assert client.get("/api/v1/ratings/summary").status_code == 401
    wang = person("clerk_wang", "city", "staff")[1]
    mine = client.get("/api/v1/ratings/summary", **bearer(wang)).json()
    assert (mine["total"], mine["good"], mine["good_rate"]) == (2, 1, 0.5)
    assert [r["name"] for r in mine["by_staff"]] == ["clerk_wang"]
    li = person("manager_li", "city", "manager")[1]
    hall = client.get("/api/v1/ratings/summary", **bearer(li)).json()
    assert (hall["total"], hall["good"], hall["open_cases"]) == (3, 2, 1)
    assert {r["code"] for r in hall["by_window"]} == {"city/1", "city/2"}
    assert client.get("/api/v1/ratings/summary?hall=town", **bearer(li)).status_code == 403
    assert client.get("/api/v1/ratings/summary?hall=atlantis", **bearer(li)).status_code == 404
    assert client.get("/api/v1/ratings/summary?since=yesterday", **bearer(li)).status_code == 422
    sun = person("admin_sun", None, "admin")[1]
    city_wide = client.get("/api/v1/ratings/summary", **bearer(sun)).json()
    assert (city_wide["total"], city_wide["open_cases"]) == (4, 2)
    assert {r["code"] for r in city_wide["by_hall"]} == {"city", "town"}
    assert len(city_wide["weekly"]) == 1 and city_wide["weekly"][0]["total"] == 4
    assert [c["hall"] for c in client.get("/api/v1/ratings/cases", **bearer(li)).json()] == ["city"]
    assert len(client.get("/api/v1/ratings/cases?open=true", **bearer(sun)).json()) == 2
    chen = person("clerk_chen", "city", "staff")[1]
    assert client.get("/api/v1/ratings/cases", **bearer(chen)).json() == []
    case_id = Case.objects.get(rating__ticket=rated["bad"]).pk
    assert client.get(f"/api/v1/ratings/cases/{case_id}", **bearer(chen)).status_code == 404


def test_case_actions_over_the_api(client: Client, rated: dict[str, Any], manager_li: Any) -> None:
    case_id = Case.objects.get(rating__ticket=rated["bad"]).pk
    li = person("manager_li", "city", "manager")[1]
    wang = person("clerk_wang", "city", "staff")[1]
    base = f"/api/v1/ratings/cases/{case_id}"
    denied = client.post(
        f"{base}/verify", {"finding": "true", "note": "查"}, content_type="application/json", **bearer(wang)
    )
    assert denied.status_code == 403 and "负责人" in denied.json()["detail"]
    early = client.post(f"{base}/rectify", {"note": "改"}, content_type="application/json", **bearer(li))
    assert early.status_code == 409
    assert (
        client.post(
            f"{base}/verify", {"finding": "sure", "note": "x"}, content_type="application/json", **bearer(li)
        ).status_code
        == 422
    )
    evidence = base64.b64encode(b"call log").decode()
    appeal = client.post(
        f"{base}/appeal",
        {
            "text": "已按规定告知",
            "evidence_name": "log.txt",
            "evidence_type": "text/plain",
            "evidence_base64": evidence,
        },
        content_type="application/json",
        **bearer(wang),
    )
    assert appeal.status_code == 200 and appeal.json()["appeal"] == "pending"
    assert (
        client.post(
            f"{base}/appeal",
            {"text": "x", "evidence_base64": "@@"},
            content_type="application/json",
            **bearer(wang),
        ).status_code
        == 422
    )
    rejected = client.post(
        f"{base}/decide", {"upheld": False, "note": "证据不足"}, content_type="application/json", **bearer(li)
    )
    assert rejected.json()["appeal"] == "rejected"
    for step, body in (
        ("verify", {"finding": "true", "note": "属实"}),
        ("callback", {"note": "已回访"}),
        ("rectify", {"note": "已培训"}),
    ):
        answer = client.post(f"{base}/{step}", body, content_type="application/json", **bearer(li))
        assert answer.status_code == 200, answer.content
    assert answer.json()["step"] == "rerate"
    link = client.get(f"/api/v1/ratings/tickets/{rated['bad'].pk}/link?purpose=rerate", **bearer(li)).json()
    page = client.get(link["path"])
    assert page.status_code == 200 and "邀请您再次评价" in page.content.decode()
    assert client.post(link["path"], {"level": "5", "comment": "好多了"}).status_code == 302
    assert Case.objects.get(pk=case_id).step == Step.CLOSED
    assert Rating.objects.get(ticket=rated["bad"]).re_level == 5


def test_openapi_describes_the_ratings_endpoints(client: Client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/ratings/summary", "/api/v1/ratings/cases", "/api/v1/ratings/tickets/{ticket_id}"):
        assert path in paths
    assert "requestBody" in paths["/api/v1/ratings/cases/{case_id}/verify"]["post"]


def test_phone_panel_form_then_thanks(client: Client, city: Hall, clerk_wang: Any) -> None:
    waiting, _ = __import__("govhall.queueing.services", fromlist=["x"]).issue_ticket(city, MEDICAL)
    assert "rating-panel" not in client.get(f"/t/{waiting.pk}").content.decode()
    ticket = served(city, "1", clerk_wang)
    page = client.get(f"/t/{ticket.pk}").content.decode()
    assert "请为本次服务评价" in page and "非常不满意" in page
    refused = client.post(f"/ratings/tickets/{ticket.pk}/rate", {"level": "7"})
    assert refused.status_code == 422 and not Rating.objects.exists()
    sent = client.post(
        f"/ratings/tickets/{ticket.pk}/rate", {"level": "3", "tags": ["environment"]}, HTTP_HX_REQUEST="true"
    )
    assert "感谢您的评价" in sent.content.decode() and "基本满意" in sent.content.decode()
    page = client.get(f"/t/{ticket.pk}").content.decode()
    assert "感谢您的评价" in page and "请为本次服务评价" not in page


def test_rating_pad_offers_the_last_finished_ticket(client: Client, city: Hall, clerk_wang: Any) -> None:
    assert "办结后请在此评价" in client.get("/halls/city/windows/1/rate").content.decode()
    ticket = served(city, "1", clerk_wang)
    page = client.get("/halls/city/windows/1/rate").content.decode()
    assert ticket.number in page and "<title>" in page
    assert ticket.number not in client.get("/halls/city/windows/2/rate").content.decode()
    wrong = client.post("/halls/city/windows/2/rate", {"ticket": ticket.pk, "level": "5"})
    assert wrong.status_code == 409 and not Rating.objects.exists()
    done = client.post(
        "/halls/city/windows/1/rate", {"ticket": ticket.pk, "level": "5"}, HTTP_HX_REQUEST="true"
    )
    assert "感谢您的评价" in done.content.decode()
    assert Rating.objects.get().channel == "pad"
    assert ticket.number not in client.get("/halls/city/windows/1/rate/panel").content.decode()
    assert client.get("/halls/city/windows/99/rate").status_code == 404


def test_sms_link_page(client: Client, city: Hall, clerk_wang: Any) -> None:
    ticket = served(city, "1", clerk_wang)
    token = services.link_token(ticket.pk)
    page = client.get(f"/r/{token}")
    assert page.status_code == 200 and ticket.number in page.content.decode()
    assert client.get(f"/r/{token}x").status_code == 404
    assert client.post(f"/r/{token}", {"level": "4"}).status_code == 302
    assert Rating.objects.get().channel == "sms"
    assert "感谢您的评价" in client.get(f"/r/{token}").content.decode()


def test_manage_pages_scope(
    client: Client, rated: dict[str, Any], manager_li: Any, town_manager_zhou: Any
) -> None:
    assert client.get("/manage/ratings/").status_code == 302
    case = Case.objects.get(rating__ticket=rated["bad"])
    client.login(username="clerk_chen", password=PASSWORD)
    page = client.get("/manage/ratings/").content.decode()
    assert "我的评价" in page and rated["chen"].number in page and "没有未办结的差评工单" in page
    assert client.get(f"/manage/ratings/cases/{case.pk}").status_code == 404
    client.login(username="clerk_wang", password=PASSWORD)
    own = client.get(f"/manage/ratings/cases/{case.pk}").content.decode()
    assert "申诉" in own and "form-verify" not in own
    client.login(username="manager_zhou", password=PASSWORD)
    assert client.get(f"/manage/ratings/cases/{case.pk}").status_code == 404
    client.login(username="manager_li", password=PASSWORD)
    page = client.get("/manage/ratings/").content.decode()
    assert f"#{case.pk}" in page and "按工作人员" in page and "66.7%" in page
    assert (
        client.post(
            f"/manage/ratings/cases/{case.pk}/verify", {"finding": "true", "note": "属实"}
        ).status_code
        == 302
    )
    assert Case.objects.get(pk=case.pk).step == Step.CALLBACK
    client.post(f"/manage/ratings/cases/{case.pk}/rectify", {"note": "早了"}, follow=True)
    assert Case.objects.get(pk=case.pk).step == Step.CALLBACK  # refused with a message, nothing changed


def test_hall_settings_form(client: Client, city: Hall, manager_li: Any, clerk_wang: Any) -> None:
    from govhall.ratings.models import HallSettings

    client.login(username="clerk_wang", password=PASSWORD)
    assert client.post("/manage/ratings/settings/city", {"rerate_days": "5"}).status_code == 403
    client.login(username="manager_li", password=PASSWORD)
    assert "settings-form" in client.get("/manage/ratings/").content.decode()
    client.post(
        "/manage/ratings/settings/city",
        {"default_after_days": "7", "workdays": "2026-10-10", "rerate_days": "5"},
    )
    conf = HallSettings.objects.get(hall=city)
    assert (conf.default_after_days, conf.workdays, conf.rerate_days) == (7, ["2026-10-10"], 5)
    bad = client.post(
        "/manage/ratings/settings/city",
        {"default_after_days": "", "workdays": "10/10/2026", "rerate_days": "5"},
        follow=True,
    )
    assert "不是 YYYY-MM-DD" in bad.content.decode()
    assert HallSettings.objects.get(hall=city).default_after_days == 7  # refused whole
    assert client.post("/manage/ratings/settings/town", {"rerate_days": "5"}).status_code == 404
    # a make-up Saturday is a working day for the deadlines
    assert services.calendar_of(city).is_working(__import__("datetime").date(2026, 10, 10))


def test_the_phone_panel_appears_when_the_ticket_is_finished(
    client: Client, city: Hall, clerk_wang: Any
) -> None:
    from govhall.queueing import services as queue
    from govhall.testing import window

    ticket, _ = queue.issue_ticket(city, MEDICAL)
    assert "rating-panel" not in client.get(f"/t/{ticket.pk}").content.decode()  # waiting: nothing
    queue.call_next(window(city, "2"), actor=clerk_wang)
    queue.perform(ticket.pk, "start", clerk_wang)
    watching = client.get(f"/t/{ticket.pk}").content.decode()
    assert f'hx-get="/ratings/tickets/{ticket.pk}/panel"' in watching and "请为本次服务评价" not in watching
    queue.perform(ticket.pk, "finish", clerk_wang)
    assert "请为本次服务评价" in client.get(f"/ratings/tickets/{ticket.pk}/panel").content.decode()


def test_public_rating_is_rate_limited_per_address(
    client: Client, city: Hall, clerk_wang: Any, settings: Any
) -> None:
    settings.GOVHALL = {**settings.GOVHALL, "RATE_LIMIT_PER_MINUTE": 2, "RATE_LIMIT_LOOPBACK": True}
    ticket = served(city, "1", clerk_wang)
    url = f"/api/v1/ratings/tickets/{ticket.pk}"
    for _ in range(2):
        assert client.post(url, {"level": 9}, content_type="application/json").status_code == 422
    limited = client.post(url, {"level": 5}, content_type="application/json")
    assert limited.status_code == 429 and "too many" in limited.json()["detail"]
    assert not Rating.objects.exists()
