"""Guidance search endpoints (CONTRACTS section 3)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from govhall.accounts.auth import staff_auth
from govhall.apischema import ERRORS, Detail

router = Router(tags=["guide"])


class HallOption(Schema):
    hall: str
    name: str
    level: str
    lat: float | None = None
    lon: float | None = None
    distance_km: float | None = None
    zone: str | None = None
    waiting: int
    estimated_wait_seconds: int
    navigation: str | None = None
    ticket: dict[str, Any]


class ChannelOption(Schema):
    channel: str
    label: str


class Route(Schema):
    channel: str = Field(description="lightest channel: app → web → kiosk → hall")
    channel_label: str
    howto: str
    channels: list[ChannelOption]
    max_visits: int
    promised_days: int
    hall_needed: bool
    halls: list[HallOption] = Field(description="halls handling the matter, best (near and short wait) first")


class GuideHit(Schema):
    code: str
    name: str
    score: float
    department: str = ""
    why: str = Field("", description="which words, keyword or situation matched (Chinese, ≤ 30 characters)")
    route: Route | None = None


class AskOption(Schema):
    code: str
    name: str
    label: str


class Ask(Schema):
    question: str
    options: list[AskOption]


class GuideAnswer(Schema):
    query: str
    results: list[GuideHit]
    ask: Ask | None = None


@router.get(
    "/search",
    response=GuideAnswer,
    exclude_none=True,
    summary="Plain words in, ranked matters out, each with its recommended route",
)
def search(
    request: HttpRequest,
    q: str = "",
    top: int = Query(5, ge=1, le=50),
    lat: float | None = Query(None, ge=-90, le=90),
    lon: float | None = Query(None, ge=-180, le=180),
) -> dict[str, Any]:
    from govhall.guide.learning import record_search
    from govhall.guide.services import search_catalog

    answer = search_catalog(q, top=top, lat=lat, lon=lon, routes=True)
    record_search(q, answer)  # a question nobody found goes to the managers' 问题转知识 list
    return answer


class ClickIn(Schema):
    query: str = Field(max_length=500, description="the question as the citizen typed it")
    matter: str = Field(max_length=40, description="code of the result the citizen chose")
    session: str = Field(
        min_length=8, max_length=200, description="anonymous session id (stored only as a salted hash)"
    )


class ClickOut(Schema):
    recorded: bool = Field(description="false when the same click was already stored within the hour")
    key: str = Field(description="the normalised question the click counts for")


class CorrectionIn(Schema):
    query: str = Field(max_length=500)
    matter: str = Field(max_length=40, description="code of the matter that answers the question")


class CorrectionOut(Schema):
    id: int
    query: str
    key: str
    matter: str
    by: str
    at: str


def _feedback_error(exc: Exception) -> Status:
    return Status(getattr(exc, "status", 422), {"detail": str(exc)})


@router.post(
    "/feedback",
    response={202: ClickOut, 404: Detail, 422: Detail},
    summary="Record which result a citizen chose (feeds the learned ranking)",
)
def click(request: HttpRequest, payload: ClickIn) -> Any:
    from govhall.guide import feedback
    from govhall.guide.services import FeedbackError, record_click

    try:
        recorded = record_click(payload.query, payload.matter, payload.session)
    except FeedbackError as exc:
        return _feedback_error(exc)
    return Status(202, {"recorded": recorded, "key": feedback.query_key(payload.query)})


@router.post(
    "/corrections",
    response={201: CorrectionOut, **ERRORS},
    auth=staff_auth,
    summary="Staff: say which matter answers a question (ranks first for it at once)",
)
def correct(request: HttpRequest, payload: CorrectionIn) -> Any:
    from govhall import clock
    from govhall.accounts.services import role_of
    from govhall.guide.services import FeedbackError, record_correction

    role, _ = role_of(request.user)
    if role is None:
        return Status(403, {"detail": "staff only"})
    try:
        row = record_correction(payload.query, payload.matter, request.user)
    except FeedbackError as exc:
        return _feedback_error(exc)
    return Status(
        201,
        {
            "id": row.pk,
            "query": row.query,
            "key": row.key,
            "matter": row.matter_code,
            "by": request.user.get_username(),
            "at": clock.iso(row.at),
        },
    )


# ---------------------------------------------------------------- 问题转知识 (managers)


class QuestionGroupOut(Schema):
    ids: list[int] = Field(description="the open questions of the group (send them back to decide)")
    count: int
    phrase: str = Field(description="the most asked wording (masked)")
    examples: list[str]
    newest_at: str
    sources: dict[str, int] = Field(description="questions per source: search, assistant, handoff")
    guess: GuideHit | None = Field(None, description="the search's current first answer for the phrase")


class QuestionListOut(Schema):
    total_questions: int
    total_groups: int
    groups: list[QuestionGroupOut]


class DecisionIn(Schema):
    ids: list[int] = Field(min_length=1, max_length=5000)
    action: str = Field(description="keyword | scenario | ignore")
    matter: str = Field("", max_length=64, description="matter code (keyword and scenario)")
    phrase: str = Field("", max_length=500, description="the wording to add (masked before it is stored)")


class DecisionOut(Schema):
    id: int
    action: str
    matter: str
    phrase: str
    added: bool = Field(description="false when the matter already had the phrase")
    questions: int
    fresh: bool = Field(description="false when the questions had been decided already (nothing changed)")
    by: str
    at: str


def _manager(request: HttpRequest) -> bool:
    from govhall.accounts.models import RANK, Role
    from govhall.accounts.services import role_of

    role, _ = role_of(request.user)
    return role is not None and RANK[Role(role)] >= RANK[Role.MANAGER]


@router.get(
    "/questions",
    response={200: QuestionListOut, **ERRORS},
    auth=staff_auth,
    summary="Managers: unanswered questions grouped by similarity, largest first",
)
def questions(request: HttpRequest, source: str = "", limit: int = Query(50, ge=1, le=500)) -> Any:
    from govhall import clock
    from govhall.guide import learning

    if not _manager(request):
        return Status(403, {"detail": "managers only / 仅限大厅负责人"})
    if source and source not in learning.SOURCES:
        return Status(422, {"detail": f"unknown source {source!r}: search, assistant or handoff"})
    listing = learning.open_groups(limit=limit, source=source or None)
    return {
        "total_questions": listing.total_questions,
        "total_groups": listing.total_groups,
        "groups": [
            {
                "ids": v.group.ids,
                "count": v.group.count,
                "phrase": v.group.phrase,
                "examples": [i.text for i in v.group.examples()],
                "newest_at": clock.iso(v.group.newest.at),
                "sources": v.group.sources,
                "guess": v.guess,
            }
            for v in listing.groups
        ],
    }


@router.post(
    "/questions/decide",
    response={200: DecisionOut, 201: DecisionOut, **ERRORS},
    auth=staff_auth,
    summary="Managers: add a group's phrase to a matter's keywords or scenarios, or ignore the group",
)
def decide_questions(request: HttpRequest, payload: DecisionIn) -> Any:
    from govhall import clock
    from govhall.guide import learning

    if not _manager(request):
        return Status(403, {"detail": "managers only / 仅限大厅负责人"})
    try:
        outcome = learning.decide(
            payload.ids, payload.action, request.user, matter_code=payload.matter, phrase=payload.phrase
        )
    except learning.LearningError as exc:
        return _feedback_error(exc)
    d = outcome.decision
    return Status(
        201 if outcome.fresh else 200,
        {
            "id": d.pk,
            "action": d.action,
            "matter": d.matter_code,
            "phrase": d.phrase,
            "added": d.added,
            "questions": d.questions,
            "fresh": outcome.fresh,
            "by": d.user.get_username(),
            "at": clock.iso(d.at),
        },
    )
