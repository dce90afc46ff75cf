"""政小云 under /api/v1/assistant: the citizen's conversation (start, speak, hand over, take a
ticket or book, end), the online staff's inbox (claim, reply, close, quick replies) and the
weekly bot / staff / window shares. The token of a conversation is the citizen's only key and is
never shown to staff: staff calls (bearer token or the staff session) name a conversation by its
id, and see only the ones waiting for a person or claimed by them (managers: any)."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Header, Query, Router, Schema, Status

from govhall.accounts.auth import staff_auth
from govhall.apischema import ERRORS
from govhall.assistant import queries, services
from govhall.queueing import ratelimit
from govhall.queueing.api import TicketOut
from govhall.queueing.errors import Forbidden

router = Router(tags=["assistant"])
MAX_ID = 2**63 - 1


class MessageOut(Schema):
    id: int
    sender: Literal["citizen", "bot", "staff", "system"]
    staff: str | None = Field(None, description="masked staff name, for staff messages")
    text: str
    payload: dict[str, Any] = Field(description="answer card, follow-up options, ticket …")
    at: str


class ViewOut(Schema):
    state: Literal["bot", "waiting", "staff", "closed"]
    outcome: Literal["bot", "staff", "window", "abandoned"] | None = None
    staff: str | None = Field(None, description="who answers, masked: 李** (工号 1023)")
    ticket: str | None = None
    booking: str | None = None
    messages: list[MessageOut]


class ConversationOut(ViewOut):
    token: str = Field(description="the citizen's key to the conversation")


class StaffConversationOut(ViewOut):
    id: int = Field(description="the staff side's key to the conversation")


class StartIn(Schema):
    session: str = Field("", max_length=200, description="anonymous browser id (stored as a salted hash)")


class Choice(Schema):
    matter: str = Field(max_length=64)
    situation: str | None = Field(None, max_length=200)


class SayIn(Schema):
    text: str = Field(max_length=2000)
    choice: Choice | None = Field(None, description="the follow-up option the citizen picked")
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)


class TicketIn(Schema):
    hall: str = Field(max_length=64)
    matter: str = Field(max_length=64)


class BookingIn(TicketIn):
    slot: int
    subject: str = Field(max_length=64)
    phone: str = Field("", max_length=20)


class BookingOut(Schema):
    code: str
    hall: str
    matter: str
    link: str


class ReplyIn(Schema):
    text: str = Field(max_length=2000)


class CloseIn(Schema):
    outcome: Literal["bot", "staff", "window", "abandoned"] | None = None


class InboxItem(Schema):
    id: int
    state: str
    question: str
    handed_over_at: str
    waited_seconds: int
    staff: str | None = None
    messages: int


class QuickReply(Schema):
    code: str
    name: str
    text: str


class WeekShares(Schema):
    week: str
    starts: str
    bot: int
    staff: int
    window: int
    abandoned: int
    open: int
    solved: int
    shares: dict[str, float | None]


class StatsOut(Schema):
    goal: dict[str, float]
    weeks: list[WeekShares]
    open: dict[str, int]


def _view(token: str, since: int = 0) -> dict[str, Any]:
    return services.conversation_view(services.conversation_of(token), since)


@router.post("/conversations", response={201: ConversationOut, **ERRORS}, summary="Start a conversation")
def start(request: HttpRequest, payload: StartIn) -> Status[dict[str, Any]]:
    ratelimit.check(request, "assistant")
    return Status(201, services.conversation_view(services.start(payload.session)))


@router.get(
    "/conversations/{token}", response={200: ConversationOut, **ERRORS}, summary="Messages after `since`"
)
def conversation(request: HttpRequest, token: str, since: int = Query(0, ge=0, le=MAX_ID)) -> dict[str, Any]:
    return _view(token, since)


@router.post(
    "/conversations/{token}/messages",
    response={201: ConversationOut, **ERRORS},
    summary="The citizen speaks (or picks an option); the bot answers while it is in charge",
)
def say(request: HttpRequest, token: str, payload: SayIn) -> Status[dict[str, Any]]:
    ratelimit.check(request, "assistant")
    found = services.conversation_of(token)
    choice = payload.choice.dict(exclude_none=True) if payload.choice else None
    added = services.say(found, payload.text, choice=choice, lat=payload.lat, lon=payload.lon)
    view = services.conversation_view(found, since=added[0].pk - 1 if added else 0)
    return Status(201, view)


@router.post(
    "/conversations/{token}/handoff", response={200: ConversationOut, **ERRORS}, summary="Ask for a person"
)
def handoff(request: HttpRequest, token: str, since: int = Query(0, ge=0, le=MAX_ID)) -> dict[str, Any]:
    found = services.conversation_of(token)
    services.hand_over(found)
    return services.conversation_view(found, since)


@router.post(
    "/conversations/{token}/ticket",
    response={200: TicketOut, 201: TicketOut, **ERRORS},
    summary="Take a remote ticket from an answer card (the conversation ends at a window)",
)
def ticket(
    request: HttpRequest,
    token: str,
    payload: TicketIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> Status[dict[str, Any]]:
    from govhall.queueing.queries import ticket_view

    ratelimit.check(request, "issue")
    found = services.conversation_of(token)
    before = found.ticket_id
    issued = services.take_ticket(found, payload.hall, payload.matter, idempotency_key)
    return Status(200 if before == issued.pk else 201, ticket_view(issued, learned=False))


@router.post(
    "/conversations/{token}/booking",
    response={201: BookingOut, **ERRORS},
    summary="Book a slot from an answer card (the conversation ends at a window)",
)
def booking(request: HttpRequest, token: str, payload: BookingIn) -> Status[dict[str, Any]]:
    ratelimit.check(request, "assistant")
    found = services.conversation_of(token)
    made = services.book(found, payload.hall, payload.matter, payload.slot, payload.subject, payload.phone)
    return Status(
        201,
        {"code": made.code, "hall": payload.hall, "matter": made.matter_code, "link": f"/book/b/{made.code}"},
    )


@router.post(
    "/conversations/{token}/close", response={200: ConversationOut, **ERRORS}, summary="The citizen ends"
)
def close(request: HttpRequest, token: str) -> dict[str, Any]:
    found = services.end(services.conversation_of(token))
    return services.conversation_view(found)


# --- staff ---------------------------------------------------------------------------------------


def _staff(request: HttpRequest) -> Any:
    if not services.may_serve(request.user):
        raise Forbidden("只有工作人员可以使用人工客服台 (staff only)")
    return request.user


@router.get("/inbox", auth=staff_auth, response={200: list[InboxItem], **ERRORS}, summary="Staff: the inbox")
def inbox(request: HttpRequest) -> list[dict[str, Any]]:
    return services.inbox_view(_staff(request))


@router.get(
    "/inbox/{conversation}",
    auth=staff_auth,
    response={200: StaffConversationOut, **ERRORS},
    summary="Staff: the transcript after `since`",
)
def staff_conversation(
    request: HttpRequest, conversation: int, since: int = Query(0, ge=0, le=MAX_ID)
) -> dict[str, Any]:
    return services.staff_view(services.staff_conversation(conversation, _staff(request)), since)


@router.post(
    "/inbox/{conversation}/claim",
    auth=staff_auth,
    response={200: StaffConversationOut, **ERRORS},
    summary="Staff: claim",
)
def claim(request: HttpRequest, conversation: int) -> dict[str, Any]:
    user = _staff(request)
    found = services.claim(services.staff_conversation(conversation, user), user)
    return services.staff_view(found)


@router.post(
    "/inbox/{conversation}/reply",
    auth=staff_auth,
    response={201: MessageOut, **ERRORS},
    summary="Staff: answer",
)
def reply(request: HttpRequest, conversation: int, payload: ReplyIn) -> Status[dict[str, Any]]:
    user = _staff(request)
    message = services.reply(services.staff_conversation(conversation, user), user, payload.text)
    return Status(201, services.message_view(message))


@router.post(
    "/inbox/{conversation}/close",
    auth=staff_auth,
    response={200: StaffConversationOut, **ERRORS},
    summary="Staff: close with an outcome",
)
def staff_close(request: HttpRequest, conversation: int, payload: CloseIn) -> dict[str, Any]:
    user = _staff(request)
    found = services.staff_close(services.staff_conversation(conversation, user), user, payload.outcome)
    return services.staff_view(found)


@router.get(
    "/quick-replies",
    auth=staff_auth,
    response={200: list[QuickReply], **ERRORS},
    summary="Staff: catalogue answers",
)
def quick_replies(request: HttpRequest, q: str = Query("", max_length=200)) -> list[dict[str, Any]]:
    _staff(request)
    return services.quick_replies(q) if q.strip() else []


@router.get(
    "/stats",
    auth=staff_auth,
    response={200: StatsOut, **ERRORS},
    summary="Weekly bot / staff / window shares",
)
def stats(request: HttpRequest, weeks: int = Query(8, ge=1, le=52)) -> dict[str, Any]:
    _staff(request)
    return {"goal": queries.goal(), "weeks": queries.weekly_shares(weeks), "open": queries.open_counts()}
