"""Weekly and monthly reports: periods, claiming, generating (figures + PDF) and the schedule.

A report's figures come from the tickets of its period read as ticket-log rows (`rows.log_rows`,
the rows `tickets export-log` writes), the alerts raised and the tidal windows opened in it, the
staff who finished tickets, and ratings when the ratings app has them.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q

from govhall import clock
from govhall.dashboard import ratings, report_figures
from govhall.dashboard.models import CITY, Report, TidalOpening
from govhall.dashboard.rows import log_rows
from govhall.halls.models import Hall, Window, Zone
from govhall.monitor.models import Alert
from govhall.queueing.models import Ticket, TicketEvent
from govhall.realtime.models import HallEvent

log = logging.getLogger(__name__)
CLAIM = dt.timedelta(minutes=10)  # a claim older than this belongs to a worker that died
SCHEDULE_TZ = "Asia/Shanghai"
MAX_PER_RUN = 8  # reports one schedule run generates (the rest wait for the next run)


class ReportError(ValueError):
    """Bad report request: shown to the user as is."""


# --- periods -------------------------------------------------------------------


def period_of(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The week (Monday to Sunday) or calendar month containing `day`."""
    if kind == Report.Kind.WEEK:
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    if kind == Report.Kind.MONTH:
        start = day.replace(day=1)
        following = (start + dt.timedelta(days=32)).replace(day=1)
        return start, following - dt.timedelta(days=1)
    raise ReportError(f"unknown report kind {kind!r}: week or month")


def last_complete(kind: str, today: dt.date) -> tuple[dt.date, dt.date]:
    start, _ = period_of(kind, today)
    return period_of(kind, start - dt.timedelta(days=1))


def recent_periods(kind: str, today: dt.date, count: int = 8) -> list[tuple[dt.date, dt.date]]:
    """The current period first, then the ones before it."""
    found = [period_of(kind, today)]
    while len(found) < count:
        found.append(period_of(kind, found[-1][0] - dt.timedelta(days=1)))
    return found


def title(kind: str, scope_name: str, start: dt.date, end: dt.date) -> str:
    if kind == Report.Kind.MONTH:
        return f"{scope_name} {start.year}年{start.month}月 政务服务月报"
    year, week, _ = start.isocalendar()
    return f"{scope_name} {year}年第{week}周（{start:%m.%d}–{end:%m.%d}）政务服务周报"


CITY_NAME = "全市"


def scope_name(report: Report) -> str:
    return report.hall.name if report.hall else CITY_NAME


# --- tidal openings ----------------------------------------------------------------


def harvest_tidal() -> int:
    """Copy new tidal-window openings from the halls' event logs (pruned later) into TidalOpening."""
    done = dict(TidalOpening.objects.values_list("hall_id").annotate(top=Max("seq")))
    new = []
    for hall_id in Hall.objects.values_list("pk", flat=True):
        events = HallEvent.objects.filter(
            hall_id=hall_id,
            type="window.changed",
            seq__gt=done.get(hall_id, 0),
            payload__window__tidal=True,
            payload__window__state=Window.State.OPEN,
        ).values_list("seq", "payload", "created_at")
        for seq, payload, at in events:
            window = payload.get("window") or {}
            if window.get("from") == Window.State.OPEN:
                continue
            new.append(
                TidalOpening(
                    hall_id=hall_id,
                    seq=seq,
                    window_code=str(window.get("code", ""))[:32],
                    window_name=str(window.get("name", ""))[:100],
                    at=at,
                )
            )
    return len(TidalOpening.objects.bulk_create(new, ignore_conflicts=True))


# --- requesting and claiming ------------------------------------------------------


def request(
    kind: str, hall: Hall | None, day: dt.date, *, by: str = "", now: dt.datetime | None = None
) -> Report:
    """The report of the period containing `day` (created pending if new; a finished or failed one is
    set pending again, to be generated anew)."""
    now = now or clock.now()
    start, end = period_of(kind, day)
    scope = hall.code if hall else CITY
    try:
        with transaction.atomic():
            report, created = Report.objects.get_or_create(
                kind=kind,
                scope=scope,
                period_start=start,
                defaults={"hall": hall, "period_end": end, "created_at": now, "requested_by": by},
            )
    except IntegrityError:  # someone created it a moment ago
        report, created = Report.objects.get(kind=kind, scope=scope, period_start=start), False
    if not created:
        Report.objects.filter(pk=report.pk, state__in=[Report.State.DONE, Report.State.FAILED]).update(
            state=Report.State.PENDING, requested_by=by, version=F("version") + 1
        )
        report.refresh_from_db()
    return report


def claim(report: Report, now: dt.datetime) -> bool:
    """Compare-and-swap on `version`: True for the one caller that may generate it now."""
    report.refresh_from_db(fields=["state", "version", "claimed_until"])
    free = report.state == Report.State.PENDING or (
        report.state == Report.State.RUNNING and (report.claimed_until is None or report.claimed_until < now)
    )
    if not free:
        return False
    claimed = Report.objects.filter(pk=report.pk, version=report.version).update(
        state=Report.State.RUNNING, version=F("version") + 1, claimed_until=now + CLAIM
    )
    if claimed == 1:
        report.refresh_from_db(fields=["state", "version", "claimed_until"])
    return claimed == 1


# --- generating ------------------------------------------------------------------


def _local_date(moment: dt.datetime, tz: str, cache: dict[str, ZoneInfo]) -> dt.date:
    zone = cache.get(tz) or cache.setdefault(tz, ZoneInfo(tz))
    return moment.astimezone(zone).date()


def figures(kind: str, hall: Hall | None, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Everything a report shows, as JSON-ready data."""
    from govhall.catalog.models import Matter

    halls = [hall] if hall else list(Hall.objects.order_by("level", "code"))
    hall_ids = [h.pk for h in halls]
    rows = log_rows(hall=hall, since=start, until=end)
    zone_names = {
        (code, z): name
        for code, z, name in Zone.objects.filter(hall__in=hall_ids).values_list("hall__code", "code", "name")
    }
    window_names = {
        (code, w): name
        for code, w, name in Window.objects.filter(hall__in=hall_ids).values_list(
            "hall__code", "code", "name"
        )
    }
    matter_names = dict(Matter.objects.filter(code__in={r.matter for r in rows}).values_list("code", "name"))
    # a margin of a day each side for time zones; compute() keeps what falls in the period
    after = dt.datetime.combine(start - dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    before = dt.datetime.combine(end + dt.timedelta(days=2), dt.time(), tzinfo=dt.UTC)
    zones: dict[str, ZoneInfo] = {}
    alerts = [
        (h, z, kind_, _local_date(at, tz, zones))
        for h, z, kind_, at, tz in Alert.objects.filter(
            hall__in=hall_ids, at__gte=after, at__lt=before
        ).values_list("hall__code", "zone__code", "kind", "at", "hall__timezone")
    ]
    tidal = [
        (h, name, code, _local_date(at, tz, zones))
        for h, name, code, at, tz in TidalOpening.objects.filter(
            hall__in=hall_ids, at__gte=after, at__lt=before
        ).values_list("hall__code", "window_name", "window_code", "at", "hall__timezone")
    ]
    staff = []
    for h, username, first, last, called, at in TicketEvent.objects.filter(
        action="finish",
        actor__isnull=False,
        ticket__hall__in=hall_ids,
        ticket__service_day__gte=start,
        ticket__service_day__lte=end,
    ).values_list(
        "ticket__hall__code",
        "actor__username",
        "actor__first_name",
        "actor__last_name",
        "ticket__called_at",
        "at",
    ):
        name = f"{last}{first}".strip() or username
        staff.append((h, name, (at - called).total_seconds() if called else None))
    period_from = dt.datetime.combine(
        start, dt.time(), tzinfo=ZoneInfo(halls[0].timezone if halls else SCHEDULE_TZ)
    )
    period_to = period_from + dt.timedelta(days=(end - start).days + 1)
    found = report_figures.compute(
        rows,
        start=start,
        end=end,
        city=hall is None,
        hall_names={h.code: h.name for h in halls},
        zone_names=zone_names,
        matter_names=matter_names,
        window_names=window_names,
        alerts=alerts,
        tidal=tidal,
        staff=staff,
        ratings=ratings.summary(None if hall is None else hall_ids, period_from, period_to),
    )
    name = hall.name if hall else CITY_NAME
    return {
        "title": title(kind, name, start, end),
        "kind": kind,
        "scope": hall.code if hall else CITY,
        "scope_name": name,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "halls": len(halls),
        **found,
    }


def generate(report: Report, now: dt.datetime | None = None, *, pdf: bool = True) -> Report:
    """Compute and store a claimed report's figures, then its PDF (a PDF failure keeps the figures)."""
    now = now or clock.now()
    try:
        report.data = figures(report.kind, report.hall, report.period_start, report.period_end)
    except Exception as exc:
        log.exception("report %s failed", report.pk)
        Report.objects.filter(pk=report.pk).update(state=Report.State.FAILED, error=str(exc)[:500])
        report.refresh_from_db()
        return report
    report.generated_at = now
    report.error = ""
    report.pdf = None
    report.pdf_seconds = None
    if pdf:
        from govhall.dashboard import pdf as pdf_render

        started = time.monotonic()
        try:
            report.pdf = pdf_render.render(report)
            report.pdf_seconds = round(time.monotonic() - started, 2)
        except Exception as exc:
            log.exception("PDF of report %s failed", report.pk)
            report.error = f"PDF: {exc}"[:500]
    report.state = Report.State.DONE
    report.claimed_until = None
    report.save(
        update_fields=["data", "generated_at", "error", "pdf", "pdf_seconds", "state", "claimed_until"]
    )
    return report


def generate_now(kind: str, hall: Hall | None, day: dt.date, *, by: str, pdf: bool = True) -> Report:
    """The manage page's "generate now": request, claim and generate at once (ReportError when another
    worker is generating it right now)."""
    now = clock.now()
    report = request(kind, hall, day, by=by, now=now)
    if not claim(report, now):
        raise ReportError("该报表正在由后台生成，请稍后刷新")
    return generate(report, now, pdf=pdf)


# --- the schedule ------------------------------------------------------------------


def _has_tickets(hall: Hall | None, start: dt.date, end: dt.date) -> bool:
    found = Ticket.objects.filter(service_day__gte=start, service_day__lte=end)
    return (found.filter(hall=hall) if hall else found).exists()


def schedule(now: dt.datetime) -> int:
    """The worker's task: last week's and last month's reports for every hall with tickets and for
    the city, created once; then generate a few claimed ones. Returns the number generated."""
    harvest_tidal()
    today = clock.service_day(now, SCHEDULE_TZ)
    halls: list[Hall | None] = [None, *Hall.objects.order_by("level", "code")]
    for kind in (Report.Kind.WEEK, Report.Kind.MONTH):
        start, end = last_complete(kind, today)
        existing = set(Report.objects.filter(kind=kind, period_start=start).values_list("scope", flat=True))
        for hall in halls:
            scope = hall.code if hall else CITY
            if scope in existing or not _has_tickets(hall, start, end):
                continue
            Report.objects.bulk_create(
                [
                    Report(
                        kind=kind, scope=scope, hall=hall, period_start=start, period_end=end, created_at=now
                    )
                ],
                ignore_conflicts=True,
            )
    done = 0
    due = Report.objects.filter(
        Q(state=Report.State.PENDING) | Q(state=Report.State.RUNNING, claimed_until__lt=now)
    ).select_related("hall")
    for report in due.order_by("created_at", "pk")[: MAX_PER_RUN * 2]:
        if done >= MAX_PER_RUN:
            break
        if claim(report, now):
            generate(report, now)
            done += 1
    return done
