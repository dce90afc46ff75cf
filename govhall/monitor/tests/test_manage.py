"""Alert pages and API: hall scope, acknowledge / resolve with who and when, one-click tidal
window and staff dispatch recorded on the alert, recipients editing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client

from govhall.accounts.services import create_token
from govhall.halls.models import Hall, Window
from govhall.monitor import live
from govhall.monitor.models import Action, Alert, Outbox, Recipient
from govhall.queueing import services as queue
from govhall.realtime.models import HallEvent
from govhall.testing import build_hall

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in the halls


def overdue(hall: Hall, zone: str, count: int) -> None:
    """`count` tickets issued 15½ minutes ago (inside a first cycle's look-back), none called."""
    with time_machine.travel(NOW - dt.timedelta(minutes=15, seconds=30), tick=False) as traveller:
        for _ in range(count):
            queue.issue_ticket(hall, "M-1", zone_code=zone)
            traveller.shift(1)


@pytest.fixture
def city() -> Hall:
    """City hall: A and B; window 1 serves A, 2 serves B, 9 is a tidal window for A (closed)."""
    return build_hall("city", zones=("A", "B"), windows={"1": ["A"], "2": ["B"], "9": ["A"]}, tidal=("9",))


@pytest.fixture
def town() -> Hall:
    return build_hall("town", zones=("A",))


@pytest.fixture
def alerts(city: Hall, town: Hall) -> dict[str, Alert]:
    overdue(city, "A", 3)  # overtime × 3 and yellow (3 waiting) in city A
    overdue(town, "A", 1)
    with time_machine.travel(NOW, tick=False):
        live.evaluate(NOW)
    return {
        "city": Alert.objects.filter(hall=city, kind="overtime").order_by("at").first(),  # type: ignore[dict-item]
        "yellow": Alert.objects.get(hall=city, kind="yellow"),
        "town": Alert.objects.get(hall=town),
    }


def user(name: str, hall: str | None, role: str) -> Any:
    token = create_token(name, hall_code=hall, role=role)
    account = get_user_model().objects.get(username=name)
    account.token = token  # type: ignore[attr-defined]
    return account


@pytest.fixture
def manager_wang(city: Hall) -> Any:
    return user("manager_wang", "city", "manager")


@pytest.fixture
def manager_zhou(town: Hall) -> Any:
    return user("manager_zhou", "town", "manager")


@pytest.fixture
def clerk_li(city: Hall) -> Any:
    return user("clerk_li", "city", "staff")


@pytest.fixture
def admin_chen(city: Hall) -> Any:
    return user("admin_chen", None, "admin")


def api(client: Client, who: Any, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {who.token}"}
    if method == "get":
        return client.get(f"/api/v1/monitor{path}", **headers)
    return client.post(f"/api/v1/monitor{path}", body or {}, content_type="application/json", **headers)


# --- API ---------------------------------------------------------------------------------------


def test_api_lists_alerts_of_the_callers_hall_with_filters(
    client: Client, alerts: dict[str, Alert], manager_wang: Any, admin_chen: Any, clerk_li: Any
) -> None:
    mine = api(client, manager_wang, "get", "/alerts").json()["alerts"]
    assert {a["hall"] for a in mine} == {"city"} and len(mine) == 4
    assert {a["hall"] for a in api(client, admin_chen, "get", "/alerts").json()["alerts"]} == {"city", "town"}
    yellow = api(client, clerk_li, "get", "/alerts?kind=yellow").json()["alerts"]
    assert [(a["kind"], a["waiting"], a["threshold"], a["kind_label"]) for a in yellow] == [
        ("yellow", 3, 3, "黄色预警")
    ]
    assert api(client, manager_wang, "get", "/alerts?hall=town").status_code == 403
    assert api(client, admin_chen, "get", "/alerts?hall=town&zone=A").json()["alerts"][0]["hall"] == "town"
    for bad in ("kind=purple", "state=maybe", "since=yesterday", "limit=0"):
        response = api(client, admin_chen, "get", f"/alerts?{bad}")
        assert response.status_code == 422 and "detail" in response.json(), bad
    assert client.get("/api/v1/monitor/alerts").status_code == 401


def test_api_acknowledge_and_resolve_record_who_and_when_with_4xx_reasons(
    client: Client, alerts: dict[str, Alert], manager_wang: Any, clerk_li: Any
) -> None:
    alert = alerts["city"]
    later = NOW + dt.timedelta(minutes=2)
    with time_machine.travel(later, tick=False):
        assert api(client, clerk_li, "post", f"/alerts/{alert.pk}/ack").status_code == 403  # staff: read only
        assert api(client, manager_wang, "post", f"/alerts/{alerts['town'].pk}/ack").status_code == 403
        assert api(client, manager_wang, "post", "/alerts/999999/ack").status_code == 404
        seen = api(client, manager_wang, "post", f"/alerts/{alert.pk}/ack", {"note": "在处理"})
        assert seen.status_code == 200
        assert (seen.json()["acknowledged_by"], seen.json()["acknowledged_at"]) == (
            "manager_wang",
            "2026-03-02T10:02:00+08:00",
        )
        again = api(client, manager_wang, "post", f"/alerts/{alert.pk}/ack")
        assert again.status_code == 409 and "already" in again.json()["detail"]
        done = api(client, manager_wang, "post", f"/alerts/{alert.pk}/resolve", {"note": "已叫号"}).json()
        assert (done["resolved_by"], done["note"]) == ("manager_wang", "已叫号")
    assert api(client, manager_wang, "post", f"/alerts/{alert.pk}/resolve").status_code == 409
    open_ids = {a["id"] for a in api(client, manager_wang, "get", "/alerts").json()["alerts"]}
    assert alert.pk not in open_ids
    resolved = api(client, manager_wang, "get", "/alerts?state=resolved").json()["alerts"]
    assert [a["id"] for a in resolved] == [alert.pk]


def test_openapi_documents_the_monitor_endpoints(client: Client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/alerts",
        "/alerts/{alert_id}/ack",
        "/alerts/{alert_id}/resolve",
        "/alerts/{alert_id}/tidal",
    ):
        operations = paths[f"/api/v1/monitor{path}"]
        for operation in operations.values():
            assert {"200", "403", "404"} <= set(operation["responses"])


# --- one-click actions -------------------------------------------------------------------------


def test_recommendation_then_one_click_tidal_window_reaches_the_queue_and_the_screens(
    client: Client, alerts: dict[str, Alert], manager_wang: Any, city: Hall
) -> None:
    alert = alerts["yellow"]
    advice = api(client, manager_wang, "get", f"/alerts/{alert.pk}/recommendation").json()
    assert advice["waiting"] == 3 and advice["open_windows"] == 1
    # 3 waiting, 300 s each by default: 900 s with one window, 450 s once the tidal window opens
    assert advice["estimated_wait_seconds"] == 900
    assert [(w["code"], w["tidal"], w["predicted_wait_seconds"]) for w in advice["windows_to_open"]] == [
        ("9", True, 450)
    ]
    wrong = api(client, manager_wang, "post", f"/alerts/{alert.pk}/tidal", {"window": "2"})
    assert wrong.status_code == 422 and "does not serve" in wrong.json()["detail"]
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        opened = api(
            client, manager_wang, "post", f"/alerts/{alert.pk}/tidal", {"window": "9", "note": "潮汐"}
        )
    assert opened.status_code == 200
    (action,) = opened.json()["actions"]
    assert (action["kind"], action["window"], action["actor"], action["predicted_wait_seconds"]) == (
        "tidal_open",
        "9号窗口",
        "manager_wang",
        450,
    )
    tidal = Window.objects.get(hall=city, code="9")
    assert tidal.state == "open"
    assert HallEvent.objects.filter(hall=city, type="window.changed").count() == 1  # screens hear of it
    assert HallEvent.objects.filter(hall=city, type="alert.action").count() == 1
    called = queue.call_next(tidal)  # the queue uses it at once
    assert called is not None and called.zone.code == "A"
    assert api(client, manager_wang, "post", f"/alerts/{alert.pk}/tidal", {"window": "9"}).status_code == 409
    queue.perform(called.id, "start")
    queue.perform(called.id, "finish")
    closed = api(
        client, manager_wang, "post", f"/alerts/{alert.pk}/tidal", {"window": "9", "action": "close"}
    )
    assert [a["kind"] for a in closed.json()["actions"]] == ["tidal_open", "tidal_close"]
    assert Window.objects.get(pk=tidal.pk).state == "closed"


def test_dispatch_records_who_went_where_and_notifies_the_contacts_through_the_outbox(
    client: Client, alerts: dict[str, Alert], manager_wang: Any, city: Hall
) -> None:
    volunteer_desk = Recipient.objects.create(
        hall=city, name="志愿者组长赵六", channel="sms", address="13800001111", kinds=["dispatch"]
    )
    alert = alerts["yellow"]
    bad = api(client, manager_wang, "post", f"/alerts/{alert.pk}/dispatch", {"people": [], "contacts": []})
    assert bad.status_code == 422
    assert Action.objects.count() == 0
    body = {"people": ["窗口人员钱七"], "contacts": [volunteer_desk.pk], "from_zone": "B", "note": "支援A区"}
    response = api(client, manager_wang, "post", f"/alerts/{alert.pk}/dispatch", body)
    assert response.status_code == 200
    (action,) = response.json()["actions"]
    assert (action["people"], action["from_zone"], action["zone"]) == (
        ["窗口人员钱七", "志愿者组长赵六"],
        "B",
        "A",
    )
    (notice,) = Outbox.objects.filter(action__isnull=False)
    assert (notice.recipient, notice.payload["event"]) == (volunteer_desk, "alert.dispatch")
    from govhall.monitor.notifiers import text_of

    assert text_of(notice.payload).startswith("【人员调派】窗口人员钱七、志愿者组长赵六 请从 B 区前往")
    # a dispatch-only contact never hears of alerts themselves
    assert not Outbox.objects.filter(recipient=volunteer_desk, action__isnull=True).exists()


# --- pages -------------------------------------------------------------------------------------


def test_manage_page_lists_open_alerts_of_the_managers_hall_only(
    client: Client, alerts: dict[str, Alert], manager_wang: Any, manager_zhou: Any, admin_chen: Any
) -> None:
    client.force_login(manager_wang)
    page = client.get("/manage/monitor/")
    html = page.content.decode()
    assert page.status_code == 200 and "<title>实时监控" in html and "实时监控" in html
    assert 'data-hall="city"' in html and 'data-hall="town"' not in html
    assert html.count("data-alert=") == 4
    assert client.get(f"/manage/monitor/alerts/{alerts['town'].pk}/").status_code == 404
    client.force_login(admin_chen)
    assert client.get("/manage/monitor/live/").content.decode().count("data-alert=") == 5
    client.force_login(get_user_model().objects.create(username="citizen_li"))
    assert client.get("/manage/monitor/").status_code == 403
    client.logout()
    assert client.get("/manage/monitor/").status_code == 302


def test_manage_buttons_acknowledge_resolve_and_open_the_tidal_window(
    client: Client, alerts: dict[str, Alert], manager_wang: Any, city: Hall
) -> None:
    client.force_login(manager_wang)
    alert = alerts["yellow"]
    assert (
        client.post(f"/manage/monitor/alerts/{alert.pk}/ack/", {"next": "/manage/monitor/"}).status_code
        == 302
    )
    alert.refresh_from_db()
    assert alert.acknowledged_by == manager_wang and alert.acknowledged_at is not None
    detail = client.get(f"/manage/monitor/alerts/{alert.pk}/").content.decode()
    assert "一键开启" in detail and 'data-window="9"' in detail
    client.post(f"/manage/monitor/alerts/{alert.pk}/tidal/", {"window": "9", "action": "open"})
    assert Window.objects.get(hall=city, code="9").state == "open"
    page = client.get(f"/manage/monitor/alerts/{alert.pk}/").content.decode()
    assert "开启潮汐窗口" in page and "manager_wang" in page
    again = client.post(f"/manage/monitor/alerts/{alert.pk}/tidal/", {"window": "9"}, follow=True)
    assert "未执行" in again.content.decode()  # open already: a clear message, nothing changed
    assert Action.objects.filter(alert=alert).count() == 1
    client.post(f"/manage/monitor/alerts/{alert.pk}/resolve/", {"note": "已开潮汐窗口"})
    assert Alert.objects.get(pk=alert.pk).resolved_by == manager_wang


def test_history_filters_and_refuses_bad_dates(
    client: Client, alerts: dict[str, Alert], admin_chen: Any
) -> None:
    client.force_login(admin_chen)
    html = client.get("/manage/monitor/history/?kind=yellow").content.decode()
    assert html.count("黄色预警</span>") == 1
    html = client.get("/manage/monitor/history/?hall=town").content.decode()
    assert "town政务服务中心" in html and "city政务服务中心</td>" not in html
    assert "筛选条件有误" in client.get("/manage/monitor/history/?since=2026-13-40").content.decode()


def test_recipients_are_added_validated_masked_and_kept_in_the_managers_hall(
    client: Client, city: Hall, town: Hall, manager_wang: Any
) -> None:
    client.force_login(manager_wang)
    zone_a = city.zones.get(code="A")
    good = {
        "hall": city.pk,
        "zone": zone_a.pk,
        "name": "医保科科长孙八",
        "channel": "sms",
        "address": "13912345678",
        "level": 0,
        "delay_minutes": 0,
    }
    assert client.post("/manage/monitor/recipients/", good).status_code == 302
    html = client.get("/manage/monitor/recipients/").content.decode()
    assert "139****5678" in html and "13912345678" not in html
    for change, field in (
        ({"address": "not-a-phone"}, "地址与通道不符"),
        ({"hall": town.pk}, "hall"),  # another hall: not a choice for this manager
        ({"level": 1, "delay_minutes": 0}, "升级接收人"),
    ):
        response = client.post("/manage/monitor/recipients/", {**good, **change})
        assert response.status_code == 200, change
        assert field in response.content.decode() or "errorlist" in response.content.decode()
    assert Recipient.objects.count() == 1
    recipient = Recipient.objects.get()
    client.post(f"/manage/monitor/recipients/{recipient.pk}/", {"op": "toggle"})
    assert not Recipient.objects.get().active
