"""The month's raw figures per staff member, gathered from attendance, honours, ratings and tickets,
scored by `scoring.compute`, and exported to Excel.

Who handled a ticket: the user who finished it (its `finish` audit row); a ticket without one
(imported history) goes to whoever clocked in at the console of that window that day.
Handling time = finished_at − started_at (or called_at when it was never started).
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from typing import Any

from django.db.models import Sum

from govhall.halls.models import Hall
from govhall.queueing.models import Status, Ticket, TicketEvent
from govhall.staff import attendance, scoring
from govhall.staff.models import Honour, Punch, StaffProfile

try:  # the ratings app is optional: without its Rating model the component is left out
    from govhall.ratings.models import GOOD_LEVELS, Rating
except ImportError:  # pragma: no cover - depends on the installed apps
    Rating = None  # type: ignore[assignment,misc]
    GOOD_LEVELS = ()  # type: ignore[assignment]


def ratings_available() -> bool:
    return Rating is not None


def ratings_by_user(hall: Hall, first: dt.date, last: dt.date) -> dict[int, tuple[int, int]]:
    """(good, total) per staff user; a re-rating replaces the first, upheld appeals don't count."""
    if Rating is None:
        return {}
    found: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    good_levels = {int(level) for level in GOOD_LEVELS}
    for staff_id, level, re_level in Rating.objects.filter(
        hall=hall, service_day__gte=first, service_day__lte=last, staff__isnull=False, excluded=False
    ).values_list("staff_id", "level", "re_level"):
        final = re_level if re_level is not None else level
        found[staff_id][1] += 1
        found[staff_id][0] += 1 if final in good_levels else 0
    return {k: (v[0], v[1]) for k, v in found.items()}


def handled_tickets(hall: Hall, first: dt.date, last: dt.date) -> list[tuple[int | None, str, float]]:
    """(user id or None, matter code, handling seconds) of every served ticket of the hall."""
    tickets = list(
        Ticket.objects.filter(
            hall=hall,
            service_day__gte=first,
            service_day__lte=last,
            status=Status.SERVED,
            finished_at__isnull=False,
        ).values_list(
            "id", "matter_code", "service_day", "window_code", "called_at", "started_at", "finished_at"
        )
    )
    finishers = dict(
        TicketEvent.objects.filter(
            ticket__hall=hall,
            ticket__service_day__gte=first,
            ticket__service_day__lte=last,
            action="finish",
            actor__isnull=False,
        ).values_list("ticket_id", "actor_id")
    )
    seated: dict[tuple[dt.date, str], int] = {}
    for user_id, day, window_code in (
        Punch.objects.filter(hall=hall, day__gte=first, day__lte=last, kind=Punch.Kind.IN)
        .exclude(window_code="")
        .order_by("at", "id")
        .values_list("user_id", "day", "window_code")
    ):
        seated.setdefault((day, window_code), user_id)
    result = []
    for ticket_id, matter, day, window_code, called, started, finished in tickets:
        begin = started or called
        if begin is None or finished is None:
            continue
        who = finishers.get(ticket_id) or seated.get((day, window_code))
        result.append((who, matter, max(0.0, (finished - begin).total_seconds())))
    return result


def month_figures(hall: Hall, year: int, month: int) -> list[scoring.Figures]:
    days = attendance.month_days(year, month)
    first, last = days[0], days[-1]
    profiles = list(StaffProfile.objects.filter(hall=hall, active=True).select_related("user"))
    months = {pm.profile.user_id: pm.counts for pm in attendance.month_view(hall, year, month, profiles)}
    honours = dict(
        Honour.objects.filter(hall=hall, on__gte=first, on__lte=last)
        .values("user_id")
        .annotate(total=Sum("points"))
        .values_list("user_id", "total")
    )
    rated = ratings_by_user(hall, first, last)
    handled = handled_tickets(hall, first, last)
    by_matter: dict[str, list[float]] = defaultdict(list)
    for _, matter, seconds in handled:
        by_matter[matter].append(seconds)
    matter_mean = {m: sum(v) / len(v) for m, v in by_matter.items()}
    per_user: dict[int, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for who, matter, seconds in handled:
        if who is None:
            continue
        row = per_user[who]
        row[0] += 1
        row[1] += seconds
        row[2] += matter_mean[matter]
    people = []
    for p in profiles:
        counts = months[p.user_id]
        good, total = rated.get(p.user_id, (0, 0))
        count, seconds, expected = per_user.get(p.user_id, [0, 0.0, 0.0])
        people.append(
            scoring.Figures(
                user_id=p.user_id,
                name=p.name,
                due_days=counts["due"],
                absent=counts["absent"],
                late=counts["late"],
                early=counts["early"],
                honour_points=int(honours.get(p.user_id, 0) or 0),
                ratings_good=good,
                ratings_total=total,
                handled=int(count),
                handling_seconds=float(seconds),
                expected_seconds=float(expected),
            )
        )
    return people


def ranking(hall: Hall, year: int, month: int) -> list[scoring.Score]:
    rules = attendance.hall_rules(hall)
    return scoring.compute(
        month_figures(hall, year, month), rules.weights(), ratings_available=ratings_available()
    )


def score_dict(score: scoring.Score, profile: StaffProfile | None = None) -> dict[str, Any]:
    return {
        "user_id": score.user_id,
        "username": profile.user.get_username() if profile else "",
        "employee_no": profile.employee_no if profile else "",
        "name": score.name,
        "rank": score.rank,
        "score": score.score,
        "components": [
            {
                "key": c.key,
                "label": c.label,
                "raw": c.raw,
                "raw_text": c.raw_text,
                "normalised": c.normalised,
                "weight": c.weight,
                "points": c.points,
            }
            for c in score.components
        ],
    }


def export_xlsx(rows: list[tuple[Hall, list[dict[str, Any]]]], year: int, month: int) -> bytes:
    """One sheet per hall: rank, person, score, then raw figure / normalised / weight / points per
    component."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for hall, scores in rows:
        sheet = book.create_sheet(title=f"{hall.code}"[:31])
        sheet.append([f"{hall.name} {year}年{month}月 绩效排名"])
        head = ["排名", "工号", "姓名", "总分"]
        for label in scoring.COMPONENTS.values():
            head += [f"{label}·原始数据", f"{label}·标准化", f"{label}·权重", f"{label}·得分"]
        sheet.append(head)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for s in scores:
            line: list[Any] = [s["rank"], s["employee_no"], s["name"], s["score"]]
            by_key = {c["key"]: c for c in s["components"]}
            for key in scoring.COMPONENTS:
                c = by_key.get(key)
                line += (
                    [c["raw_text"], c["normalised"], c["weight"], c["points"]] if c else ["不计入", "", 0, 0]
                )
            sheet.append(line)
    if not rows:
        book.create_sheet(title="无数据")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ranking_rows(hall: Hall, year: int, month: int) -> list[dict[str, Any]]:
    profiles = {p.user_id: p for p in StaffProfile.objects.filter(hall=hall).select_related("user")}
    return [score_dict(s, profiles.get(s.user_id)) for s in ranking(hall, year, month)]
