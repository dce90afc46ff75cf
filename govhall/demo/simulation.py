"""Live demo traffic (arrivals, windows calling and serving) for `make demo`.

`tick(now)` runs every 2 s in the worker started with `--simulate`. It acts only through the
queueing services, the way staff and citizens would, and reads everything it needs from the
database: a ticket's fate comes from a generator seeded by the ticket (`traffic.plan`), times
from the ticket's own columns, so the worker can restart at any moment. In memory are only the
random generator and the time of the previous tick (to scale arrivals to the time elapsed).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import random
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError
from django.db.models import Count

from govhall import clock
from govhall.demo import traffic
from govhall.halls import queries as hall_queries
from govhall.halls.models import Hall, Window, Zone, ZoneMatter
from govhall.queueing import policy
from govhall.queueing.errors import QueueError
from govhall.queueing.models import AT_WINDOW, Status, Ticket
from govhall.queueing.services import call_next, issue_ticket, perform, set_window_state

log = logging.getLogger("govhall.demo")

DEFAULT_STEP = 2.0  # the worker's period
MAX_STEP = 30.0  # after a pause or restart, don't flood the halls
RECALL_AFTER = 20.0  # seconds a called citizen has before being announced again
MAX_RECALLS = 2
BREAK_SHARE = 0.005  # after one ticket in 200 the window takes a short break
BREAK_MEAN = 90.0  # and comes back after about 1.5 min
CALL_LAG = 3.0  # staff press "call next" a few seconds after a window frees

_rng = random.Random()
_last_tick: dt.datetime | None = None


def seed(value: int | str | None) -> None:
    """Make the next ticks repeatable (tests)."""
    global _last_tick
    _rng.seed(value)
    _last_tick = None


def _chance(step: float, mean: float) -> bool:
    """Whether a memoryless event with this mean waiting time happens during `step` seconds."""
    return _rng.random() < 1 - math.exp(-step / mean)


def _try(action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run one service call; a refusal (409 …) or a busy database is skipped, never fatal."""
    try:
        return action(*args, **kwargs)
    except QueueError as exc:
        log.debug("demo traffic: %s refused: %s", getattr(action, "__name__", action), exc.detail)
    except DatabaseError as exc:
        log.info("demo traffic: database busy, skipping %s: %s", getattr(action, "__name__", action), exc)
    return None


def tick(now: dt.datetime) -> None:
    global _last_tick
    step = DEFAULT_STEP
    if _last_tick is not None:
        step = min(max((now - _last_tick).total_seconds(), 0.0), MAX_STEP)
    _last_tick = now
    try:
        halls = list(Hall.objects.filter(windows__isnull=False).distinct().order_by("level", "code"))
    except DatabaseError:
        log.warning("demo traffic: cannot read the halls", exc_info=True)
        return
    for hall in halls:
        try:
            _tick_hall(hall, now, step)
        except Exception:  # one hall's trouble must not stop the others or the worker
            log.exception("demo traffic failed in hall %s", hall.code)


def _tick_hall(hall: Hall, now: dt.datetime, step: float) -> None:
    local = clock.local(now, hall.timezone)
    is_open = hall_queries.is_open(hall, now)
    windows = list(Window.objects.filter(hall=hall).prefetch_related("zones").order_by("position", "code"))
    zones = {z.pk: z for z in Zone.objects.filter(hall=hall)}
    current: dict[int | None, Ticket] = {
        t.window_id: t
        for t in Ticket.objects.filter(hall=hall, status__in=AT_WINDOW, window__isnull=False).select_related(
            "zone"
        )
    }
    # Tickets at the counter are served to the end even after closing time.
    for window_id, ticket in list(current.items()):
        if _advance(hall, ticket, zones, now):
            del current[window_id]
    if not is_open:
        return
    waiting: dict[int, int] = defaultdict(int)
    for row in (
        Ticket.objects.filter(hall=hall, status=Status.WAITING).values("zone_id").annotate(n=Count("id"))
    ):
        waiting[row["zone_id"]] = row["n"]
    zone_codes = {z.pk: z.code for z in zones.values()}
    served_zones = {w.pk: [z.pk for z in w.zones.all()] for w in windows}

    def calm(window: Window) -> bool:
        """A tidal window's zones are back under half their yellow line."""
        return all(
            waiting[z] < max(1, (zones[z].yellow_waiting or 0) // 2)
            for z in served_zones[window.pk]
            if z in zones
        )

    _tidal(windows, zones, waiting, current, served_zones, calm)
    _breaks(windows, current, step)
    _arrivals(hall, windows, zones, waiting, served_zones, zone_codes, local.hour, step)
    for window in windows:
        if window.state != Window.State.OPEN or window.pk in current:
            continue
        if window.tidal and calm(window):
            continue
        if _chance(step, CALL_LAG):
            ticket = _try(call_next, window)
            if ticket is not None:
                current[window.pk] = ticket


def _advance(hall: Hall, ticket: Ticket, zones: dict[int, Zone], now: dt.datetime) -> bool:
    """Move a called or serving ticket on; True when it has left the window."""
    fate = traffic.plan(ticket.id, ticket.zone.code)
    if ticket.status == Status.CALLED:
        since_call = (now - (ticket.last_called_at or ticket.called_at or now)).total_seconds()
        if fate.no_show:
            if since_call < RECALL_AFTER:
                return False
            limit = min(MAX_RECALLS, int(policy.settings_of(hall.policy)["max_recalls"] or MAX_RECALLS))
            if ticket.recall_count < limit:
                _try(perform, ticket.id, "recall")
                return False
            return _try(perform, ticket.id, "no-show") is not None
        if since_call >= fate.start_delay:
            _try(perform, ticket.id, "start")
        return False
    if ticket.status == Status.SERVING and ticket.started_at is not None:
        busy = (now - ticket.started_at).total_seconds()
        if fate.transfer and busy >= 0.4 * fate.service:
            target = _transfer_target(ticket.zone.code, [z.code for z in zones.values()])
            if target:
                return _try(perform, ticket.id, "transfer", zone_code=target) is not None
        if busy >= fate.service:
            return _try(perform, ticket.id, "finish") is not None
    return False


def _transfer_target(zone: str, codes: list[str]) -> str | None:
    """Some hard cases go on to the 疑难事项 zone; most wrong zones end at comprehensive acceptance."""
    if "H" in codes and zone != "H" and (_rng.random() < 0.3 or zone == "A"):
        return "H"
    if "A" in codes and zone != "A":
        return "A"
    others = [c for c in codes if c != zone]
    return _rng.choice(others) if others else None


def _tidal(
    windows: list[Window],
    zones: dict[int, Zone],
    waiting: dict[int, int],
    current: dict[int | None, Ticket],
    served_zones: dict[int, list[int]],
    calm: Callable[[Window], bool],
) -> None:
    """Open a tidal window when a zone reaches its yellow line; close it when things calm down."""
    for zone in zones.values():
        if zone.yellow_waiting is None or waiting[zone.pk] < zone.yellow_waiting:
            continue
        closed = [
            w for w in windows if w.tidal and w.state == Window.State.CLOSED and zone.pk in served_zones[w.pk]
        ]
        if closed:
            window = closed[0]
            if _try(set_window_state, window, Window.State.OPEN):
                window.state = Window.State.OPEN
                log.info("demo traffic: opened tidal %s for zone %s", window, zone.code)
    for window in windows:
        idle = window.pk not in current
        if (
            window.tidal
            and window.state == Window.State.OPEN
            and idle
            and calm(window)
            and _try(set_window_state, window, Window.State.CLOSED)
        ):
            window.state = Window.State.CLOSED


def _breaks(windows: list[Window], current: dict[int | None, Ticket], step: float) -> None:
    """Now and then a window that has just become free pauses for a short break (one at a
    time per hall); paused windows come back after about BREAK_MEAN seconds."""
    paused = [w for w in windows if w.state == Window.State.PAUSED]
    for window in paused:
        if _chance(step, BREAK_MEAN) and _try(set_window_state, window, Window.State.OPEN):
            window.state = Window.State.OPEN
    if paused:
        return
    for window in windows:
        if window.tidal or window.state != Window.State.OPEN or window.pk in current:
            continue
        if _rng.random() < BREAK_SHARE and _try(set_window_state, window, Window.State.PAUSED):
            window.state = Window.State.PAUSED
            return


def _arrivals(
    hall: Hall,
    windows: list[Window],
    zones: dict[int, Zone],
    waiting: dict[int, int],
    served_zones: dict[int, list[int]],
    zone_codes: dict[int, str],
    hour: int,
    step: float,
) -> None:
    matters: dict[int, list[str]] = defaultdict(list)
    for zone_id, code in ZoneMatter.objects.filter(hall=hall).values_list("zone_id", "matter_code"):
        matters[zone_id].append(code)
    specs = [
        traffic.WindowSpec(
            w.code, tuple(zone_codes[z] for z in served_zones[w.pk] if z in zone_codes), w.tidal
        )
        for w in windows
    ]
    walk_in = 0.7 if len(windows) > 10 else 0.8
    for zone in zones.values():
        codes = matters.get(zone.pk)
        if not codes:
            continue
        spec = traffic.ZoneSpec(zone.code, (), zone.yellow_waiting, zone.red_waiting)
        rate = traffic.live_arrivals_per_second(specs, spec, hour, waiting[zone.pk])
        for _ in range(traffic.poisson(_rng, rate * step)):
            matter = _rng.choices(codes, traffic.matter_weights(codes))[0]
            subject = (
                "" if _rng.random() < traffic.EMPTY_SUBJECT_SHARE else f"demo-{_rng.randrange(10**8):08d}"
            )
            issued = _try(
                issue_ticket,
                hall,
                matter,
                zone_code=zone.code,
                channel=traffic.pick_channel(_rng, walk_in),
                priority=int(_rng.random() < traffic.PRIORITY_SHARE),
                subject=subject,
            )
            if issued is not None:
                waiting[zone.pk] += 1
