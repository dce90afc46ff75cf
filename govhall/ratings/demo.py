"""Demo ratings: most served demo tickets rated (~97% good), a few 差评 cases, some still open.

Called by the demo loader after the ticket history: `load(rng, now)`. Idempotent (tickets that
already have a rating are skipped) and fast: bulk inserts, no per-row services.
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef

from govhall import clock
from govhall.accounts.models import Membership, Role
from govhall.halls.models import Hall
from govhall.queueing.models import Status, Ticket
from govhall.ratings.models import BAD_LEVELS, Case, Channel, CloseReason, Finding, Level, Rating, Step
from govhall.ratings.services import calendar_of
from govhall.ratings.workdays import Calendar

RATED_SHARE = 0.72
# 非常满意, 满意, 基本满意, 不满意, 非常不满意: 97.5% good, as halls report (Haishu: 99.99%)
LEVEL_WEIGHTS = [
    (Level.VERY_GOOD, 70.0),
    (Level.GOOD, 20.0),
    (Level.FAIR, 7.5),
    (Level.BAD, 2.0),
    (Level.VERY_BAD, 0.5),
]
CHANNEL_WEIGHTS = [(Channel.PAD, 55.0), (Channel.PHONE, 35.0), (Channel.SMS, 10.0)]
OPEN_CASE_DAYS = 3  # 差评 of the last days stay open, at several steps
BAD_COMMENTS = {
    "attitude": "工作人员态度不耐烦",
    "waiting": "排队等了很久",
    "materials": "材料要求没有一次说清楚，跑了两趟",
    "efficiency": "办理太慢",
}
GOOD_COMMENTS = ["办事很快，点赞", "工作人员很耐心", "", "", "", "一次办好"]


def _pick(rng: random.Random, weights: list[tuple[Any, float]]) -> Any:
    values, w = zip(*weights, strict=True)
    return rng.choices(values, weights=w, k=1)[0]


def load(rng: random.Random, now: dt.datetime | None = None) -> None:
    now = now or clock.now()
    tickets = list(
        Ticket.objects.filter(status=Status.SERVED, finished_at__lte=now)
        .exclude(Exists(Rating.objects.filter(ticket_id=OuterRef("pk"))))
        .order_by("issued_at", "id")
        .values(
            "id",
            "hall_id",
            "zone_id",
            "window_id",
            "window_code",
            "matter_code",
            "number",
            "service_day",
            "finished_at",
        )
    )
    if not tickets:
        return
    staff: dict[int, list[int]] = {}
    for user_id, hall_id in Membership.objects.filter(role=Role.STAFF, hall__isnull=False).values_list(
        "user_id", "hall_id"
    ):
        staff.setdefault(hall_id, []).append(user_id)
    rows = []
    for t in tickets:
        # decided by the ticket id, not the rng: a second load leaves the unrated ones unrated
        if zlib.crc32(t["id"].encode()) % 1000 >= RATED_SHARE * 1000:
            continue
        level = _pick(rng, LEVEL_WEIGHTS)
        tags: list[str] = []
        comment = ""
        if level in BAD_LEVELS:
            tag = rng.choice(list(BAD_COMMENTS))
            tags, comment = [tag], BAD_COMMENTS[tag]
        elif rng.random() < 0.15:
            comment = rng.choice(GOOD_COMMENTS)
        people = sorted(staff.get(t["hall_id"], []))
        # the same window's staff member on a given day, so per-staff figures look like a roster
        slot = zlib.crc32(f"{t['window_code']}:{t['service_day']}".encode())
        who = people[slot % len(people)] if people else None
        finished: dt.datetime = t["finished_at"] or now
        rated_at = min(finished + dt.timedelta(minutes=rng.uniform(0.5, 90)), now)
        rows.append(
            Rating(
                ticket_id=t["id"],
                hall_id=t["hall_id"],
                zone_id=t["zone_id"],
                window_id=t["window_id"],
                window_code=t["window_code"],
                staff_id=who,
                matter_code=t["matter_code"],
                ticket_number=t["number"],
                service_day=t["service_day"],
                level=level,
                comment=comment,
                tags=tags,
                channel=_pick(rng, CHANNEL_WEIGHTS),
                rated_at=rated_at,
            )
        )
    with transaction.atomic(durable=True):
        Rating.objects.bulk_create(rows, batch_size=2000)
        bad_ids = [r.ticket_id for r in rows if r.level in BAD_LEVELS]
        bad = list(Rating.objects.filter(ticket_id__in=bad_ids).select_related("hall"))
        calendars = {h.pk: calendar_of(h) for h in {r.hall for r in bad}}
        Case.objects.bulk_create([_case(rng, r, now, calendars[r.hall_id]) for r in bad], batch_size=1000)
        rerated = [r for r in bad if r.re_level is not None]
        Rating.objects.bulk_update(rerated, ["re_level", "re_comment", "re_rated_at"], batch_size=1000)


def _case(rng: random.Random, rating: Rating, now: dt.datetime, cal: Calendar) -> Case:
    hall: Hall = rating.hall
    opened = rating.rated_at
    local = clock.local(opened, hall.timezone)
    callback_due = cal.deadline(local, 1).astimezone(clock.UTC)
    rectify_due = cal.deadline(local, 15).astimezone(clock.UTC)
    case = Case(
        rating=rating,
        hall=hall,
        staff_id=rating.staff_id,
        opened_at=opened,
        callback_due=callback_due,
        rectify_due=rectify_due,
    )
    age = now - opened
    if age < dt.timedelta(days=OPEN_CASE_DAYS):
        # open: some not yet verified, some called back and being rectified
        stage = rng.choice([Step.VERIFY, Step.CALLBACK, Step.RECTIFY])
        if stage != Step.VERIFY:
            case.verified_at = opened + dt.timedelta(hours=2)
            case.finding, case.verify_note = Finding.TRUE, "调取录像核实，情况属实"
            case.step = Step.CALLBACK
        if stage == Step.RECTIFY:
            case.called_back_at = opened + dt.timedelta(hours=5)
            case.callback_note = "已电话回访，向办事人致歉并说明改进措施"
            case.step = Step.RECTIFY
        return case
    case.verified_at = opened + dt.timedelta(hours=2)
    case.finding = rng.choice([Finding.TRUE, Finding.TRUE, Finding.PARTLY])
    case.verify_note = "调取录像和办件记录核实"
    case.called_back_at = opened + dt.timedelta(hours=6)
    case.callback_note = "已电话回访，办事人表示理解"
    case.rectified_at = opened + min(dt.timedelta(days=rng.uniform(1, 10)), age - dt.timedelta(days=1))
    case.rectify_note = rng.choice(["开展服务规范培训", "一次性告知单补充材料说明", "高峰时段增开潮汐窗口"])
    case.rerate_due = case.rectified_at + dt.timedelta(days=7)
    case.step = Step.CLOSED
    if rng.random() < 0.7:
        rating.re_level = _pick(rng, [(Level.VERY_GOOD, 30.0), (Level.GOOD, 50.0), (Level.FAIR, 20.0)])
        rating.re_comment = "整改后满意"
        rating.re_rated_at = min(case.rectified_at + dt.timedelta(hours=20), now)
        case.closed_at, case.close_reason = rating.re_rated_at, CloseReason.RERATED
    else:
        case.closed_at, case.close_reason = case.rerate_due, CloseReason.NO_RERATING
    if case.closed_at > now:
        case.closed_at = now
    return case
