"""远程帮办 verbs: take a remote ticket at a point, accept it at an online window, upload
materials, chat, relay WebRTC signalling, finish.

Who is who: the point's assistant is a signed-in staff member of the point's own hall
(`ServicePoint.hall`, the town centre that runs the point); the window side is the staff member of
the target hall who accepted the session. Only these two sides see a session's materials, chat and
signalling; the target hall's staff may see a waiting session in order to accept it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import QuerySet

from govhall import clock
from govhall.accounts.services import can_act
from govhall.catalog.queries import matters_by_code
from govhall.halls.models import Hall, ServicePoint, Window
from govhall.queueing import services as queueing
from govhall.queueing.errors import Conflict, Forbidden, NotFound, Unprocessable
from govhall.queueing.models import Channel, Status, Ticket
from govhall.remotehelp.models import (
    Material,
    Outcome,
    RemoteMatter,
    RemoteSession,
    SessionEvent,
    SessionStatus,
)

MAX_MATERIAL_BYTES = 5 * 1024 * 1024
MAX_MATERIALS = 20
MAX_CHAT = 1000
MAX_SIGNAL = 64 * 1024
# Accepted materials, recognised by their first bytes (the name and the browser's type are not trusted).
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
User = AbstractBaseUser | AnonymousUser


# --- reads ------------------------------------------------------------------------------------


def point_of(code: str) -> ServicePoint:
    point = ServicePoint.objects.select_related("hall").filter(code=code).first()
    if point is None:
        raise NotFound(f"no service point {code!r}")
    return point


def session_of(session_id: str) -> RemoteSession:
    found = (
        RemoteSession.objects.select_related("point__hall", "hall", "window", "staff", "assistant")
        .filter(pk=session_id)
        .first()
    )
    if found is None:
        raise NotFound(f"no remote session {session_id!r}")
    return found


def target_halls(point: ServicePoint) -> list[Hall]:
    """The halls a point may ask for help: its own centre and the centres above it."""
    halls: list[Hall] = []
    hall: Hall | None = point.hall
    while hall is not None and hall not in halls and len(halls) < 5:
        halls.append(hall)
        hall = hall.parent
    return halls


def enabled_matters(point: ServicePoint) -> list[str]:
    return list(RemoteMatter.objects.filter(point=point, enabled=True).values_list("matter_code", flat=True))


def matter_names(codes: list[str] | set[str]) -> dict[str, str]:
    return {code: m.name for code, m in matters_by_code(codes).items()}


def may_assist(user: User, point: ServicePoint) -> bool:
    return can_act(user, point.hall, "staff")


def side_of(user: User, session: RemoteSession) -> str | None:
    """'window' for the accepting staff, 'point' for the point's assistants, else None."""
    if not user.is_authenticated:
        return None
    if session.staff_id is not None and session.staff_id == user.pk:
        return "window"
    if session.assistant_id == user.pk or may_assist(user, session.point):
        return "point"
    return None


def may_view(user: User, session: RemoteSession) -> bool:
    """Participants, and the target hall's staff while the session waits to be accepted."""
    if side_of(user, session):
        return True
    return session.status == SessionStatus.WAITING and can_act(user, session.hall, "staff")


def sessions_for_window(window: Window) -> QuerySet[RemoteSession]:
    """Open remote sessions whose ticket waits for, or is at, this window's zones."""
    zone_ids = list(window.zones.values_list("pk", flat=True))
    ticket_ids = Ticket.objects.filter(
        hall=window.hall, zone_id__in=zone_ids, channel=Channel.REMOTE, status__in=list(OPEN_TICKET)
    ).values_list("pk", flat=True)
    return (
        RemoteSession.objects.select_related("point", "window")
        .filter(ticket_id__in=list(ticket_ids))
        .exclude(status=SessionStatus.CLOSED)
        .order_by("created_at")
    )


OPEN_TICKET = (Status.WAITING, Status.CALLED, Status.SERVING, Status.ON_HOLD)


def ticket_of(session: RemoteSession) -> Ticket:
    return Ticket.objects.select_related("zone", "window").get(pk=session.ticket_id)


def history(session: RemoteSession) -> list[SessionEvent]:
    return list(session.events.exclude(kind=SessionEvent.Kind.SIGNAL).select_related("actor"))


def events_after(session_id: str, last: int, limit: int = 200) -> list[SessionEvent]:
    return list(SessionEvent.objects.filter(session_id=session_id, id__gt=last).order_by("id")[:limit])


def last_event_id(session_id: str) -> int:
    row = SessionEvent.objects.filter(session_id=session_id).order_by("-id").values_list("id", flat=True)
    return int(row[0]) if row else 0


# --- verbs ------------------------------------------------------------------------------------


def _event(
    session: RemoteSession, kind: str, actor: Any, side: str = "", text: str = "", **detail: Any
) -> SessionEvent:
    return SessionEvent.objects.create(
        session=session,
        kind=kind,
        side=side,
        at=clock.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        text=text,
        detail=detail,
    )


def take_ticket(
    point: ServicePoint,
    matter_code: str,
    hall_code: str,
    actor: Any,
    *,
    zone_code: str | None = None,
    idempotency_key: str | None = None,
) -> tuple[RemoteSession, bool]:
    """Take a remote ticket at `hall_code` for the citizen sitting at the point."""
    if not may_assist(actor, point):
        raise Forbidden(f"only staff of {point.hall.name} may take tickets at {point.name}")
    if matter_code not in enabled_matters(point):
        raise Unprocessable(f"事项 {matter_code} 未在{point.name}开通远程帮办")
    hall = next((h for h in target_halls(point) if h.code == hall_code), None)
    if hall is None:
        raise Unprocessable(f"{point.name}不能向大厅 {hall_code!r} 远程取号：只能选本镇或上级中心")
    key = f"remotehelp:{point.pk}:{idempotency_key}" if idempotency_key else None
    ticket, created = queueing.issue_ticket(
        hall, matter_code, zone_code=zone_code, channel=Channel.REMOTE, idempotency_key=key, actor=actor
    )
    existing = RemoteSession.objects.filter(ticket_id=ticket.pk).first()
    if existing is not None:
        return existing, False
    with transaction.atomic():
        session = RemoteSession.objects.create(
            id="r" + secrets.token_hex(8),
            ticket_id=ticket.pk,
            point=point,
            hall=hall,
            matter_code=matter_code,
            number=ticket.number,
            assistant=actor if getattr(actor, "pk", None) else None,
            created_at=ticket.issued_at,
        )
        _event(
            session, SessionEvent.Kind.CREATED, actor, "point", number=ticket.number, zone=ticket.zone.code
        )
    return session, created


def accept(session: RemoteSession, window: Window, actor: Any) -> RemoteSession:
    """The online window's staff take the session: the ticket must have been called to this window
    (it is then started) or be served there already."""
    if not can_act(actor, session.hall, "staff") or window.hall_id != session.hall_id:
        raise Forbidden(f"only staff of {session.hall.name} may accept this session")
    if session.status == SessionStatus.CLOSED:
        raise Conflict("会话已结束 (the session is closed)")
    if session.status == SessionStatus.OPEN:
        if session.staff_id == actor.pk and session.window_id == window.pk:
            return session
        raise Conflict("会话已被其他窗口接入 (another window has accepted it)")
    ticket = ticket_of(session)
    if ticket.window_id != window.pk or ticket.status not in (Status.CALLED, Status.SERVING):
        raise Conflict(f"请先在{window.name}叫号 {ticket.number} (call the ticket to this window first)")
    if ticket.status == Status.CALLED:
        queueing.perform(ticket.pk, "start", actor)
    with transaction.atomic():
        claimed = RemoteSession.objects.filter(pk=session.pk, status=SessionStatus.WAITING).update(
            status=SessionStatus.OPEN, staff=actor, window=window, accepted_at=clock.now()
        )
        if claimed != 1:
            raise Conflict("会话已被接入 (the session was accepted meanwhile)")
        session.refresh_from_db()
        _event(session, SessionEvent.Kind.ACCEPTED, actor, "window", window=window.code)
    return session


def sniff(data: bytes) -> str | None:
    return next((kind for magic, kind in SIGNATURES if data.startswith(magic)), None)


def add_material(session: RemoteSession, actor: Any, name: str, data: bytes) -> Material:
    if side_of(actor, session) != "point":
        raise Forbidden("only the point's assistant may upload materials")
    if session.status == SessionStatus.CLOSED:
        raise Conflict("会话已结束，不能再上传材料")
    if not data:
        raise Unprocessable("文件为空")
    if len(data) > MAX_MATERIAL_BYTES:
        raise Unprocessable(f"文件过大：最大 {MAX_MATERIAL_BYTES // (1024 * 1024)} MB")
    kind = sniff(data)
    if kind is None:
        raise Unprocessable("只接受 JPEG、PNG 照片或 PDF 扫描件")
    name = (name or "材料").replace("/", "_").replace("\\", "_").strip()[:200] or "材料"
    with transaction.atomic():
        if session.materials.count() >= MAX_MATERIALS:
            raise Conflict(f"每次会话最多上传 {MAX_MATERIALS} 份材料")
        material = Material.objects.create(
            session=session,
            name=name,
            content_type=kind,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            data=data,
            uploaded_at=clock.now(),
            uploaded_by=actor,
        )
        _event(
            session,
            SessionEvent.Kind.MATERIAL,
            actor,
            "point",
            text=name,
            material=material.pk,
            size=len(data),
            type=kind,
        )
    return material


def material_of(session: RemoteSession, material_id: int) -> Material:
    found = session.materials.filter(pk=material_id).first()
    if found is None:
        raise NotFound("no such material")
    return found


def chat(session: RemoteSession, actor: Any, text: str) -> SessionEvent:
    side = side_of(actor, session)
    if side is None:
        raise Forbidden("not a participant of this session")
    text = (text or "").strip()
    if not text:
        raise Unprocessable("消息为空")
    if len(text) > MAX_CHAT:
        raise Unprocessable(f"消息过长：最多 {MAX_CHAT} 字")
    if session.status == SessionStatus.CLOSED:
        raise Conflict("会话已结束")
    return _event(session, SessionEvent.Kind.CHAT, actor, side, text=text)


def signal(session: RemoteSession, side: str, payload: dict[str, Any]) -> SessionEvent:
    """Store one signalling message (offer, answer, ICE candidate, hello) for the other side."""
    if session.status == SessionStatus.CLOSED:
        raise Conflict("会话已结束")
    if len(str(payload)) > MAX_SIGNAL:
        raise Unprocessable("signal too large")
    return _event(session, SessionEvent.Kind.SIGNAL, None, side, payload=payload)


def finish(session: RemoteSession, actor: Any, outcome: str, note: str = "") -> RemoteSession:
    """The window staff end the session: the ticket is finished and the session closed."""
    if outcome not in (Outcome.DONE, Outcome.REFERRED, Outcome.UNFINISHED):
        raise Unprocessable("outcome must be done, referred or unfinished")
    if side_of(actor, session) != "window":
        raise Forbidden("only the staff who accepted the session may finish it")
    if session.status != SessionStatus.OPEN:
        raise Conflict(f"session is {session.status}")
    ticket = ticket_of(session)
    if ticket.status == Status.SERVING:
        queueing.perform(ticket.pk, "finish", actor)
    elif ticket.status != Status.SERVED:
        raise Conflict(f"ticket {ticket.number} is {ticket.status}: resume it before finishing")
    return _close(session, actor, outcome, note[:500], "window")


def cancel(session: RemoteSession, actor: Any) -> RemoteSession:
    """The point withdraws a session nobody accepted yet (the citizen left)."""
    if side_of(actor, session) != "point":
        raise Forbidden("only the point's assistant may cancel")
    if session.status != SessionStatus.WAITING:
        raise Conflict("只能取消尚未接入的会话")
    ticket = ticket_of(session)
    if ticket.status == Status.WAITING:
        queueing.perform(ticket.pk, "cancel", actor)
    return _close(session, actor, Outcome.CANCELLED, "", "point")


def _close(session: RemoteSession, actor: Any, outcome: str, note: str, side: str) -> RemoteSession:
    with transaction.atomic():
        now = clock.now()
        RemoteSession.objects.filter(pk=session.pk).update(
            status=SessionStatus.CLOSED, outcome=outcome, note=note, closed_at=now
        )
        session.refresh_from_db()
        _event(session, SessionEvent.Kind.CLOSED, actor, side, text=note, outcome=outcome)
    return session


def prune_signals(before: dt.datetime) -> int:
    """Signalling of closed sessions is no history: drop it."""
    deleted, _ = SessionEvent.objects.filter(
        kind=SessionEvent.Kind.SIGNAL, session__status=SessionStatus.CLOSED, at__lt=before
    ).delete()
    return deleted


def set_matters(point: ServicePoint, codes: list[str]) -> int:
    """Enable exactly `codes` for remote handling at the point (all or nothing)."""
    unknown = sorted(set(codes) - set(matters_by_code(set(codes))))
    if unknown:
        raise Unprocessable(f"unknown matter(s): {', '.join(unknown)}")
    with transaction.atomic():
        RemoteMatter.objects.filter(point=point).exclude(matter_code__in=codes).delete()
        for code in codes:
            RemoteMatter.objects.update_or_create(point=point, matter_code=code, defaults={"enabled": True})
    return len(codes)
