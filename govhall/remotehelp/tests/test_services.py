"""The remote help flow through the services and the API, and who may see what."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from govhall.halls.models import Hall, ServicePoint
from govhall.queueing import services as queue
from govhall.queueing.errors import Conflict, Forbidden, Unprocessable
from govhall.queueing.models import Ticket, TicketEvent
from govhall.remotehelp import services
from govhall.remotehelp.models import Material, RemoteSession, SessionEvent
from govhall.remotehelp.tests.conftest import HUKOU, OTHER, PASSWORD, person
from govhall.testing import window

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%fake scan\n"


def opened(point: ServicePoint, city: Hall, assistant: Any, clerk: Any) -> RemoteSession:
    session, created = services.take_ticket(point, HUKOU, "city", assistant)
    assert created
    called = queue.call_next(window(city, "9"), actor=clerk)
    assert called is not None and called.pk == session.ticket_id
    return services.accept(session, window(city, "9"), clerk)


def test_the_whole_flow_is_in_the_history(point, city, assistant_chen, clerk_wang) -> None:
    session, _ = services.take_ticket(point, HUKOU, "city", assistant_chen)
    ticket = Ticket.objects.get(pk=session.ticket_id)
    assert (ticket.channel, ticket.status, ticket.zone.code, ticket.hall.code) == (
        "remote",
        "waiting",
        "O",
        "city",
    )
    assert session.number == ticket.number == "O001"
    # an ordinary ticket: window 1 (zone A) never sees it, window 9 (zone O) calls it
    assert queue.call_next(window(city, "1"), actor=clerk_wang) is None
    with pytest.raises(Conflict):  # not called yet
        services.accept(session, window(city, "9"), clerk_wang)
    queue.call_next(window(city, "9"), actor=clerk_wang)
    session = services.accept(session, window(city, "9"), clerk_wang)
    assert session.status == "open" and session.staff == clerk_wang
    assert Ticket.objects.get(pk=ticket.pk).status == "serving"
    services.add_material(session, assistant_chen, "户口簿.png", PNG)
    services.chat(session, clerk_wang, "请再拍一下户口簿首页")
    services.chat(session, assistant_chen, "好的")
    services.signal(session, "window", {"kind": "offer", "sdp": "v=0"})
    session = services.finish(session, clerk_wang, "done", "已受理")
    assert (session.status, session.outcome, session.note) == ("closed", "done", "已受理")
    assert session.closed_at is not None and session.accepted_at is not None
    ticket.refresh_from_db()
    assert ticket.status == "served"
    kinds = [e.kind for e in services.history(session)]
    assert kinds == ["created", "accepted", "material", "chat", "chat", "closed"]
    assert [e.action for e in TicketEvent.objects.filter(ticket=ticket)] == [
        "issue",
        "call",
        "start",
        "finish",
    ]


def test_only_enabled_matters_and_own_or_upper_halls(point, city, assistant_chen) -> None:
    with pytest.raises(Unprocessable):
        services.take_ticket(point, OTHER, "city", assistant_chen)
    with pytest.raises(Unprocessable):
        services.take_ticket(point, HUKOU, "other", assistant_chen)
    session, _ = services.take_ticket(point, HUKOU, "town", assistant_chen)
    assert session.hall.code == "town"
    assert [h.code for h in services.target_halls(point)] == ["town", "city"]


def test_strangers_may_not_take_join_or_see(point, city, assistant_chen, clerk_wang, clerk_zhou) -> None:
    with pytest.raises(Forbidden):
        services.take_ticket(point, HUKOU, "city", clerk_zhou)
    with pytest.raises(Forbidden):  # city staff are not the point's assistants
        services.take_ticket(point, HUKOU, "city", clerk_wang)
    session = opened(point, city, assistant_chen, clerk_wang)
    assert services.side_of(clerk_zhou, session) is None
    assert services.side_of(assistant_chen, session) == "point"
    assert services.side_of(clerk_wang, session) == "window"
    with pytest.raises(Forbidden):
        services.chat(session, clerk_zhou, "hi")
    with pytest.raises(Forbidden):  # the window does not upload for the point
        services.add_material(session, clerk_wang, "x.png", PNG)
    with pytest.raises(Forbidden):
        services.finish(session, assistant_chen, "done")
    other_clerk = person("clerk_qian", "city")[0]
    assert services.side_of(other_clerk, session) is None  # not the accepting staff
    with pytest.raises(Conflict):
        services.accept(session, window(city, "9"), other_clerk)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "文件为空"),
        (b"MZ\x90\x00 not an image", "只接受"),
        (b"<html><script>alert(1)</script>", "只接受"),
        (b"\xff\xd8\xff" + b"\x00" * (services.MAX_MATERIAL_BYTES), "文件过大"),
    ],
)
def test_materials_are_checked_for_type_and_size(
    point, city, assistant_chen, clerk_wang, data, reason
) -> None:
    session = opened(point, city, assistant_chen, clerk_wang)
    with pytest.raises(Unprocessable, match=reason):
        services.add_material(session, assistant_chen, "x.png", data)
    assert not Material.objects.exists()
    assert not SessionEvent.objects.filter(kind="material").exists()


def test_material_kind_comes_from_the_bytes(point, city, assistant_chen, clerk_wang) -> None:
    session = opened(point, city, assistant_chen, clerk_wang)
    material = services.add_material(session, assistant_chen, "../../etc/scan.png", PDF)
    assert material.content_type == "application/pdf"
    assert "/" not in material.name
    assert bytes(material.data) == PDF


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=64))
def test_sniff_accepts_only_known_signatures(data: bytes) -> None:
    kind = services.sniff(data)
    assert (kind is not None) == any(data.startswith(m) for m, _ in services.SIGNATURES)


def test_cancel_before_accept(point, city, assistant_chen) -> None:
    session, _ = services.take_ticket(point, HUKOU, "city", assistant_chen)
    session = services.cancel(session, assistant_chen)
    assert (session.status, session.outcome) == ("closed", "cancelled")
    assert Ticket.objects.get(pk=session.ticket_id).status == "cancelled"
    with pytest.raises(Conflict):
        services.chat(session, assistant_chen, "还在吗")


# --- API and pages --------------------------------------------------------------------------


def login(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.get_username(), password=PASSWORD)
    return client


def test_api_flow_and_access(point, city, assistant_chen, clerk_wang, clerk_zhou) -> None:
    chen, wang, zhou = login(assistant_chen), login(clerk_wang), login(clerk_zhou)
    assert Client().get("/api/v1/remotehelp/points/xiaocun").status_code == 401
    assert zhou.get("/api/v1/remotehelp/points/xiaocun").json()["detail"]
    info = chen.get("/api/v1/remotehelp/points/xiaocun").json()
    assert [m["code"] for m in info["matters"]] == sorted([HUKOU, "330000-YB-0107"])
    assert [t["code"] for t in info["targets"]] == ["town", "city"]
    body = {"matter": HUKOU, "hall": "city"}
    made = chen.post(
        "/api/v1/remotehelp/points/xiaocun/sessions",
        body,
        content_type="application/json",
        headers={"Idempotency-Key": "k1"},
    )
    assert made.status_code == 201, made.content
    again = chen.post(
        "/api/v1/remotehelp/points/xiaocun/sessions",
        body,
        content_type="application/json",
        headers={"Idempotency-Key": "k1"},
    )
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
    sid = made.json()["id"]
    bad = chen.post(
        "/api/v1/remotehelp/points/xiaocun/sessions",
        {"matter": OTHER, "hall": "city"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "未在" in bad.json()["detail"]
    # staff of the target hall see the waiting session; strangers do not
    assert wang.get(f"/api/v1/remotehelp/sessions/{sid}").status_code == 200
    assert zhou.get(f"/api/v1/remotehelp/sessions/{sid}").status_code == 403
    listed = wang.get("/api/v1/remotehelp/halls/city/windows/9/sessions").json()
    assert [s["id"] for s in listed] == [sid]
    early = wang.post(
        f"/api/v1/remotehelp/sessions/{sid}/accept", {"window": "9"}, content_type="application/json"
    )
    assert early.status_code == 409
    queue.call_next(window(city, "9"), actor=clerk_wang)
    accepted = wang.post(
        f"/api/v1/remotehelp/sessions/{sid}/accept", {"window": "9"}, content_type="application/json"
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "open"
    upload = chen.post(f"/api/v1/remotehelp/sessions/{sid}/materials", {"file": _file("scan.pdf", PDF)})
    assert upload.status_code == 201, upload.content
    url = upload.json()["url"]
    rejected = chen.post(f"/api/v1/remotehelp/sessions/{sid}/materials", {"file": _file("x.png", b"GIF89a")})
    assert rejected.status_code == 422
    # materials: the two sides only
    assert wang.get(url).content == PDF
    assert zhou.get(url).status_code == 403 and Client().get(url).status_code == 401
    assert (
        chen.post(
            f"/api/v1/remotehelp/sessions/{sid}/chat", {"text": "材料已上传"}, content_type="application/json"
        ).status_code
        == 201
    )
    assert (
        zhou.post(
            f"/api/v1/remotehelp/sessions/{sid}/chat", {"text": "x"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert (
        chen.post(
            f"/api/v1/remotehelp/sessions/{sid}/finish", {"outcome": "done"}, content_type="application/json"
        ).status_code
        == 403
    )
    done = wang.post(
        f"/api/v1/remotehelp/sessions/{sid}/finish", {"outcome": "done"}, content_type="application/json"
    )
    assert done.status_code == 200
    assert done.json()["ticket_status"] == "served" and done.json()["outcome"] == "done"
    assert [e["kind"] for e in done.json()["events"]] == ["created", "accepted", "material", "chat", "closed"]


def _file(name: str, data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_pages_and_manage(point, city, assistant_chen, clerk_wang, clerk_zhou, manager_li) -> None:
    chen, wang, zhou = login(assistant_chen), login(clerk_wang), login(clerk_zhou)
    assert Client().get("/points/xiaocun/help").status_code == 302
    assert zhou.get("/points/xiaocun/help").status_code == 403
    page = chen.get("/points/xiaocun/help")
    assert page.status_code == 200 and "远程取号" in page.content.decode()
    taken = chen.post("/points/xiaocun/help", {"matter": HUKOU, "hall": "city", "key": "p1"})
    assert taken.status_code == 302
    session = RemoteSession.objects.get()
    assert taken["Location"] == f"/remotehelp/sessions/{session.pk}"
    assert chen.post("/points/xiaocun/help", {"matter": OTHER, "hall": "city"}).status_code == 422
    assert zhou.get(f"/remotehelp/sessions/{session.pk}").status_code == 403
    assert "等待网上窗口" in chen.get(f"/remotehelp/sessions/{session.pk}").content.decode()
    remote = wang.get("/halls/city/windows/9/remote")
    assert session.number in remote.content.decode()
    assert wang.post("/halls/city/windows/9/remote", {"session": session.pk}).status_code == 409
    queue.call_next(window(city, "9"), actor=clerk_wang)
    assert wang.post("/halls/city/windows/9/remote", {"session": session.pk})["Location"].endswith(session.pk)
    assert "办结并结束会话" in wang.get(f"/remotehelp/sessions/{session.pk}").content.decode()
    wang.post(f"/remotehelp/sessions/{session.pk}/finish", {"outcome": "referred", "note": "需本人到场"})
    session.refresh_from_db()
    assert (session.status, session.outcome) == ("closed", "referred")
    assert wang.get("/manage/remotehelp/").status_code == 403
    manage = login(manager_li).get("/manage/remotehelp/")
    text = manage.content.decode()
    assert manage.status_code == 200 and "远程帮办网络" in text
    assert "小村村代办点" in text  # the city centre's manager sees the points of its towns
    counts = login(manager_li).get("/api/v1/remotehelp/counts").json()
    assert len(counts["months"]) == 6
    assert [(p["code"], p["total"], p["done"]) for p in counts["points"]] == [("xiaocun", 1, 0)]
    other_manager = login(person("manager_sun", "other", "manager")[0])
    assert other_manager.get("/api/v1/remotehelp/counts").json()["points"] == []
    assert "小村村代办点" not in other_manager.get("/manage/remotehelp/").content.decode()
    setting = login(manager_li).post(
        "/manage/remotehelp/points/xiaocun", {"matters": f"{HUKOU}\n330000-XX-404"}
    )
    assert setting.status_code == 422 and services.enabled_matters(point) == sorted([HUKOU, "330000-YB-0107"])
    login(manager_li).post("/manage/remotehelp/points/xiaocun", {"matters": HUKOU})
    assert services.enabled_matters(point) == [HUKOU]


def test_demo_enables_the_matters_of_the_point_s_centres(point, city) -> None:
    import random

    from govhall import clock
    from govhall.remotehelp import demo

    services.set_matters(point, [])
    demo.load(random.Random(1), clock.now())
    demo.load(random.Random(1), clock.now())  # idempotent
    # town handles HUKOU, the city HUKOU and MEDICAL: both, once each
    assert services.enabled_matters(point) == sorted([HUKOU, "330000-YB-0107"])


def test_signals_of_closed_sessions_are_pruned(point, city, assistant_chen, clerk_wang, time_machine) -> None:
    from govhall import clock
    from govhall.remotehelp import tasks

    time_machine.move_to(clock.now(), tick=False)
    session = opened(point, city, assistant_chen, clerk_wang)
    services.signal(session, "window", {"kind": "offer"})
    services.chat(session, clerk_wang, "您好")
    assert tasks.prune(clock.now()) == 0  # still open
    services.finish(session, clerk_wang, "done")
    time_machine.shift(7200)
    assert tasks.prune(clock.now()) == 1
    assert [e.kind for e in services.history(session)] == ["created", "accepted", "chat", "closed"]


def test_every_endpoint_is_in_openapi_with_schemas(db) -> None:
    spec = Client().get("/api/v1/openapi.json").json()
    ours = {path: ops for path, ops in spec["paths"].items() if path.startswith("/api/v1/remotehelp/")}
    assert len(ours) == 11
    for ops in ours.values():
        for op in ops.values():
            assert "200" in op["responses"] or "201" in op["responses"]
            assert all("content" in r for r in op["responses"].values())
