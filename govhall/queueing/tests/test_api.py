"""The ticket HTTP API of CONTRACTS section 5, as an outside client sees it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from govhall.accounts.services import create_token
from govhall.queueing.models import Ticket
from govhall.testing import build_hall

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


class Api:
    def __init__(self, token: str | None = None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        data = json.dumps(body) if body is not None else ""
        return self.client.post(
            f"/api/v1{path}", data=data, content_type="application/json", headers={**self.headers, **headers}
        )

    def get(self, path: str) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.headers)


@pytest.fixture
def city() -> Any:
    build_hall("town", zones=("A",))
    return build_hall("city", zones=("A", "B"), windows={"1": ["A"], "2": ["A", "B"]})


@pytest.fixture
def citizen_li(city: Any) -> Api:
    return Api()


@pytest.fixture
def staff_li(city: Any) -> Api:
    return Api(create_token("staff_li", hall_code="city"))


@pytest.fixture
def staff_of_town(city: Any) -> Api:
    return Api(create_token("staff_zhou", hall_code="town"))


def take(api: Api, zone: str = "A", **extra: Any) -> dict[str, Any]:
    response = api.post("/halls/city/tickets", {"matter": "M-1", "zone": zone, **extra})
    assert response.status_code == 201, response.content
    return response.json()  # type: ignore[no-any-return]


def test_issue_returns_a_waiting_ticket_with_position_and_wait(citizen_li: Api) -> None:
    first = take(citizen_li)
    second = take(citizen_li, channel="remote")
    assert (first["number"], second["number"]) == ("A001", "A002")
    assert second["status"] == "waiting" and second["position"] == 1
    assert second["estimated_wait_seconds"] >= 0
    for key in (
        "id",
        "hall",
        "zone",
        "matter",
        "priority",
        "channel",
        "issued_at",
        "called_at",
        "finished_at",
        "window",
    ):
        assert key in second
    assert "+08:00" in second["issued_at"]


def test_idempotency_key_resend_returns_the_same_ticket(citizen_li: Api) -> None:
    body = {"matter": "M-1", "zone": "A"}
    first = citizen_li.post("/halls/city/tickets", body, **{"Idempotency-Key": "abc"})
    again = citizen_li.post("/halls/city/tickets", body, **{"Idempotency-Key": "abc"})
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert Ticket.objects.count() == 1


def test_call_next_needs_a_token_of_this_hall(citizen_li: Api, staff_li: Api, staff_of_town: Api) -> None:
    take(citizen_li)
    assert citizen_li.post("/halls/city/windows/1/call-next").status_code == 401
    assert staff_of_town.post("/halls/city/windows/1/call-next").status_code == 403
    assert Api("gh_not_a_token").post("/halls/city/windows/1/call-next").status_code == 401
    called = staff_li.post("/halls/city/windows/1/call-next")
    assert (
        called.status_code == 200 and called.json()["status"] == "called" and called.json()["window"] == "1"
    )
    busy = staff_li.post("/halls/city/windows/1/call-next")
    assert busy.status_code == 409 and "finish it first" in busy.json()["detail"]
    assert staff_li.post("/halls/city/windows/2/call-next").status_code == 204


def test_full_life_cycle_over_http(citizen_li: Api, staff_li: Api, staff_of_town: Api) -> None:
    ticket = take(citizen_li)
    staff_li.post("/halls/city/windows/1/call-next")
    tid = ticket["id"]
    assert staff_of_town.post(f"/tickets/{tid}/start").status_code == 403
    assert citizen_li.post(f"/tickets/{tid}/start").status_code == 401
    assert staff_li.post(f"/tickets/{tid}/recall").json()["status"] == "called"
    assert staff_li.post(f"/tickets/{tid}/start").json()["status"] == "serving"
    conflict = staff_li.post(f"/tickets/{tid}/no-show")
    assert conflict.status_code == 409 and "serving" in conflict.json()["detail"]
    moved = staff_li.post(f"/tickets/{tid}/transfer", {"zone": "B"})
    assert moved.status_code == 200 and moved.json()["zone"] == "B" and moved.json()["number"] == "A001"
    called = staff_li.post("/halls/city/windows/2/call-next").json()
    assert called["id"] == tid
    staff_li.post(f"/tickets/{tid}/start")
    assert staff_li.post(f"/tickets/{tid}/hold").json()["status"] == "on_hold"
    assert staff_li.post(f"/tickets/{tid}/resume").json()["status"] == "serving"
    done = staff_li.post(f"/tickets/{tid}/finish").json()
    assert done["status"] == "served" and done["finished_at"] and done["position"] is None
    assert citizen_li.get(f"/tickets/{tid}").json()["status"] == "served"


def test_status_and_halls_show_live_load(citizen_li: Api, staff_li: Api) -> None:
    for _ in range(3):
        take(citizen_li)
    staff_li.post("/halls/city/windows/1/call-next")
    status = citizen_li.get("/halls/city/status").json()
    zone_a = next(z for z in status["zones"] if z["code"] == "A")
    assert zone_a["waiting"] == 2 and zone_a["alert"] == "none" and zone_a["longest_wait_seconds"] >= 0
    window_1 = next(w for w in status["windows"] if w["code"] == "1")
    assert window_1["state"] == "open" and window_1["ticket"]["number"] == "A001"
    halls = {h["code"]: h for h in citizen_li.get("/halls").json()}
    assert halls["city"]["waiting"] == 2 and halls["town"]["waiting"] == 0
    assert {"code", "name", "level", "lat", "lon", "waiting", "estimated_wait_seconds"} <= set(halls["city"])


def test_zone_alert_follows_the_thresholds(citizen_li: Api) -> None:
    for _ in range(3):
        take(citizen_li)
    assert citizen_li.get("/halls/city/status").json()["zones"][0]["alert"] == "yellow"
    for _ in range(2):
        take(citizen_li)
    assert citizen_li.get("/halls/city/status").json()["zones"][0]["alert"] == "red"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"matter": "M-1", "zone": "Q"}, 422),
        ({"matter": "M-1"}, 422),
        ({"zone": "A"}, 422),
        ({"matter": "M-1", "zone": "A", "channel": "fax"}, 422),
        ({"matter": "M-1", "zone": "A", "priority": 2}, 422),
        ("not json", 400),
        ([1, 2], 422),
    ],
)
def test_bad_input_gets_a_4xx_with_a_reason_and_changes_nothing(
    citizen_li: Api, body: Any, status: int
) -> None:
    response = citizen_li.client.post(
        "/api/v1/halls/city/tickets",
        data=body if isinstance(body, str) else json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code == status
    assert response.json()["detail"]
    assert Ticket.objects.count() == 0


def test_unknown_things_are_404(citizen_li: Api, staff_li: Api) -> None:
    assert citizen_li.post("/halls/nowhere/tickets", {"matter": "M-1"}).status_code == 404
    assert citizen_li.get("/tickets/nope").status_code == 404
    assert citizen_li.get("/halls/nowhere/status").status_code == 404
    assert staff_li.post("/halls/city/windows/99/call-next").status_code == 404
    assert staff_li.post("/tickets/nope/start").status_code == 404
    assert staff_li.post("/tickets/nope/fly").status_code == 404


def test_window_state_changes_need_staff(citizen_li: Api, staff_li: Api) -> None:
    assert citizen_li.post("/halls/city/windows/1/state", {"state": "paused"}).status_code == 401
    paused = staff_li.post("/halls/city/windows/1/state", {"state": "paused"})
    assert paused.status_code == 200 and paused.json()["state"] == "paused"
    take(citizen_li)
    assert staff_li.post("/halls/city/windows/1/call-next").status_code == 409


def test_openapi_describes_every_operation(citizen_li: Api) -> None:
    doc = citizen_li.get("/openapi.json").json()
    paths = doc["paths"]
    for path in (
        "/api/v1/halls/{hall}/tickets",
        "/api/v1/halls/{hall}/windows/{window}/call-next",
        "/api/v1/halls",
        "/api/v1/tickets/{ticket_id}",
        "/api/v1/halls/{hall}/status",
        *(
            f"/api/v1/tickets/{{ticket_id}}/{a}"
            for a in ("start", "finish", "no-show", "recall", "hold", "resume", "cancel", "transfer")
        ),
    ):
        assert path in paths, path
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation.get("responses"), (path, method)
            if method == "post" and path.endswith(("/tickets", "/transfer", "/state")):
                assert "requestBody" in operation, path
