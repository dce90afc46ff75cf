"""政小云 verbs: start a conversation, let the citizen speak (the bot answers), hand over to online
staff, claim, reply, close, and end in a remote ticket or a booking.

Every change commits its messages first and then wakes the conversation's sockets (and the staff
inbox) through the channel layer; sockets also poll the message table, so several server processes
without Redis still deliver everything (see `consumers`).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

from django.db import transaction

from govhall import clock
from govhall.accounts.models import Role
from govhall.accounts.services import role_of
from govhall.assistant import bot
from govhall.assistant.models import Conversation, Message, Outcome, Sender, State
from govhall.queueing.errors import Conflict, Forbidden, NotFound, Unprocessable
from govhall.queueing.subjects import mask_text

log = logging.getLogger(__name__)
MAX_TEXT = 500
IDLE = {  # a conversation untouched this long is closed by the worker
    State.BOT: dt.timedelta(minutes=30),
    State.STAFF: dt.timedelta(minutes=60),
    State.WAITING: dt.timedelta(hours=4),
}
GREETING = (
    "您好，我是政小云。用大白话说说您要办什么事，我告诉您怎么办、带什么材料、去哪里办；"
    "需要人工可以随时点“转人工”。"
)
OPEN = (State.BOT, State.WAITING, State.STAFF)


# --- reads ------------------------------------------------------------------------------------


def conversation_of(token: str) -> Conversation:
    found = Conversation.objects.filter(token=token).first() if 8 <= len(token or "") <= 40 else None
    if found is None:
        raise NotFound("没有这个会话 (no such conversation)")
    return found


def messages_after(conversation_id: int, since: int = 0, limit: int = 200) -> list[Message]:
    return list(Message.objects.filter(conversation_id=conversation_id, id__gt=since).order_by("id")[:limit])


def last_message_id(conversation_id: int) -> int:
    last = (
        Message.objects.filter(conversation_id=conversation_id).order_by("-id").values_list("id", flat=True)
    )
    return last.first() or 0


def message_view(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "sender": message.sender,
        "staff": message.staff_label or None,
        "text": message.text,
        "payload": message.payload or {},
        "at": clock.iso(message.created_at),
    }


def conversation_view(conversation: Conversation, since: int = 0) -> dict[str, Any]:
    """The citizen's view: the token is their key and is only ever shown to them."""
    return {"token": conversation.token, **_shared_view(conversation, since)}


def staff_view(conversation: Conversation, since: int = 0) -> dict[str, Any]:
    """The staff's view: keyed by the conversation id, never the citizen's token."""
    return {"id": conversation.pk, **_shared_view(conversation, since)}


def _shared_view(conversation: Conversation, since: int) -> dict[str, Any]:
    return {
        "state": conversation.state,
        "outcome": conversation.outcome or None,
        "staff": conversation.staff_label or None,
        "ticket": conversation.ticket_id or None,
        "booking": conversation.booking_code or None,
        "messages": [message_view(m) for m in messages_after(conversation.pk, since)],
    }


def matter_details(codes: list[str]) -> dict[str, dict[str, Any]]:
    """What the bot tells about each matter: materials, fee, time limit and 办事情形."""
    from govhall.catalog.models import Situation
    from govhall.catalog.queries import matters_by_code

    found = matters_by_code(codes)
    situations: dict[str, list[dict[str, Any]]] = {}
    for row in (
        Situation.objects.filter(matter__code__in=list(found))
        .order_by("position", "id")
        .values("matter__code", "name", "conditions", "materials")
    ):
        situations.setdefault(row["matter__code"], []).append(
            {"name": row["name"], "conditions": row["conditions"], "materials": row["materials"] or []}
        )
    return {
        code: {
            "name": m.name,
            "department": m.department.name if m.department else "",
            "materials": list(m.materials or []),
            "fee": float(m.fee or 0),
            "promised_days": m.promised_days,
            "situations": situations.get(code, []),
        }
        for code, m in found.items()
    }


# --- citizen side ------------------------------------------------------------------------------


def start(session: str = "") -> Conversation:
    """A new conversation with the bot's greeting; `session` is the browser's anonymous id."""
    from govhall.guide.services import subject_hash

    now = clock.now()
    with transaction.atomic():
        conversation = Conversation.objects.create(
            token=secrets.token_urlsafe(18),
            subject=subject_hash(session.strip()) if session.strip() else "",
            started_at=now,
            updated_at=now,
        )
        _add(conversation, Sender.BOT, GREETING, {"kind": "greeting"}, now=now)
    return conversation


def _clean(text: str) -> str:
    value = (text or "").strip()
    if not value:
        raise Unprocessable("请输入您的问题 (text must not be empty)")
    if len(value) > MAX_TEXT:
        raise Unprocessable(f"问题太长了，请控制在{MAX_TEXT}字以内 (text is longer than {MAX_TEXT})")
    return mask_text(value)


def _open(conversation: Conversation) -> None:
    if conversation.state == State.CLOSED:
        raise Conflict("会话已结束，请重新提问 (the conversation is closed)")


def _still_open(conversation: Conversation) -> None:
    """Inside the caller's transaction: the row is still open (the object may be stale)."""
    if not Conversation.objects.filter(pk=conversation.pk, state__in=OPEN).update(updated_at=clock.now()):
        conversation.state = State.CLOSED
        raise Conflict("会话已结束，请重新提问 (the conversation is closed)")


def say(
    conversation: Conversation,
    text: str,
    *,
    choice: dict[str, Any] | None = None,
    lat: float | None = None,
    lon: float | None = None,
) -> list[Message]:
    """The citizen speaks (or picks a follow-up option); with the bot in charge it answers.
    Returns the new messages."""
    from govhall.guide.services import search_catalog

    _open(conversation)
    words = _clean(text)
    if conversation.state != State.BOT:  # a person is (about to be) in charge: the bot keeps quiet
        with transaction.atomic():
            _still_open(conversation)
            added = [_add(conversation, Sender.CITIZEN, words)]
        return added
    if choice is not None:
        answer = _choice_reply(conversation, choice, lat, lon)
        payload: dict[str, Any] = {"choice": choice}
    else:
        found = search_catalog(words, top=5, lat=lat, lon=lon, routes=True)
        details = matter_details([r["code"] for r in found.get("results", [])])
        answer = bot.reply(words, found, details)
        payload = {"question": True}
        if answer.kind == "handoff":  # "我想办出生登记，转人工" still carries the question
            payload = {"handoff": True, "question": True} if bot.asks_too(words) else {"handoff": True}
    with transaction.atomic():
        _still_open(conversation)
        added = [_add(conversation, Sender.CITIZEN, words, payload)]
        if answer.kind == "handoff":
            added += _hand_over(conversation)
        else:
            added.append(_add(conversation, Sender.BOT, answer.text, answer.payload))
            if answer.kind == "answer" and not conversation.bot_answered:
                Conversation.objects.filter(pk=conversation.pk).update(bot_answered=True)
                conversation.bot_answered = True
    if answer.kind == "unsure":
        _learn(words, "assistant", conversation.token)
    return added


def _choice_reply(
    conversation: Conversation, choice: dict[str, Any], lat: float | None, lon: float | None
) -> bot.Reply:
    """The answer for the option the citizen picked, with the original question's other results."""
    from govhall.guide.services import recommend_routes, search_catalog

    code = str(choice.get("matter") or "")
    situation = choice.get("situation")
    details = matter_details([code])
    if code not in details:
        raise Unprocessable(f"没有这个事项 (unknown matter {code!r})")
    if situation is not None and situation not in {s["name"] for s in details[code]["situations"]}:
        raise Unprocessable("没有这个办事情形 (unknown situation)")
    found = search_catalog(last_question(conversation), top=5, lat=lat, lon=lon, routes=True)
    results = found.get("results", [])
    if not any(r["code"] == code for r in results):
        route = recommend_routes([code], lat, lon).get(code)
        results = [{"code": code, "name": details[code]["name"], "score": 1.0, "route": route}, *results]
    details.update(matter_details([r["code"] for r in results if r["code"] != code]))
    return bot.choose(code, results, details, situation)


def last_question(conversation: Conversation) -> str:
    """The last thing the citizen asked in words (not a button's label)."""
    row = (
        Message.objects.filter(conversation=conversation, sender=Sender.CITIZEN, payload__question=True)
        .order_by("-id")
        .values_list("text", flat=True)
        .first()
    )
    return row or ""


def hand_over(conversation: Conversation) -> list[Message]:
    """The citizen asks for a person (the button, or words the bot recognised)."""
    _open(conversation)
    if conversation.state != State.BOT:
        return []
    with transaction.atomic():
        return _hand_over(conversation)


def _hand_over(conversation: Conversation) -> list[Message]:
    now = clock.now()
    question = last_question(conversation)
    moved = Conversation.objects.filter(pk=conversation.pk, state=State.BOT).update(
        state=State.WAITING, handed_over_at=now, question=question[:500], updated_at=now
    )
    if not moved:
        return []
    conversation.state, conversation.handed_over_at, conversation.question = State.WAITING, now, question
    ahead = Conversation.objects.filter(state=State.WAITING, handed_over_at__lt=now).count()
    text = (
        "已为您转接在线人工客服"
        + (f"，前面还有 {ahead} 位，" if ahead else "，")
        + "请稍候，工作人员会看到您前面的对话。"
    )
    message = _add(conversation, Sender.SYSTEM, text, {"kind": "handoff", "ahead": ahead}, inbox=True)
    if question:  # stored in its own savepoint: a failure there never undoes the handover
        _learn(question, "handoff", conversation.token)
    return [message]


def _learn(text: str, source: str, token: str) -> None:
    """Every question the bot could not answer is training data (guide's 问题转知识 list)."""
    from govhall.guide.learning import record_unanswered

    record_unanswered(text, source=source, conversation=token)


def take_ticket(
    conversation: Conversation, hall_code: str, matter_code: str, idempotency_key: str | None = None
) -> Any:
    """A remote ticket from an answer card; the conversation ends up at a window."""
    from govhall.halls.models import Hall
    from govhall.queueing import services as queueing
    from govhall.queueing.models import Channel

    _open(conversation)
    hall = Hall.objects.filter(code=hall_code).first()
    if hall is None:
        raise NotFound(f"没有这个大厅 (no hall {hall_code!r})")
    key = f"assistant-{conversation.token}-{idempotency_key}" if idempotency_key else None
    ticket, _ = queueing.issue_ticket(
        hall, matter_code, channel=Channel.REMOTE, idempotency_key=key[:128] if key else None
    )
    with transaction.atomic():  # a retry with the same key (even a concurrent one) adds nothing
        if _ended_at_window(conversation, ticket_id=ticket.pk):
            _add(
                conversation,
                Sender.SYSTEM,
                f"已远程取号：{hall.name} {ticket.number} 号。",
                {"kind": "ticket", "ticket": ticket.pk, "number": ticket.number, "hall": hall.code},
                inbox=conversation.state != State.BOT,
            )
    return ticket


def book(
    conversation: Conversation, hall_code: str, matter_code: str, slot: int, subject: str, phone: str
) -> Any:
    """A booking from an answer card (appointments rules apply); the conversation ends at a window."""
    from govhall.appointments import services as appointments
    from govhall.halls.models import Hall

    _open(conversation)
    hall = Hall.objects.filter(code=hall_code).first()
    if hall is None:
        raise NotFound(f"没有这个大厅 (no hall {hall_code!r})")
    booking = appointments.book(hall, matter_code=matter_code, slot_id=slot, subject=subject, phone=phone)
    record_booking(conversation, booking)
    return booking


def record_booking(conversation: Conversation, booking: Any) -> None:
    """A booking made for this conversation (from its answer card, here or on the booking page):
    the conversation ends at a window and says so. Recording the same booking twice adds nothing;
    a closed conversation is not changed (Conflict; the booking itself stands)."""
    from govhall.appointments import services as appointments

    _open(conversation)
    hall = booking.hall
    with transaction.atomic():
        if not _ended_at_window(conversation, booking_code=booking.code):
            return
        when = appointments.local_text(booking.slot.start, hall)
        _add(
            conversation,
            Sender.SYSTEM,
            f"已预约{hall.name} {when}，预约码 {booking.code}。",
            {"kind": "booking", "booking": booking.code, "hall": hall.code},
            inbox=conversation.state != State.BOT,
        )


def _ended_at_window(conversation: Conversation, **fields: str) -> bool:
    """Record the ticket or booking on an open conversation that does not have it yet (a
    conditional update, so a concurrent retry or a close in between changes nothing)."""
    now = clock.now()
    moved = (
        Conversation.objects.filter(pk=conversation.pk, state__in=OPEN)
        .exclude(**fields)
        .update(outcome=Outcome.WINDOW, updated_at=now, **fields)
    )
    conversation.refresh_from_db(fields=["state", "outcome", *fields])
    return bool(moved)


def settle(conversation: Conversation) -> str:
    """The outcome a conversation closes with (docs/assistant.md): a ticket or booking → window;
    handed over → staff when a staff member answered, else abandoned; otherwise bot when the bot
    gave an answer card, else abandoned."""
    if conversation.ticket_id or conversation.booking_code or conversation.outcome == Outcome.WINDOW:
        return Outcome.WINDOW
    if conversation.handed_over_at is not None:
        return Outcome.STAFF if conversation.staff_answered else Outcome.ABANDONED
    return Outcome.BOT if conversation.bot_answered else Outcome.ABANDONED


def end(conversation: Conversation, outcome: str | None = None, *, by: str = "citizen") -> Conversation:
    """Close the conversation; `outcome` (staff only) overrides the rule unless a ticket was taken."""
    _open(conversation)
    now = clock.now()
    final = settle(conversation)
    if outcome and final != Outcome.WINDOW:
        if outcome not in Outcome.values:
            raise Unprocessable("outcome must be bot, staff, window or abandoned")
        final = outcome
    with transaction.atomic():
        moved = Conversation.objects.filter(pk=conversation.pk, state__in=OPEN).update(
            state=State.CLOSED, outcome=final, closed_at=now, updated_at=now
        )
        if not moved:
            raise Conflict("会话已结束 (the conversation is closed)")
        conversation.state, conversation.outcome, conversation.closed_at = State.CLOSED, final, now
        text = "本次服务已结束，感谢您的咨询。" if by == "staff" else "您已结束本次咨询，谢谢。"
        _add(conversation, Sender.SYSTEM, text, {"kind": "closed", "outcome": final}, inbox=True)
    return conversation


# --- staff side --------------------------------------------------------------------------------


def may_serve(user: Any) -> bool:
    role, _ = role_of(user)
    return role is not None


def _manages(user: Any) -> bool:
    role, _ = role_of(user)
    return role in (Role.MANAGER, Role.ADMIN)


def staff_conversation(key: int, user: Any) -> Conversation:
    """A conversation as staff see it, by its id: one waiting for a person or one they claimed
    (managers: any). Anything else is "not found", so ids say nothing about other people's
    conversations."""
    if not may_serve(user):
        raise Forbidden("只有工作人员可以使用人工客服台 (staff only)")
    found = Conversation.objects.filter(pk=key).first() if 0 < key < 2**63 else None
    if found is None or not (
        found.state == State.WAITING or found.claimed_by_id == user.pk or _manages(user)
    ):
        raise NotFound(
            "没有这个会话，或它已由其他工作人员接入 (no such conversation, or claimed by someone else)"
        )
    return found


def staff_label(user: Any) -> str:
    """ "李** (工号 1023)": the surname only, never the length of the name."""
    from govhall.staff.errors import NotFound as NoProfile
    from govhall.staff.services import profile_of

    name, number = "", ""
    try:
        profile = profile_of(user.get_username())
        name, number = profile.name, profile.employee_no
    except NoProfile:
        pass
    name = (name or user.last_name or user.first_name or "").strip()
    number = number or f"{int(user.pk):04d}"
    return f"{name[0]}** (工号 {number})" if name else f"在线客服 (工号 {number})"


def inbox(user: Any) -> list[Conversation]:
    """Waiting conversations oldest first, then the ones this staff member is serving."""
    waiting = Conversation.objects.filter(state=State.WAITING).order_by("handed_over_at", "id")
    mine = Conversation.objects.filter(state=State.STAFF, claimed_by=user).order_by("claimed_at", "id")
    return [*waiting[:100], *mine[:50]]


def inbox_view(user: Any) -> list[dict[str, Any]]:
    from django.db.models import Count

    now = clock.now()
    items = inbox(user)
    counts = dict(
        Message.objects.filter(conversation__in=[c.pk for c in items])
        .values("conversation")
        .annotate(n=Count("id"))
        .values_list("conversation", "n")
    )
    return [
        {
            "id": c.pk,
            "state": c.state,
            "question": c.question,
            "handed_over_at": clock.iso(c.handed_over_at),
            "waited_seconds": int((now - (c.handed_over_at or now)).total_seconds()),
            "staff": c.staff_label or None,
            "messages": counts.get(c.pk, 0),
        }
        for c in items
    ]


def claim(conversation: Conversation, user: Any) -> Conversation:
    """Take a waiting conversation; compare-and-swap, so two staff can never both get it."""
    if not may_serve(user):
        raise Forbidden("只有工作人员可以接入 (staff only)")
    now = clock.now()
    label = staff_label(user)
    with transaction.atomic():
        moved = Conversation.objects.filter(pk=conversation.pk, state=State.WAITING).update(
            state=State.STAFF, claimed_by=user, claimed_at=now, staff_label=label, updated_at=now
        )
        if not moved:
            conversation.refresh_from_db(fields=["state", "claimed_by"])
            if conversation.state == State.STAFF and conversation.claimed_by_id == user.pk:
                return conversation
            raise Conflict("该会话已被其他工作人员接入或已结束 (already claimed or closed)")
        conversation.refresh_from_db()
        _add(
            conversation,
            Sender.SYSTEM,
            f"工作人员 {label} 为您服务",
            {"kind": "claimed", "staff": label},
            inbox=True,
        )
    return conversation


def _serving(conversation: Conversation, user: Any) -> None:
    if conversation.state != State.STAFF or conversation.claimed_by_id != user.pk:
        raise Forbidden("请先接入该会话 (claim the conversation first)")


def reply(conversation: Conversation, user: Any, text: str) -> Message:
    _serving(conversation, user)
    words = _clean(text)
    with transaction.atomic():
        moved = Conversation.objects.filter(pk=conversation.pk, state=State.STAFF, claimed_by=user).update(
            staff_answered=True, updated_at=clock.now()
        )
        if not moved:  # closed (or taken over) since the object was read
            raise Conflict("会话已结束 (the conversation is closed)")
        conversation.staff_answered = True
        return _add(conversation, Sender.STAFF, words, staff=user, label=conversation.staff_label)


def staff_close(conversation: Conversation, user: Any, outcome: str | None = None) -> Conversation:
    if conversation.claimed_by_id != user.pk and not _manages(user):
        raise Forbidden("只有接入的工作人员或负责人可以结束 (only the claimer or a manager)")
    return end(conversation, outcome, by="staff")


def quick_replies(query: str, top: int = 3) -> list[dict[str, Any]]:
    """Catalogue answers a staff member can insert: materials, fee and time limit of the matters
    the search finds for `query`."""
    from govhall.guide.services import search_catalog

    found = search_catalog(query, top=top, routes=True)
    details = matter_details([r["code"] for r in found.get("results", [])])
    out = []
    for result in found.get("results", []):
        if result["code"] in details:
            answer = bot.choose(result["code"], [result], details, situation="")
            out.append({"code": result["code"], "name": result["name"], "text": answer.text})
    return out


# --- plumbing ------------------------------------------------------------------------------------


def _add(
    conversation: Conversation,
    sender: str,
    text: str,
    payload: dict[str, Any] | None = None,
    *,
    staff: Any = None,
    label: str = "",
    now: dt.datetime | None = None,
    inbox: bool = False,
) -> Message:
    """Store a message (inside the caller's transaction) and wake the listeners after commit."""
    now = now or clock.now()
    message = Message.objects.create(
        conversation=conversation,
        sender=sender,
        staff=staff,
        staff_label=label,
        text=text,
        payload=payload or {},
        created_at=now,
    )
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=now)
    token = conversation.token
    transaction.on_commit(lambda: wake(token, inbox or conversation.state in (State.WAITING, State.STAFF)))
    return message


def group_name(token: str) -> str:
    return f"assistant.{token.encode().hex()[:80]}"


INBOX_GROUP = "assistant.inbox"


def wake(token: str, inbox: bool = False) -> None:
    """Wake this process's (or, with Redis, every process's) sockets; they read the table."""
    try:
        from asgiref.sync import async_to_sync
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        if layer is None:
            return
        async_to_sync(layer.group_send)(group_name(token), {"type": "assistant.wake"})
        if inbox:
            async_to_sync(layer.group_send)(INBOX_GROUP, {"type": "assistant.wake"})
    except Exception:  # a lost wake-up only delays delivery to the next poll
        log.warning("assistant wake-up for a conversation failed", exc_info=True)


def close_idle(now: dt.datetime) -> int:
    """Close conversations nobody touched for a while (worker task); each row is closed with a
    conditional update, so two workers never close one twice."""
    closed = 0
    for state, idle in IDLE.items():
        stale = Conversation.objects.filter(state=state, updated_at__lt=now - idle).order_by("id")[:500]
        for conversation in stale:
            final = settle(conversation)
            with transaction.atomic():
                moved = Conversation.objects.filter(
                    pk=conversation.pk, state=state, updated_at=conversation.updated_at
                ).update(state=State.CLOSED, outcome=final, closed_at=now)
                if moved:
                    conversation.state = State.CLOSED
                    _add(
                        conversation,
                        Sender.SYSTEM,
                        "长时间没有新消息，会话已自动结束。",
                        {"kind": "closed", "outcome": final},
                        now=now,
                        inbox=state != State.BOT,
                    )
                    closed += 1
    return closed
