"""Synthetic ticket logs for tests, benchmarks and demos.

The generator does not draw waits from a distribution: it simulates each hall day as a queue.
Windows call the next ticket of the zones they serve when they free up (priority first, then the
longest waiting), tidal windows open when a zone's queue grows, staff take breaks, one
comprehensive window keeps serving over lunch in the city hall, people give up and leave
(cancelled), some don't answer the call (no_show), and whoever still waits at closing is
cancelled. So waits come out of load and staffing the way they do in a hall, which is what a
wait predictor must learn.

Planted structure, known to the benchmarks: `World.bundles` (sets of matters the same subject
does within a few days) and `World.agents` (intermediaries who file many unrelated matters).
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from govhall.ticketlog import LogRow, write_log

TZ = dt.timezone(dt.timedelta(hours=8))
DEFAULT_START = dt.date(2026, 9, 14)  # a Monday, so 60 days end before 2026-11-23

# Department: (number of matters, share of tickets, median handling seconds).
DEPARTMENTS: dict[str, tuple[int, float, float]] = {
    "GA": (8, 0.20, 360),  # public security: ID cards, household registration
    "RS": (8, 0.18, 480),  # human resources and social security
    "YB": (6, 0.14, 300),  # medical insurance
    "MZ": (6, 0.10, 540),  # civil affairs
    "SCJG": (6, 0.12, 720),  # market regulation (enterprises)
    "SW": (5, 0.10, 600),  # tax
    "BDC": (6, 0.16, 900),  # real estate registration
}
CITY_ZONES = {"A": ("MZ", "SCJG"), "B": ("GA",), "C": ("BDC", "SW"), "D": ("RS", "YB")}
TOWN_ZONES = {"A": ("MZ", "RS", "YB", "GA"), "B": ("SCJG", "SW")}
# Hall: (tickets on an ordinary weekday, zones, open on Saturday mornings).
HALLS: dict[str, tuple[float, dict[str, tuple[str, ...]], bool]] = {
    "city": (2300, CITY_ZONES, True),
    "xixing": (700, TOWN_ZONES, False),
    "changhe": (600, TOWN_ZONES, False),
    "puyan": (500, {"A": TOWN_ZONES["A"]}, False),
}
WEEKDAY_FACTOR = (1.25, 1.05, 1.0, 0.95, 0.9, 0.45, 0.0)
MORNING = (8 * 3600 + 1800, 12 * 3600)
AFTERNOON = (13 * 3600 + 1800, 17 * 3600)
SATURDAY = (9 * 3600, 12 * 3600)
# Relative arrival intensity per half hour from 08:30 (a queue at the door at opening, a
# mid-morning peak, a slow hour before lunch, a second smaller peak after lunch).
HALF_HOUR_PROFILE = {
    17: 1.7,
    18: 1.4,
    19: 1.35,
    20: 1.3,
    21: 1.1,
    22: 0.9,
    23: 0.6,
    27: 1.2,
    28: 1.15,
    29: 1.1,
    30: 1.0,
    31: 0.8,
    32: 0.6,
    33: 0.35,
}
PLANTED_BUNDLES: tuple[tuple[str, ...], ...] = (
    ("GA-1001", "YB-1001", "RS-1002"),  # a newborn: birth registration, insurance, social card
    ("SCJG-1001", "SW-1001", "RS-1003", "GA-1005"),  # opening a company
    ("BDC-1001", "SW-1002"),  # second-hand house transfer and its tax
    ("RS-1001", "YB-1002"),  # retirement
    ("MZ-1001", "GA-1002"),  # marriage and household registration
    ("MZ-1003", "RS-1004", "YB-1003", "GA-1003"),  # after a death (身后事)
    ("BDC-1002", "GA-1004", "YB-1004"),  # moving house
    ("SCJG-1002", "SW-1003"),  # changing a company's registration, then its tax record
    ("RS-1005", "YB-1005"),  # a new job: employment registration and the insurance transfer
    ("BDC-1003", "SW-1004"),  # a new-build home: first registration and deed tax
    ("GA-1006", "MZ-1004"),  # a divorce and the household register that follows
)
BUNDLE_STARTS_PER_DAY = (8.0, 5.0, 7.0, 6.0, 4.0, 3.0, 5.0, 4.0, 5.0, 3.0, 3.0)


@dataclass(frozen=True)
class Matter:
    code: str
    dept: str
    median_seconds: float
    popularity: float


@dataclass(frozen=True)
class Window:
    code: str
    zones: tuple[str, ...]
    tidal: bool
    speed: float  # staff differ: the same matter takes longer at some windows
    over_lunch: bool = False


@dataclass
class Hall:
    code: str
    daily: float
    zones: dict[str, tuple[str, ...]]  # zone code -> departments it handles
    saturday: bool
    windows: list[Window] = field(default_factory=list)

    def zone_of(self, dept: str) -> str | None:
        return next((z for z, depts in self.zones.items() if dept in depts), None)


@dataclass
class World:
    halls: list[Hall]
    matters: dict[str, Matter]
    bundles: tuple[tuple[str, ...], ...]
    agents: tuple[str, ...]


@dataclass
class Pending:
    """A ticket before the queue is simulated: who takes it, for what, when (seconds of the day)."""

    issue: float
    matter: str
    zone: str
    subject: str
    channel: str
    priority: int


def matter_code(short: str) -> str:
    return f"330108-{short}"


def build_world(rng: np.random.Generator, scale: float = 1.0) -> World:
    matters: dict[str, Matter] = {}
    for dept, (count, _share, median) in DEPARTMENTS.items():
        weights = 1.0 / np.arange(1, count + 1) ** 0.8  # a few matters make most of the tickets
        for i in range(count):
            code = matter_code(f"{dept}-{1001 + i}")
            spread = float(rng.lognormal(0.0, 0.3))
            matters[code] = Matter(code, dept, median * spread, float(weights[i] / weights.sum()))
    halls = [Hall(code, daily * scale, zones, sat) for code, (daily, zones, sat) in HALLS.items()]
    for hall in halls:
        hall.windows = _staff(hall, matters, rng)
    bundles = tuple(tuple(matter_code(m) for m in b) for b in PLANTED_BUNDLES)
    agents = tuple(f"agent-{i:02d}" for i in range(12))
    return World(halls, matters, bundles, agents)


def _zone_load(hall: Hall, zone: str, matters: dict[str, Matter]) -> float:
    """Mean busy windows a zone needs over an ordinary day (offered load in Erlangs)."""
    depts = hall.zones[zone]
    share = sum(DEPARTMENTS[d][1] for d in depts) / sum(
        DEPARTMENTS[d][1] for z in hall.zones.values() for d in z
    )
    mean_service = sum(
        m.popularity * DEPARTMENTS[m.dept][1] * m.median_seconds * math.exp(0.55**2 / 2)
        for m in matters.values()
        if m.dept in depts
    ) / sum(DEPARTMENTS[d][1] for d in depts)
    per_hour = hall.daily * share / 7.0
    return per_hour * mean_service / 3600.0


def _staff(hall: Hall, matters: dict[str, Matter], rng: np.random.Generator) -> list[Window]:
    """Enough dedicated windows for an average hour, tidal ones for the peaks, shared ones between."""
    windows: list[Window] = []
    number = 1
    zones = sorted(hall.zones)
    shared = 2 if len(zones) > 2 else 1
    for zone in zones:
        load = _zone_load(hall, zone, matters)
        dedicated = max(1, round(load * 1.1) - (1 if len(zones) > 2 else 0))
        for _ in range(dedicated):
            windows.append(Window(str(number), (zone,), False, float(rng.uniform(0.8, 1.25))))
            number += 1
        windows.append(Window(str(number), (zone,), True, float(rng.uniform(0.8, 1.25))))
        number += 1
    for i in range(shared):
        # Comprehensive windows (无差别受理) take every zone; the first one also works over lunch.
        windows.append(
            Window(str(number), tuple(zones), False, float(rng.uniform(0.9, 1.1)), over_lunch=i == 0)
        )
        number += 1
    return windows


def _open_periods(day: dt.date, hall: Hall) -> list[tuple[float, float]]:
    if day.weekday() < 5:
        return [MORNING, AFTERNOON]
    if day.weekday() == 5 and hall.saturday:
        return [SATURDAY]
    return []


def _arrival_times(rng: np.random.Generator, periods: list[tuple[float, float]], volume: float) -> np.ndarray:
    slots = [s for start, end in periods for s in range(int(start // 1800), int(end // 1800))]
    weights = np.array([HALF_HOUR_PROFILE.get(s, 1.0) for s in slots])
    # No new tickets in the last ten minutes before a period closes.
    count = int(rng.poisson(volume))
    chosen = rng.choice(len(slots), size=count, p=weights / weights.sum())
    times = np.array(slots, dtype=float)[chosen] * 1800 + rng.uniform(0, 1800, size=count)
    ends = np.array([end for start, end in periods for s in range(int(start // 1800), int(end // 1800))])[
        chosen
    ]
    return np.sort(np.minimum(times, ends - 600 + rng.uniform(0, 1, size=count)))


class _Visits:
    """Collects every ticket to be issued, per hall and day, before the queues are simulated."""

    def __init__(self, world: World, rng: np.random.Generator, start: dt.date, days: int) -> None:
        self.world = world
        self.rng = rng
        self.start = start
        self.days = days
        self.by_hall_day: dict[tuple[str, int], list[Pending]] = {}
        self.subject_pool = max(1000, int(sum(h.daily for h in world.halls) * days * 4))

    def add(self, hall: Hall, day: int, pending: Pending) -> None:
        self.by_hall_day.setdefault((hall.code, day), []).append(pending)

    def channel_priority(self) -> tuple[str, int]:
        channel = str(self.rng.choice(["walk_in", "remote", "appointment"], p=[0.7, 0.15, 0.15]))
        return channel, int(self.rng.random() < 0.05)

    def random_subject(self) -> str:
        if self.rng.random() < 0.1:
            return ""
        return f"s-{int(self.rng.integers(0, self.subject_pool)):07x}"

    def ordinary(self, hall: Hall, day: int) -> None:
        date = self.start + dt.timedelta(days=day)
        periods = _open_periods(date, hall)
        if not periods:
            return
        volume = hall.daily * WEEKDAY_FACTOR[date.weekday()] * self.rng.gamma(30, 1 / 30)
        available = [m for m in self.world.matters.values() if hall.zone_of(m.dept)]
        weights = np.array([m.popularity * DEPARTMENTS[m.dept][1] for m in available])
        surge = self._surge(hall, available, periods)
        times = _arrival_times(self.rng, periods, volume)
        picks = self.rng.choice(len(available), size=len(times), p=weights / weights.sum())
        for dept, (begin, end, factor) in surge.items():
            # Redraw the matters of tickets issued during the rush with that department boosted.
            boosted = weights * np.array([factor if m.dept == dept else 1.0 for m in available])
            during = np.flatnonzero((times >= begin) & (times < end))
            picks[during] = self.rng.choice(len(available), size=len(during), p=boosted / boosted.sum())
        for t, k in zip(times, picks, strict=True):
            matter = available[int(k)]
            channel, priority = self.channel_priority()
            zone = hall.zone_of(matter.dept)
            assert zone is not None
            self.add(
                hall, day, Pending(float(t), matter.code, zone, self.random_subject(), channel, priority)
            )

    def _surge(
        self, hall: Hall, available: list[Matter], periods: list[tuple[float, float]]
    ) -> dict[str, tuple[float, float, float]]:
        """Now and then a department gets a rush for two hours (a deadline, a new policy)."""
        if self.rng.random() > 0.12:
            return {}
        dept = str(self.rng.choice(sorted({m.dept for m in available})))
        start = float(self.rng.uniform(periods[0][0], periods[-1][1] - 7200))
        return {dept: (start, start + 7200, float(self.rng.uniform(2.0, 3.5)))}

    def bundles(self) -> None:
        """Subjects who do a planted set of matters, the same day or within a few days, mostly in one hall."""
        for bundle, rate in zip(self.world.bundles, BUNDLE_STARTS_PER_DAY, strict=False):
            for day in range(self.days):
                date = self.start + dt.timedelta(days=day)
                if date.weekday() >= 5:
                    continue
                for _ in range(int(self.rng.poisson(rate))):
                    self._bundle_visit(bundle, day)

    def _bundle_visit(self, bundle: tuple[str, ...], day: int) -> None:
        subject = f"s-{int(self.rng.integers(0, self.subject_pool)):07x}"
        same_day = self.rng.random() < 0.6
        home = self._hall_for(bundle[0])
        base = float(self.rng.uniform(MORNING[0], AFTERNOON[1] - 3600))
        for i, code in enumerate(bundle):
            offset = 0 if same_day or i == 0 else int(self.rng.integers(0, 6))
            hall = home if self._handles(home, code) and self.rng.random() < 0.8 else self._hall_for(code)
            when = self.start + dt.timedelta(days=day + offset)
            periods = _open_periods(when, hall)
            if day + offset >= self.days or not periods:
                continue
            t = (
                base + 120 * i
                if offset == 0
                else float(self.rng.uniform(periods[0][0], periods[-1][1] - 900))
            )
            if not any(s <= t < e - 600 for s, e in periods):
                t = periods[0][0] + float(self.rng.uniform(0, 1800))
            channel, priority = self.channel_priority()
            zone = hall.zone_of(self.world.matters[code].dept)
            assert zone is not None
            self.add(hall, day + offset, Pending(t, code, zone, subject, channel, priority))

    def agents(self) -> None:
        """Intermediaries (代办) file several enterprise matters at once, on many days."""
        enterprise = [m for m in self.world.matters.values() if m.dept in ("SCJG", "SW")]
        for agent in self.world.agents:
            hall = self.world.halls[int(self.rng.integers(0, len(self.world.halls)))]
            for day in range(self.days):
                date = self.start + dt.timedelta(days=day)
                if (
                    date.weekday() >= 5
                    or self.rng.random() > 0.35
                    or not self._handles(hall, enterprise[0].code)
                ):
                    continue
                t = float(self.rng.uniform(MORNING[0], MORNING[1] - 1800))
                for k in self.rng.choice(len(enterprise), size=int(self.rng.integers(2, 6)), replace=False):
                    matter = enterprise[int(k)]
                    zone = hall.zone_of(matter.dept)
                    assert zone is not None
                    self.add(hall, day, Pending(t, matter.code, zone, agent, "walk_in", 0))
                    t += 30

    def _handles(self, hall: Hall, code: str) -> bool:
        return hall.zone_of(self.world.matters[code].dept) is not None

    def _hall_for(self, code: str) -> Hall:
        able = [h for h in self.world.halls if self._handles(h, code)]
        weights = np.array([h.daily for h in able])
        return able[int(self.rng.choice(len(able), p=weights / weights.sum()))]


@dataclass
class _Ticket:
    pending: Pending
    seq: int
    called: float | None = None
    finished: float | None = None
    window: str = ""
    outcome: str = ""


class _HallDay:
    """One hall's day as a discrete-event simulation; times are seconds after local midnight."""

    TIDAL_OPEN = 12  # waiting tickets in a zone that make the manager open its tidal window
    TIDAL_CLOSE = 3

    def __init__(
        self, world: World, hall: Hall, periods: list[tuple[float, float]], rng: np.random.Generator
    ) -> None:
        self.world = world
        self.hall = hall
        self.periods = periods
        self.rng = rng
        self.closing = periods[-1][1]
        self.queues: dict[str, list[tuple[int, float, int]]] = {z: [] for z in hall.zones}
        self.waiting: dict[str, int] = dict.fromkeys(hall.zones, 0)
        self.tickets: list[_Ticket] = []
        self.events: list[tuple[float, int, int, str, int]] = []
        self.counter = 0
        self.present = [rng.random() > 0.06 for _ in hall.windows]  # staff on leave today
        self.breaks = [self._break(w) for w in hall.windows]
        self.tidal_open = [False for _ in hall.windows]
        self.idle: dict[int, float] = {i: 0.0 for i in range(len(hall.windows))}

    def _break(self, window: Window) -> tuple[float, float]:
        start = float(self.rng.uniform(self.periods[0][0] + 3600, self.periods[-1][1] - 3600))
        return (start, start + float(self.rng.uniform(600, 1500)))

    def push(self, t: float, kind: str, ref: int) -> None:
        self.counter += 1
        heapq.heappush(self.events, (t, 0 if kind != "arrive" else 1, self.counter, kind, ref))

    def available(self, i: int, t: float) -> bool:
        window = self.hall.windows[i]
        if not self.present[i] or (window.tidal and not self.tidal_open[i]):
            return False
        if self.breaks[i][0] <= t < self.breaks[i][1]:
            return False
        if any(s <= t < e for s, e in self.periods):
            return True
        # The lunch-time comprehensive window (午间延时服务) works between the two periods.
        return window.over_lunch and len(self.periods) > 1 and self.periods[0][1] <= t < self.periods[1][0]

    def run(self, pendings: list[Pending]) -> list[_Ticket]:
        for p in sorted(pendings, key=lambda p: p.issue):
            ticket = _Ticket(p, len(self.tickets))
            self.tickets.append(ticket)
            self.push(p.issue, "arrive", ticket.seq)
            patience = float(self.rng.lognormal(math.log(4200), 0.7))
            if p.issue + patience < self.closing:
                self.push(p.issue + patience, "renege", ticket.seq)
        wakes = [s for s, _ in self.periods] + [b for _, b in self.breaks] + [e for _, e in self.periods[:-1]]
        for t in wakes:
            self.push(t, "wake", -1)
        while self.events:
            t, _, _, kind, ref = heapq.heappop(self.events)
            if t >= self.closing and kind in ("arrive", "wake"):
                continue
            getattr(self, f"on_{kind}")(t, ref)
        self._close()
        return self.tickets

    def on_arrive(self, t: float, ref: int) -> None:
        ticket = self.tickets[ref]
        zone = ticket.pending.zone
        heapq.heappush(self.queues[zone], (-ticket.pending.priority, ticket.pending.issue, ref))
        self.waiting[zone] += 1
        self._maybe_open_tidal(zone, t)
        self.dispatch(t)

    def on_renege(self, t: float, ref: int) -> None:
        ticket = self.tickets[ref]
        if ticket.called is None and ticket.finished is None:
            ticket.finished, ticket.outcome = t, "cancelled"
            self.waiting[ticket.pending.zone] -= 1

    def on_free(self, t: float, ref: int) -> None:
        window = self.hall.windows[ref]
        if window.tidal and sum(self.waiting[z] for z in window.zones) <= self.TIDAL_CLOSE:
            self.tidal_open[ref] = False
        self.idle[ref] = t
        self.dispatch(t)

    def on_wake(self, t: float, ref: int) -> None:
        self.dispatch(t)

    def _maybe_open_tidal(self, zone: str, t: float) -> None:
        if self.waiting[zone] < self.TIDAL_OPEN:
            return
        for i, window in enumerate(self.hall.windows):
            if window.tidal and zone in window.zones and not self.tidal_open[i] and self.present[i]:
                self.tidal_open[i] = True
                return

    def dispatch(self, t: float) -> None:
        for i in sorted(self.idle, key=lambda i: self.idle[i]):
            if self.available(i, t):
                ref = self._next_for(self.hall.windows[i], t)
                if ref is not None:
                    self._call(i, ref, t)

    def _next_for(self, window: Window, t: float) -> int | None:
        best: tuple[int, float, int] | None = None
        best_zone = ""
        for zone in window.zones:
            queue = self.queues[zone]
            while queue and self.tickets[queue[0][2]].finished is not None:
                heapq.heappop(queue)  # gave up while waiting
            if queue and (best is None or queue[0] < best):
                best, best_zone = queue[0], zone
        if best is None:
            return None
        heapq.heappop(self.queues[best_zone])
        self.waiting[best_zone] -= 1
        return best[2]

    def _call(self, i: int, ref: int, t: float) -> None:
        window = self.hall.windows[i]
        ticket = self.tickets[ref]
        # The display and the walk to the window take a few seconds before the call shows.
        ticket.called, ticket.window = t + float(self.rng.uniform(2, 20)), window.code
        no_show = {"walk_in": 0.03, "remote": 0.12, "appointment": 0.05}[ticket.pending.channel]
        if self.rng.random() < no_show:
            busy = float(self.rng.uniform(60, 240))  # recalls, then 过号
            ticket.outcome = "no_show"
        else:
            matter = self.world.matters[ticket.pending.matter]
            busy = float(self.rng.lognormal(math.log(matter.median_seconds), 0.55)) * window.speed
            ticket.outcome = "served"
        ticket.finished = ticket.called + busy
        del self.idle[i]
        self.push(ticket.finished, "free", i)

    def _close(self) -> None:
        for ticket in self.tickets:
            if ticket.called is None and ticket.finished is None:
                ticket.finished, ticket.outcome = self.closing + 60, "cancelled"


def _stamp(day: dt.date, seconds: float) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=TZ) + dt.timedelta(seconds=round(seconds))


def generate(
    days: int, seed: int, *, start: dt.date = DEFAULT_START, scale: float = 1.0
) -> tuple[World, list[LogRow]]:
    """A log of `days` calendar days from `start`, about 3,300 tickets per calendar day at scale 1."""
    rng = np.random.default_rng(seed)
    world = build_world(rng, scale)
    visits = _Visits(world, rng, start, days)
    for day in range(days):
        for hall in world.halls:
            visits.ordinary(hall, day)
    visits.bundles()
    visits.agents()
    rows: list[tuple[dt.datetime, str, int, LogRow]] = []
    for (hall_code, day), pendings in sorted(visits.by_hall_day.items()):
        hall = next(h for h in world.halls if h.code == hall_code)
        date = start + dt.timedelta(days=day)
        for ticket in _HallDay(world, hall, _open_periods(date, hall), rng).run(pendings):
            rows.append(
                (_stamp(date, ticket.pending.issue), hall_code, ticket.seq, _row(hall_code, date, ticket))
            )
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return world, [_with_id(row, n) for n, (_, _, _, row) in enumerate(rows, start=1)]


def _row(hall: str, date: dt.date, ticket: _Ticket) -> LogRow:
    p = ticket.pending
    return LogRow(
        "",
        hall,
        p.zone,
        p.matter,
        p.subject,
        p.channel,
        p.priority,
        _stamp(date, p.issue),
        None if ticket.called is None else _stamp(date, ticket.called),
        None if ticket.finished is None else _stamp(date, ticket.finished),
        ticket.window,
        ticket.outcome,
    )


def _with_id(row: LogRow, n: int) -> LogRow:
    return replace(row, ticket_id=f"t{n:07d}")


def truncate(rows: list[LogRow], at: dt.datetime) -> list[LogRow]:
    """The log as exported at `at`: later tickets dropped, later calls and endings emptied."""
    out: list[LogRow] = []
    for row in rows:
        if row.issued_at > at:
            continue
        called = row.called_at if row.called_at and row.called_at <= at else None
        finished = row.finished_at if row.finished_at and row.finished_at <= at else None
        out.append(
            replace(
                row,
                called_at=called,
                finished_at=finished,
                window=row.window if called else "",
                outcome=row.outcome if finished else "",
            )
        )
    return out


def write(rows: list[LogRow], path: str | Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        write_log(rows, fh)  # type: ignore[arg-type]
