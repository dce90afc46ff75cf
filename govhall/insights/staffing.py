"""Staffing (`insights staffing`): the fewest windows per zone, weekday and hour, by Erlang C.

The yardstick of CONTRACTS section 7: a steady hour with Poisson arrivals at the observed mean
rate, exponential service with the zone's observed mean handling time, c windows, first come
first served, each zone on its own. With λ arrivals and μ = 1 / mean handling per second and
a = λ/μ, the share of people called within t seconds is 1 − C(c, a)·exp(−(cμ − λ)·t), where
C is the Erlang C probability of waiting. With c ≤ a the queue grows without bound and the
share is 0, so the search starts above a.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from govhall.insights.common import DEFAULT_SERVICE_SECONDS
from govhall.ticketlog import LogRow

MAX_EXTRA_WINDOWS = 10_000  # a bound for the search when the target can't be met (share 1.0)


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits, for `servers` servers and offered load `load` Erlangs."""
    if load <= 0:
        return 0.0
    if servers <= load:
        return 1.0
    # Erlang B by its stable recursion, then C from B: no factorials, no overflow.
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return servers * b / (servers - load * (1 - b))


def share_within(servers: int, arrivals_per_second: float, mean_service: float, target_wait: float) -> float:
    """Share of arrivals called within `target_wait` seconds (0 when the queue is unstable)."""
    if arrivals_per_second <= 0:
        return 1.0
    mu = 1.0 / mean_service
    load = arrivals_per_second / mu
    if servers <= load:
        return 0.0
    return 1.0 - erlang_c(servers, load) * math.exp(-(servers * mu - arrivals_per_second) * target_wait)


def fewest_windows(
    arrivals_per_second: float, mean_service: float, target_wait: float, target_share: float
) -> int:
    load = arrivals_per_second * mean_service
    servers = max(1, math.floor(load) + 1)
    for _ in range(MAX_EXTRA_WINDOWS):
        if share_within(servers, arrivals_per_second, mean_service, target_wait) >= target_share:
            return servers
        servers += 1
    return servers


@dataclass(frozen=True)
class PlanRow:
    hall: str
    zone: str
    weekday: int
    hour: int
    arrivals_per_hour: float
    mean_service_seconds: float
    windows: int
    expected_share_within_target: float
    observed_windows: float

    def as_dict(self) -> dict[str, object]:
        return {
            "hall": self.hall,
            "zone": self.zone,
            "weekday": self.weekday,
            "hour": self.hour,
            "arrivals_per_hour": round(self.arrivals_per_hour, 4),
            "mean_service_seconds": round(self.mean_service_seconds, 1),
            "windows": self.windows,
            "expected_share_within_target": round(self.expected_share_within_target, 4),
            "observed_windows": round(self.observed_windows, 2),
        }


def mean_handling(rows: Sequence[LogRow]) -> dict[tuple[str, str], float]:
    """Mean handling seconds per (hall, zone); zones with no served ticket take the hall's mean,
    then the whole log's, then DEFAULT_SERVICE_SECONDS."""
    spans: dict[tuple[str, str], list[float]] = defaultdict(list)
    hall_spans: dict[str, list[float]] = defaultdict(list)
    every: list[float] = []
    zones: set[tuple[str, str]] = set()
    for r in rows:
        zones.add((r.hall, r.zone))
        seconds = r.handling_seconds
        if seconds is not None:
            spans[(r.hall, r.zone)].append(seconds)
            hall_spans[r.hall].append(seconds)
            every.append(seconds)

    def avg(values: list[float]) -> float | None:
        return sum(values) / len(values) if values else None

    overall = avg(every) or DEFAULT_SERVICE_SECONDS
    # A zone whose served tickets all took 0 s would make the load 0; treat it like no data.
    return {z: avg(spans[z]) or avg(hall_spans[z[0]]) or overall for z in zones}


def plan(rows: Sequence[LogRow], target_wait: float, target_share: float) -> list[PlanRow]:
    """One row per hall, zone, weekday and hour (local) with arrivals, ordered by those keys."""
    hall_days: dict[tuple[str, int], set] = defaultdict(set)
    arrivals: dict[tuple[str, str, int, int], int] = defaultdict(int)
    windows_seen: dict[tuple[str, str, int, int], dict[object, set[str]]] = defaultdict(
        lambda: defaultdict(set)
    )
    for r in rows:
        local = r.issued_at
        hall_days[(r.hall, local.weekday())].add(local.date())
        arrivals[(r.hall, r.zone, local.weekday(), local.hour)] += 1
        if r.called_at is not None and r.window:
            c = r.called_at
            windows_seen[(r.hall, r.zone, c.weekday(), c.hour)][c.date()].add(r.window)
    handling = mean_handling(rows)
    out = []
    for (hall, zone, weekday, hour), count in sorted(arrivals.items()):
        days = len(hall_days[(hall, weekday)])
        per_hour = count / days
        service = handling[(hall, zone)]
        rate = per_hour / 3600.0
        windows = fewest_windows(rate, service, target_wait, target_share)
        seen = windows_seen.get((hall, zone, weekday, hour), {})
        observed = sum(len(w) for w in seen.values()) / days
        out.append(
            PlanRow(
                hall,
                zone,
                weekday,
                hour,
                per_hour,
                service,
                windows,
                share_within(windows, rate, service, target_wait),
                observed,
            )
        )
    return out
