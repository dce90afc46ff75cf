"""Reads of 好差评: the figures (`summary`, importable by the big screen) and scoped lists.

Good-rating rate (好评率) = ratings whose final level is 非常满意, 满意 or 基本满意, divided by all
ratings counted. "Final" is the follow-up re-rating when there is one, else the first rating;
ratings removed by an upheld appeal are not counted at all; default ratings (默认好评) count as
基本满意, as the national 好差评 rules treat an unrated service, and are reported apart (`auto`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet

from govhall import clock
from govhall.halls.models import Hall, Window, Zone
from govhall.ratings.models import Case, Channel, Level, Rating, Step

GOOD = Q(re_level__isnull=True, level__gte=Level.FAIR) | Q(re_level__gte=Level.FAIR)
FIRST_BAD = Q(level__lte=Level.BAD)


def scoped_ratings(user_id: int | None, role: str, hall_id: int | None) -> QuerySet[Rating]:
    """Staff see their own ratings, managers their hall's, city administrators all."""
    found = Rating.objects.all()
    if role == "staff":
        return found.filter(staff_id=user_id)
    if hall_id is not None:
        return found.filter(hall_id=hall_id)
    return found


def scoped_cases(user_id: int | None, role: str, hall_id: int | None) -> QuerySet[Case]:
    found = Case.objects.select_related("hall", "rating", "staff")
    if role == "staff":
        return found.filter(staff_id=user_id)
    if hall_id is not None:
        return found.filter(hall_id=hall_id)
    return found


def _rate(good: int, total: int) -> float | None:
    return round(good / total, 4) if total else None


def _counts(found: QuerySet[Rating], key: str) -> list[dict[str, Any]]:
    rows = (
        found.values(key)
        .annotate(total=Count("id"), good=Count("id", filter=GOOD), bad=Count("id", filter=FIRST_BAD))
        .order_by(key)
    )
    return [
        {
            "key": r[key],
            "total": r["total"],
            "good": r["good"],
            "bad": r["bad"],
            "good_rate": _rate(r["good"], r["total"]),
        }
        for r in rows
    ]


def _named(
    rows: list[dict[str, Any]], names: dict[Any, str], codes: dict[Any, str] | None = None
) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        key = row.pop("key")
        row["code"] = (codes or {}).get(key, str(key) if key is not None else "")
        row["name"] = names.get(key, "（未记录）" if key is None else str(key))
        out.append(row)
    return sorted(out, key=lambda r: (-(r["total"]), r["code"]))


def week_of(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def summary(
    hall: Hall | str | None = None,
    since: dt.date | dt.datetime | None = None,
    *,
    ratings: QuerySet[Rating] | None = None,
    cases: QuerySet[Case] | None = None,
) -> dict[str, Any]:
    """The 好差评 figures of one hall (a Hall or its code) or the whole city, from `since` (a
    service day, or a moment taken as its UTC date) on. `ratings`/`cases` narrow the scope further
    (the manage pages pass the viewer's)."""
    found = ratings if ratings is not None else Rating.objects.all()
    open_cases = cases if cases is not None else Case.objects.all()
    hall_obj: Hall | None = None
    if isinstance(hall, str):
        hall_obj = Hall.objects.filter(code=hall).first()
        if hall_obj is None:
            raise LookupError(f"unknown hall {hall!r}")
    else:
        hall_obj = hall
    if hall_obj is not None:
        found = found.filter(hall=hall_obj)
        open_cases = open_cases.filter(hall=hall_obj)
    if since is not None:
        day = since.astimezone(clock.UTC).date() if isinstance(since, dt.datetime) else since
        found = found.filter(service_day__gte=day)
    found = found.filter(excluded=False)
    totals = found.aggregate(
        total=Count("id"),
        good=Count("id", filter=GOOD),
        bad=Count("id", filter=FIRST_BAD),
        auto=Count("id", filter=Q(channel=Channel.AUTO)),
        rerated=Count("id", filter=Q(re_level__isnull=False)),
    )
    levels = dict(found.values_list("level").annotate(n=Count("id")))
    now = clock.now()
    open_cases = open_cases.exclude(step=Step.CLOSED)
    overdue = open_cases.filter(
        Q(step__in=[Step.VERIFY, Step.CALLBACK], callback_due__lt=now)
        | Q(step__in=[Step.VERIFY, Step.CALLBACK, Step.RECTIFY], rectify_due__lt=now)
    ).count()

    hall_ids = {r["key"] for r in _counts(found, "hall_id")}
    halls = {h.pk: h for h in Hall.objects.filter(pk__in=hall_ids)}
    zone_rows = _counts(found, "zone_id")
    zones = {
        z.pk: z for z in Zone.objects.filter(pk__in=[r["key"] for r in zone_rows]).select_related("hall")
    }
    window_rows = _counts(found, "window_id")
    windows = {
        w.pk: w for w in Window.objects.filter(pk__in=[r["key"] for r in window_rows]).select_related("hall")
    }
    staff_rows = _counts(found, "staff_id")
    people = {
        u.pk: (u.get_full_name() or u.get_username())  # type: ignore[attr-defined]
        for u in get_user_model().objects.filter(pk__in=[r["key"] for r in staff_rows if r["key"]])
    }
    matter_rows = _counts(found, "matter_code")
    from govhall.catalog.queries import matters_by_code

    matters = matters_by_code({r["key"] for r in matter_rows})

    weekly: dict[str, dict[str, int]] = {}
    for day, total, good in (
        found.values_list("service_day")
        .annotate(total=Count("id"), good=Count("id", filter=GOOD))
        .order_by("service_day")
    ):
        week = weekly.setdefault(week_of(day), {"total": 0, "good": 0})
        week["total"] += total
        week["good"] += good

    return {
        "hall": hall_obj.code if hall_obj else None,
        "since": since.isoformat() if since is not None else None,
        "definition": "好评率 = 最终评价为非常满意、满意或基本满意的件数 ÷ 评价总件数（申诉成立的不计）",
        "total": totals["total"],
        "good": totals["good"],
        "bad": totals["bad"],
        "auto": totals["auto"],
        "rerated": totals["rerated"],
        "good_rate": _rate(totals["good"], totals["total"]),
        "levels": {str(level.value): levels.get(level.value, 0) for level in Level},
        "open_cases": open_cases.count(),
        "overdue_cases": overdue,
        "by_hall": _named(
            _counts(found, "hall_id"),
            {k: h.name for k, h in halls.items()},
            {k: h.code for k, h in halls.items()},
        ),
        "by_zone": _named(
            zone_rows,
            {k: f"{z.hall.name} {z.name}" for k, z in zones.items()},
            {k: f"{z.hall.code}/{z.code}" for k, z in zones.items()},
        ),
        "by_window": _named(
            window_rows,
            {k: f"{w.hall.name} {w.name}" for k, w in windows.items()},
            {k: f"{w.hall.code}/{w.code}" for k, w in windows.items()},
        ),
        "by_staff": _named(staff_rows, people, {k: str(k) for k in people}),
        "by_matter": _named(matter_rows, {k: m.name for k, m in matters.items()}),
        "weekly": [
            {"week": week, "total": v["total"], "good": v["good"], "good_rate": _rate(v["good"], v["total"])}
            for week, v in sorted(weekly.items())
        ],
    }


def due_text(due: dt.datetime | None, tz: str) -> str:
    """A deadline (local midnight after the last day) as people say it: 2026-11-25 24:00前."""
    if due is None:
        return ""
    last = clock.local(due, tz) - dt.timedelta(seconds=1)
    return f"{last:%Y-%m-%d} 24:00前" if last.time() == dt.time(23, 59, 59) else f"{last:%Y-%m-%d %H:%M}前"


def case_row(case: Case) -> dict[str, Any]:
    tz = case.hall.timezone
    rating = case.rating
    now = clock.now()
    overdue = []
    if case.step in (Step.VERIFY, Step.CALLBACK) and case.callback_due < now:
        overdue.append("callback")
    if case.step in (Step.VERIFY, Step.CALLBACK, Step.RECTIFY) and case.rectify_due < now:
        overdue.append("rectify")
    return {
        "id": case.pk,
        "hall": case.hall.code,
        "hall_name": case.hall.name,
        "ticket": rating.ticket_number,
        "ticket_id": rating.ticket_id,
        "window": rating.window_code,
        "matter": rating.matter_code,
        "level": rating.level,
        "level_label": rating.get_level_display(),
        "comment": rating.comment,
        "tags": rating.tags,
        "re_level": rating.re_level,
        "step": case.step,
        "step_label": case.get_step_display(),
        "opened_at": clock.iso(case.opened_at, tz),
        "callback_due": clock.iso(case.callback_due, tz),
        "rectify_due": clock.iso(case.rectify_due, tz),
        "rerate_due": clock.iso(case.rerate_due, tz) or None,
        "callback_due_text": due_text(case.callback_due, tz),
        "rectify_due_text": due_text(case.rectify_due, tz),
        "rerate_due_text": due_text(case.rerate_due, tz),
        "closed_at": clock.iso(case.closed_at, tz) or None,
        "close_reason": case.close_reason,
        "appeal": case.appeal,
        "finding": case.finding,
        "overdue": overdue,
        "staff": (case.staff.get_full_name() or case.staff.get_username()) if case.staff else "",  # type: ignore[attr-defined]
    }
