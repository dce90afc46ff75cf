"""HTTP API of ratings (mounted under /api/v1/ratings by govhall.api).

Citizens rate without a token (the ticket id is the capability, as on /t/{id}); figures, cases
and case actions need a staff token and are scoped: staff see their own, managers their hall's,
city administrators everything.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from govhall.accounts.auth import staff_auth
from govhall.accounts.services import can_act, role_of
from govhall.apischema import Detail
from govhall.halls.models import Hall
from govhall.queueing import ratelimit
from govhall.queueing.errors import Forbidden, NotFound, Unprocessable
from govhall.queueing.models import Ticket
from govhall.ratings import queries, services
from govhall.ratings.models import Case, Rating, Step

router = Router(tags=["ratings"])


class RatingIn(Schema):
    level: int
    comment: str = ""
    tags: list[str] = []
    channel: Literal["phone", "pad", "sms"] = "phone"


class ReRatingIn(Schema):
    level: int
    comment: str = ""


class RatingOut(Schema):
    ticket: str
    number: str
    hall: str
    level: int
    level_label: str
    comment: str
    tags: list[str]
    channel: str
    rated_at: str
    re_level: int | None
    re_rated_at: str | None
    case: int | None
    case_step: str | None


class Row(Schema):
    code: str
    name: str
    total: int
    good: int
    bad: int
    good_rate: float | None


class Week(Schema):
    week: str
    total: int
    good: int
    good_rate: float | None


class SummaryOut(Schema):
    hall: str | None
    since: str | None
    definition: str
    total: int
    good: int
    bad: int
    auto: int
    rerated: int
    good_rate: float | None
    levels: dict[str, int]
    open_cases: int
    overdue_cases: int
    by_hall: list[Row]
    by_zone: list[Row]
    by_window: list[Row]
    by_staff: list[Row]
    by_matter: list[Row]
    weekly: list[Week]


class CaseOut(Schema):
    id: int
    hall: str
    hall_name: str
    ticket: str
    ticket_id: str
    window: str
    matter: str
    level: int
    level_label: str
    comment: str
    tags: list[str]
    re_level: int | None
    step: str
    step_label: str
    opened_at: str
    callback_due: str
    rectify_due: str
    rerate_due: str | None
    callback_due_text: str
    rectify_due_text: str
    rerate_due_text: str
    closed_at: str | None
    close_reason: str
    appeal: str
    finding: str
    overdue: list[str]
    staff: str


class VerifyIn(Schema):
    finding: Literal["true", "partly", "false"]
    note: str


class NoteIn(Schema):
    note: str


class AppealIn(Schema):
    text: str
    evidence_name: str = ""
    evidence_type: str = ""
    evidence_base64: str = ""


class DecideIn(Schema):
    upheld: bool
    note: str


class LinkOut(Schema):
    ticket: str
    purpose: str
    path: str


def rating_out(rating: Rating) -> dict[str, Any]:
    from govhall import clock

    tz = rating.hall.timezone
    case = Case.objects.filter(rating=rating).first()
    return {
        "ticket": rating.ticket_id,
        "number": rating.ticket_number,
        "hall": rating.hall.code,
        "level": rating.level,
        "level_label": rating.get_level_display(),
        "comment": rating.comment,
        "tags": rating.tags,
        "channel": rating.channel,
        "rated_at": clock.iso(rating.rated_at, tz),
        "re_level": rating.re_level,
        "re_rated_at": clock.iso(rating.re_rated_at, tz) or None,
        "case": case.pk if case else None,
        "case_step": case.step if case else None,
    }


def _scope(request: HttpRequest) -> tuple[int | None, str, int | None]:
    role, hall_id = role_of(request.user)
    if role is None:
        raise Forbidden("no role: ask an administrator for staff rights")
    return request.user.pk, role, hall_id


@router.post(
    "/tickets/{ticket_id}", response={201: RatingOut, 404: Detail, 409: Detail, 422: Detail, 429: Detail}
)
def rate(request: HttpRequest, ticket_id: str, body: RatingIn) -> Status:
    """Rate a served ticket (once; a second or concurrent rating gets 409). 不满意/非常不满意 open a case."""
    ratelimit.check(request, "rate")
    rating = services.rate(ticket_id, body.level, body.comment, body.tags, channel=body.channel)
    return Status(201, rating_out(rating))


@router.post(
    "/tickets/{ticket_id}/rerate",
    response={200: RatingOut, 404: Detail, 409: Detail, 422: Detail, 429: Detail},
)
def rerate(request: HttpRequest, ticket_id: str, body: ReRatingIn) -> dict[str, Any]:
    """The one follow-up rating after the case was rectified; closes the case."""
    ratelimit.check(request, "rate")
    return rating_out(services.rerate(ticket_id, body.level, body.comment))


@router.get("/tickets/{ticket_id}", response={200: RatingOut, 404: Detail})
def rating_of(request: HttpRequest, ticket_id: str) -> dict[str, Any]:
    rating = Rating.objects.select_related("hall").filter(ticket_id=ticket_id).first()
    if rating is None:
        raise NotFound(f"ticket {ticket_id!r} has no rating")
    return rating_out(rating)


@router.get(
    "/tickets/{ticket_id}/link",
    auth=staff_auth,
    response={200: LinkOut, 401: Detail, 403: Detail, 404: Detail},
)
def link(request: HttpRequest, ticket_id: str, purpose: Literal["rate", "rerate"] = "rate") -> dict[str, Any]:
    """The signed SMS link (/r/{token}) of a ticket, for the SMS gateway; expires after 7 (rate)
    or 30 (re-rate) days."""
    ticket = Ticket.objects.select_related("hall").filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(f"no ticket {ticket_id!r}")
    if not can_act(request.user, ticket.hall):
        raise Forbidden(f"no staff rights in hall {ticket.hall.code}")
    return {"ticket": ticket.pk, "purpose": purpose, "path": f"/r/{services.link_token(ticket.pk, purpose)}"}


@router.get("/summary", auth=staff_auth, response={200: SummaryOut, 401: Detail, 403: Detail, 404: Detail})
def summary(request: HttpRequest, hall: str | None = None, since: dt.date | None = None) -> dict[str, Any]:
    """好评率 and counts per hall, zone, window, staff and matter, weekly trend, open cases —
    over what the caller may see."""
    user_id, role, hall_id = _scope(request)
    target = None
    if hall:
        target = Hall.objects.filter(code=hall).first()
        if target is None:
            raise NotFound(f"unknown hall {hall!r}")
        if hall_id is not None and target.pk != hall_id:
            raise Forbidden(f"no rights in hall {hall}")
    return queries.summary(
        target,
        since,
        ratings=queries.scoped_ratings(user_id, role, hall_id),
        cases=queries.scoped_cases(user_id, role, hall_id),
    )


class CaseFilter(Schema):
    hall: str | None = None
    open: bool | None = None
    step: Literal["verify", "callback", "rectify", "rerate", "closed"] | None = None


@router.get("/cases", auth=staff_auth, response={200: list[CaseOut], 401: Detail, 403: Detail})
def cases(request: HttpRequest, filters: Query[CaseFilter]) -> list[dict[str, Any]]:
    """差评 cases with their deadlines, soonest call-back first (at most 500)."""
    found = queries.scoped_cases(*_scope(request))
    if filters.hall:
        found = found.filter(hall__code=filters.hall)
    if filters.open is True:
        found = found.exclude(step=Step.CLOSED)
    elif filters.open is False:
        found = found.filter(step=Step.CLOSED)
    if filters.step:
        found = found.filter(step=filters.step)
    return [queries.case_row(c) for c in found.order_by("callback_due", "id")[:500]]


def _case(request: HttpRequest, case_id: int) -> Case:
    case = queries.scoped_cases(*_scope(request)).filter(pk=case_id).first()
    if case is None:
        raise NotFound(f"no case {case_id}")
    return case


CASE_ERRORS = {401: Detail, 403: Detail, 404: Detail, 409: Detail, 422: Detail}


def _reload(case_id: int) -> dict[str, Any]:
    return queries.case_row(Case.objects.select_related("hall", "rating", "staff").get(pk=case_id))


@router.get("/cases/{case_id}", auth=staff_auth, response={200: CaseOut, **CASE_ERRORS})
def case_detail(request: HttpRequest, case_id: int) -> dict[str, Any]:
    return queries.case_row(_case(request, case_id))


@router.post("/cases/{case_id}/verify", auth=staff_auth, response={200: CaseOut, **CASE_ERRORS})
def verify(request: HttpRequest, case_id: int, body: VerifyIn) -> dict[str, Any]:
    """核实 (manager): finding and what was found."""
    services.verify(_case(request, case_id).pk, request.user, body.finding, body.note)
    return _reload(case_id)


@router.post("/cases/{case_id}/callback", auth=staff_auth, response={200: CaseOut, **CASE_ERRORS})
def call_back(request: HttpRequest, case_id: int, body: NoteIn) -> dict[str, Any]:
    """回访 (manager), due within one working day of the rating."""
    services.call_back(_case(request, case_id).pk, request.user, body.note)
    return _reload(case_id)


@router.post("/cases/{case_id}/rectify", auth=staff_auth, response={200: CaseOut, **CASE_ERRORS})
def rectify(request: HttpRequest, case_id: int, body: NoteIn) -> dict[str, Any]:
    """整改 (manager), due within 15 working days; invites the citizen to rate again."""
    services.rectify(_case(request, case_id).pk, request.user, body.note)
    return _reload(case_id)


@router.post("/cases/{case_id}/appeal", auth=staff_auth, response={200: CaseOut, **CASE_ERRORS})
def appeal(request: HttpRequest, case_id: int, body: AppealIn) -> dict[str, Any]:
    """申诉 by the rated staff member (or a manager), with optional evidence (base64, ≤ 2 MB)."""
    data = None
    if body.evidence_base64:
        try:
            data = base64.b64decode(body.evidence_base64, validate=True)
        except (binascii.Error, ValueError):
            raise Unprocessable("evidence_base64 is not valid base64")
    services.file_appeal(
        _case(request, case_id).pk,
        request.user,
        body.text,
        file_name=body.evidence_name,
        content_type=body.evidence_type,
        data=data,
    )
    return _reload(case_id)


@router.post("/cases/{case_id}/decide", auth=staff_auth, response={200: CaseOut, **CASE_ERRORS})
def decide(request: HttpRequest, case_id: int, body: DecideIn) -> dict[str, Any]:
    """The reviewer's decision on a pending appeal (manager, not the appellant)."""
    services.decide_appeal(_case(request, case_id).pk, request.user, body.upheld, body.note)
    return _reload(case_id)
