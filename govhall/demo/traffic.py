"""The demo traffic model — pure Python, no Django.

Arrivals follow an hourly profile with a lunch dip and a weekday pattern, scaled to the service
capacity of the windows that serve a zone; handling times are lognormal; each ticket's fate
(how long until the citizen reaches the counter, how long the service takes, whether they miss
their call or get sent to another zone) is drawn from a generator seeded by the ticket itself,
so a restarted simulation makes the same decisions without remembering anything.

`history()` replays whole days the same way (greedy multi-window queue) into ticket-log rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from govhall import ticketlog
from govhall.halls import hours

# Relative arrivals by local hour: morning peak, lunch dip, afternoon peak, a quiet night.
PROFILE = (
    0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.03, 0.15,
    0.55, 1.00, 0.95, 0.70, 0.30, 0.55, 0.90, 0.85,
    0.60, 0.35, 0.25, 0.20, 0.15, 0.10, 0.06, 0.04,
)  # fmt: skip
WEEKDAY = (1.15, 1.0, 0.95, 0.95, 1.05, 0.45, 0.30)  # Mon … Sun
# Handling time relative to a zone of plain matters (不动产 and 企业开办 take longer, 疑难 longest).
ZONE_FACTOR = {"C": 1.6, "E": 1.1, "F": 1.2, "G": 1.4, "H": 2.4}
HISTORY_SERVICE = 420.0  # seconds, a plain matter at a real window
LIVE_SERVICE = 75.0  # compressed so the live demo moves
CHANNELS = (("walk_in", 0.7), ("remote", 0.2), ("appointment", 0.1))
PRIORITY_SHARE = 0.05
NO_SHOW_SHARE = 0.05
TRANSFER_SHARE = 0.01
EMPTY_SUBJECT_SHARE = 0.08


@dataclass(frozen=True)
class ZoneSpec:
    code: str
    matters: tuple[str, ...]
    yellow: int | None = None
    red: int | None = None


@dataclass(frozen=True)
class WindowSpec:
    code: str
    zones: tuple[str, ...]
    tidal: bool = False


@dataclass(frozen=True)
class HallSpec:
    code: str
    timezone: str
    opening_hours: dict[str, Any]
    closed_dates: tuple[str, ...]
    zones: tuple[ZoneSpec, ...]
    windows: tuple[WindowSpec, ...]


def service_mean(zone: str, base: float) -> float:
    return base * ZONE_FACTOR.get(zone, 1.0)


def capacity_per_hour(
    windows: Sequence[WindowSpec], zone: str, base: float, *, overhead: float = 30.0
) -> float:
    """Tickets an hour the windows can handle for a zone (a shared window splits its time)."""
    each = 3600.0 / (service_mean(zone, base) + overhead)
    return sum(each / len(w.zones) for w in windows if zone in w.zones)


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:  # normal approximation keeps big hours cheap
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def lognormal(rng: random.Random, mean: float, sigma: float = 0.55) -> float:
    return rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)


def pick_channel(rng: random.Random, walk_in: float = 0.7) -> str:
    rest = (1 - walk_in) / (1 - CHANNELS[0][1])
    roll = rng.random()
    if roll < walk_in:
        return "walk_in"
    return "remote" if roll < walk_in + CHANNELS[1][1] * rest else "appointment"


def matter_weights(codes: Sequence[str]) -> list[float]:
    """A stable long tail: a few matters are asked for far more often than the rest."""
    ranked = sorted(codes, key=lambda c: hashlib.md5(c.encode()).hexdigest())
    rank = {c: i for i, c in enumerate(ranked)}
    return [1.0 / (rank[c] + 1) ** 0.8 for c in codes]


@dataclass(frozen=True)
class TicketPlan:
    """What happens to a ticket once it is called in a zone (drawn from the ticket's own seed)."""

    start_delay: float  # seconds from the call until the citizen reaches the counter
    service: float  # seconds at the counter
    no_show: bool
    transfer: bool


def plan(ticket_id: str, zone: str, base: float = LIVE_SERVICE) -> TicketPlan:
    rng = random.Random(f"{ticket_id}:{zone}")
    return TicketPlan(
        start_delay=rng.uniform(5, 30),
        service=min(lognormal(rng, service_mean(zone, base)), 12 * service_mean(zone, base)),
        no_show=rng.random() < NO_SHOW_SHARE,
        transfer=rng.random() < TRANSFER_SHARE,
    )


def live_utilisation(local_hour: int) -> float:
    """Target load of a zone's windows in the live demo: never idle, overloaded at the peaks."""
    return 0.6 + 0.5 * PROFILE[local_hour]


def live_arrivals_per_second(
    windows: Sequence[WindowSpec], zone: ZoneSpec, local_hour: int, waiting: int
) -> float:
    """Arrival rate for one zone now; the queue length nudges it so a demo shows 3–25 people."""
    staffed = [w for w in windows if not w.tidal]
    rate = capacity_per_hour(staffed, zone.code, LIVE_SERVICE, overhead=25.0) / 3600.0
    rate *= live_utilisation(local_hour)
    if waiting < 3:
        rate *= 1.8
    elif zone.red is not None and waiting >= zone.red:
        rate *= 0.35
    elif waiting >= 25:
        rate *= 0.3
    return rate


# -- history -------------------------------------------------------------------------------


def open_minutes(week: dict[int, hours.Intervals] | None, day: dt.date) -> list[int]:
    """Minutes of the local day (0–1439) in which the hall is open."""
    if week is None:
        return list(range(1440))
    out: list[int] = []
    for start, end in week[day.weekday()]:
        last = 1440 if end >= dt.time(23, 59) else end.hour * 60 + end.minute
        out.extend(range(start.hour * 60 + start.minute, last))
    return sorted(set(out))


@dataclass
class _Visit:
    issued: dt.datetime
    zone: str
    matter: str
    subject: str
    channel: str
    priority: int

    def row(
        self,
        ticket_id: str,
        hall: str,
        called: dt.datetime | None,
        finished: dt.datetime,
        window: str,
        outcome: str,
    ) -> ticketlog.LogRow:
        return ticketlog.LogRow(
            ticket_id,
            hall,
            self.zone,
            self.matter,
            self.subject,
            self.channel,
            self.priority,
            self.issued,
            called,
            finished,
            window,
            outcome,
        )


class _Day:
    """One local service day of one hall: who comes when, and who comes back later."""

    def __init__(
        self,
        hall: HallSpec,
        day: dt.date,
        minutes: list[int],
        rng: random.Random,
        related: dict[str, list[list[str]]],
        later: dict[dt.date, list[tuple[str, str]]],
    ) -> None:
        self.hall, self.day, self.minutes, self.rng = hall, day, minutes, rng
        self.open_set = set(minutes)
        self.tz = ZoneInfo(hall.timezone)
        self.zone_of = {m: z.code for z in hall.zones for m in z.matters}
        self.related, self.later = related, later
        self.walk_in = 0.7 if len(hall.windows) > 10 else 0.8
        self.visits: list[_Visit] = []

    def at(self, minute: int, second: int = 0) -> dt.datetime:
        return dt.datetime.combine(self.day, dt.time(minute // 60, minute % 60, second), tzinfo=self.tz)

    def visit(self, minute: int, matter: str, subject: str) -> None:
        rng = self.rng
        self.visits.append(
            _Visit(
                self.at(minute, rng.randrange(60)),
                self.zone_of[matter],
                matter,
                subject,
                pick_channel(rng, self.walk_in),
                int(rng.random() < PRIORITY_SHARE),
            )
        )
        if subject and matter in self.related and rng.random() < 0.35:
            for other in rng.choice(self.related[matter])[: rng.randint(1, 2)]:
                if rng.random() < 0.6:
                    nxt = minute + rng.randint(10, 50)
                    if nxt in self.open_set:
                        self.visit(nxt, other, subject)
                else:
                    self.later[self.day + dt.timedelta(days=rng.randint(1, 5))].append((other, subject))


def history(
    hall: HallSpec,
    days: Sequence[dt.date],
    rng: random.Random,
    bundles: Sequence[Sequence[str]] = (),
    *,
    peak_load: float = 0.85,
    staffed_share: float = 0.65,
) -> list[ticketlog.LogRow]:
    """Synthetic tickets for whole local days of one hall, as ticket-log rows.

    Each day a share of the ordinary windows is staffed; arrivals are scaled to load those
    windows to `peak_load` at the busiest hour; tidal windows join when waits pass ten minutes;
    people who wait too long give up. Some subjects come back for other matters of a 一件事
    bundle the same day or within the week, which is what bundle mining looks for.
    """
    week = hours.parse(hall.opening_hours)
    in_hall = {m for z in hall.zones for m in z.matters}
    cum_weights = {
        z.code: list(itertools.accumulate(matter_weights(z.matters))) for z in hall.zones if z.matters
    }
    related: dict[str, list[list[str]]] = defaultdict(list)
    for bundle in bundles:
        here = [m for m in bundle if m in in_hall]
        for m in here:
            if len(here) > 1:
                related[m].append([o for o in here if o != m])
    later: dict[dt.date, list[tuple[str, str]]] = defaultdict(list)
    rows: list[ticketlog.LogRow] = []
    for day in days:
        minutes = open_minutes(week, day)
        if day.isoformat() in hall.closed_dates or not minutes:
            continue
        today = _Day(hall, day, minutes, rng, related, later)
        plain = [w for w in hall.windows if not w.tidal]
        staffed = [w for w in plain if rng.random() < staffed_share]
        for zone in hall.zones:  # every zone keeps at least one window
            if not any(zone.code in w.zones for w in staffed):
                staffed += [w for w in plain if zone.code in w.zones][:1]
        day_factor = WEEKDAY[day.weekday()] * rng.uniform(0.85, 1.15)
        for zone in hall.zones:
            if not zone.matters:
                continue
            cap = capacity_per_hour(staffed, zone.code, HISTORY_SERVICE)
            for hour in range(24):
                inside = [m for m in range(hour * 60, hour * 60 + 60) if m in today.open_set]
                if not inside:
                    continue
                lam = cap * peak_load * PROFILE[hour] * day_factor * len(inside) / 60
                for _ in range(poisson(rng, lam)):
                    matter = rng.choices(zone.matters, cum_weights=cum_weights[zone.code])[0]
                    subject = "" if rng.random() < EMPTY_SUBJECT_SHARE else f"demo-{rng.randrange(10**8):08d}"
                    today.visit(rng.choice(inside), matter, subject)
        for matter, subject in later.pop(day, []):
            today.visit(rng.choice(minutes), matter, subject)
        rows.extend(_serve(today, staffed, [w for w in hall.windows if w.tidal]))
    return rows


def _serve(today: _Day, staffed: list[WindowSpec], tidal: list[WindowSpec]) -> list[ticketlog.LogRow]:
    """Greedy multi-window service in issue order; calls wait for the hall to be open."""
    hall, rng, minutes = today.hall, today.rng, today.minutes
    night_windows = {z.code: [w for w in staffed if z.code in w.zones][:1] for z in hall.zones}
    closing = today.at(minutes[-1]) + dt.timedelta(minutes=1)
    opening = today.at(minutes[0])
    free: dict[str, dt.datetime] = defaultdict(lambda: opening)
    rows = []
    for n, v in enumerate(sorted(today.visits, key=lambda v: (v.issued, v.zone)), start=1):
        ticket_id = f"hist-{hall.code}-{today.day:%Y%m%d}-{n:04d}"
        night = len(minutes) == 1440 and (v.issued.hour < 8 or v.issued.hour >= 20)
        pool = night_windows[v.zone] if night else [w for w in staffed if v.zone in w.zones]
        best = min(pool, key=lambda w: free[w.code])
        call = max(v.issued, free[best.code])
        if (call - v.issued).total_seconds() > 600 and not night:
            extra = [w for w in tidal if v.zone in w.zones]
            if extra:
                spare = min(extra, key=lambda w: free[w.code])
                if max(v.issued, free[spare.code]) < call:
                    best, call = spare, max(v.issued, free[spare.code])
        call += dt.timedelta(seconds=rng.randint(5, 40))
        while call < closing and (call.hour * 60 + call.minute) not in today.open_set:
            call += dt.timedelta(minutes=1)  # the lunch break: nobody is called
        patience = dt.timedelta(minutes=rng.expovariate(1 / 70) + 10)
        if call >= closing:  # still waiting at closing: cancelled by the hall
            rows.append(v.row(ticket_id, hall.code, None, closing, "", "cancelled"))
            continue
        if call - v.issued > patience or rng.random() < 0.02:
            gave_up = v.issued + min(patience, dt.timedelta(minutes=rng.uniform(2, 25)))
            rows.append(v.row(ticket_id, hall.code, None, gave_up, "", "cancelled"))
            continue
        if rng.random() < NO_SHOW_SHARE:
            done, outcome = call + dt.timedelta(seconds=rng.randint(60, 150)), "no_show"
        else:
            service = lognormal(rng, service_mean(v.zone, HISTORY_SERVICE))
            done, outcome = call + dt.timedelta(seconds=round(max(45.0, service))), "served"
        free[best.code] = done
        rows.append(v.row(ticket_id, hall.code, call, done, best.code, outcome))
    return rows
