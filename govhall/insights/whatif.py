"""What-if (`insights whatif`): replay a log's arrivals under another window plan, with SimPy.

The plan file (JSON; every key optional, `{}` replays the log's own staffing):

    {"windows": {"city/A": 12,                          # every open hour
                 "city/B": {"9": 10, "10": 10, "default": 8}},   # per local hour
     "merge": [["city/A", "city/C"]],                   # zones served by one pool of windows
     "online": {"330108-GA-1001": 0.5}}                 # share of a matter's tickets moved online

- A pool is a zone (`hall/zone`) or a merged group, named by its members joined with "+"
  (`city/A+city/C`); `windows` may name a pool. Windows per hour: the plan's figure for the
  local hour, else its "default", else what the log shows: the windows that called the zone in
  that hour of that day, a window that also called other zones counted by its share of calls,
  rounded, at least 1. A merged pool without a figure gets the sum of its zones'.
- The hall is open in the half hours in which the log shows it calling someone; windows close
  outside them (lunch, night) and a window busy at closing finishes its case first.
- Every ticket arrives at its `issued_at`. Service takes the logged handling time of a served
  ticket, the logged time at the window of a no-show, else the zone's mean handling time.
  Priority tickets go first, then first come first served. A ticket cancelled before its call
  in the log leaves after the same patience; whoever still waits when the hall's last open half
  hour of that day ends is cancelled then (as `close-day` does).
- Figures: the wait is issue → first call, or → leaving for a ticket never called (the
  CONTRACTS wait); `actual` over the log's tickets whose wait has ended, `simulated` over every
  replayed ticket.
"""

from __future__ import annotations

import math
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from govhall.insights.common import DEFAULT_SERVICE_SECONDS, InsightsError, wait_seconds
from govhall.insights.staffing import mean_handling
from govhall.ticketlog import LogRow

SLOT = 1800  # seconds; opening hours are read from the log per half hour
OVER = 900.0


@dataclass
class Plan:
    windows: dict[str, dict[str, int]]  # pool -> {"0".."23" | "default": count}
    merge: list[list[str]]
    online: dict[str, float]


def parse_plan(data: Any) -> Plan:
    if not isinstance(data, dict):
        raise InsightsError("the plan must be a JSON object")
    unknown = set(data) - {"windows", "merge", "online"}
    if unknown:
        raise InsightsError(f"unknown plan keys: {', '.join(sorted(unknown))} (windows, merge, online)")
    windows: dict[str, dict[str, int]] = {}
    for pool, value in (data.get("windows") or {}).items():
        spec = value if isinstance(value, dict) else {"default": value}
        for key, count in spec.items():
            if key != "default" and not (key.isdigit() and 0 <= int(key) <= 23):
                raise InsightsError(f"plan windows[{pool!r}]: hour {key!r} is not 0-23 or 'default'")
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                raise InsightsError(f"plan windows[{pool!r}][{key!r}] must be a whole number ≥ 0")
        windows[str(pool)] = {str(k): int(v) for k, v in spec.items()}
    merge = data.get("merge") or []
    if not isinstance(merge, list) or not all(isinstance(g, list) and len(g) >= 2 for g in merge):
        raise InsightsError("plan merge must be a list of lists of at least two 'hall/zone' names")
    online = data.get("online") or {}
    if not isinstance(online, dict) or not all(
        isinstance(v, int | float) and 0 <= v <= 1 for v in online.values()
    ):
        raise InsightsError("plan online must map matter codes to shares between 0 and 1")
    return Plan(windows, [[str(z) for z in g] for g in merge], {str(k): float(v) for k, v in online.items()})


def summarize(waits: Sequence[float]) -> dict[str, float | int]:
    if not waits:
        return {"tickets": 0, "mean_wait_seconds": 0.0, "p90_wait_seconds": 0.0, "share_over_15min": 0.0}
    values = np.asarray(waits, dtype=float)
    return {
        "tickets": len(values),
        "mean_wait_seconds": round(float(values.mean()), 1),
        "p90_wait_seconds": round(float(np.percentile(values, 90)), 1),
        "share_over_15min": round(float((values > OVER).mean()), 4),
    }


def _moved_online(row: LogRow, share: float) -> bool:
    # A hash of the id picks the same tickets on every run, so plans compare like for like.
    return share > 0 and zlib.crc32(row.ticket_id.encode()) / 2**32 < share


class _Schedule:
    """Open half hours per hall and the windows each pool has in each of them."""

    def __init__(self, rows: Sequence[LogRow], plan: Plan, pool_of: dict[str, str]) -> None:
        self.open: dict[str, set[int]] = defaultdict(set)
        self.offset: dict[str, float] = {}
        calls: dict[tuple[str, str, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for r in rows:
            self.offset.setdefault(r.hall, r.issued_at.utcoffset().total_seconds())  # type: ignore[union-attr]
            if r.called_at is not None:
                start = int(r.called_at.timestamp()) // SLOT * SLOT
                self.open[r.hall].add(start)
                calls[(r.hall, r.window, start // 3600 * 3600)][r.zone] += 1
        self.observed: dict[tuple[str, int], float] = defaultdict(float)
        for (hall, _window, hour), zones in calls.items():
            total = sum(zones.values())
            for zone, n in zones.items():
                self.observed[(pool_of[f"{hall}/{zone}"], hour)] += n / total
        self.plan = plan
        self._closing: dict[tuple[str, int], float] = {}
        self.members: dict[str, list[str]] = defaultdict(list)
        for zone, pool in pool_of.items():
            self.members[pool].append(zone)

    def closing(self, hall: str, moment: float) -> float:
        """End of the hall's last open half hour on the local day of `moment`."""
        if not self._closing:
            for h, slots in self.open.items():
                for slot in slots:
                    key = (h, self._local_day(h, slot))
                    self._closing[key] = max(self._closing.get(key, 0.0), float(slot + SLOT))
        return self._closing.get((hall, self._local_day(hall, moment)), moment)

    def _local_day(self, hall: str, moment: float) -> int:
        return int((moment + self.offset.get(hall, 0)) // 86400)

    def capacity(self, pool: str, hall: str, slot: int) -> int:
        if slot not in self.open[hall]:
            return 0
        hour = str(int((slot + self.offset.get(hall, 0)) // 3600 % 24))
        spec = self.plan.windows.get(pool)
        if spec is not None and (hour in spec or "default" in spec):
            return spec.get(hour, spec.get("default", 0))
        if spec is None and len(self.members[pool]) > 1:
            planned = [self.plan.windows.get(z) for z in self.members[pool]]
            if all(p is not None and (hour in p or "default" in p) for p in planned):
                return sum(p.get(hour, p.get("default", 0)) for p in planned if p is not None)
        seen = self.observed.get((pool, slot // 3600 * 3600), 0.0)
        return max(1, math.floor(seen + 0.5))


def _pools(rows: Sequence[LogRow], plan: Plan) -> dict[str, str]:
    zones = {f"{r.hall}/{r.zone}" for r in rows}
    pool_of = {z: z for z in zones}
    for group in plan.merge:
        missing = [z for z in group if z not in zones]
        if missing:
            raise InsightsError(f"plan merge names zones not in the log: {', '.join(missing)}")
        if len({z.split("/", 1)[0] for z in group}) > 1:
            raise InsightsError(f"plan merge {group}: zones of different halls can't share windows")
        for z in group:
            pool_of[z] = "+".join(group)
    return pool_of


def simulate(rows: Sequence[LogRow], plan: Plan) -> dict[str, Any]:
    import simpy

    pool_of = _pools(rows, plan)
    schedule = _Schedule(rows, plan, pool_of)
    handling = mean_handling(rows)
    env = simpy.Environment()
    epoch = min((r.issued_at.timestamp() for r in rows), default=0.0)
    waits: list[float] = []
    by_pool: dict[str, list[LogRow]] = defaultdict(list)
    moved = 0
    for r in rows:
        if _moved_online(r, plan.online.get(r.matter, 0.0)):
            moved += 1
            continue
        by_pool[pool_of[f"{r.hall}/{r.zone}"]].append(r)
    for pool, members in by_pool.items():
        hall = members[0].hall
        slots = sorted(schedule.open[hall])
        changes = _changes(slots, lambda s, p=pool, h=hall: schedule.capacity(p, h, s))
        top = max((c for _, c in changes), default=0)
        resource = simpy.PriorityResource(env, capacity=max(top, 1))
        env.process(_controller(env, resource, changes, top, epoch))
        members.sort(key=lambda r: r.issued_at.timestamp())
        env.process(_arrivals(env, resource, members, schedule, handling, epoch, waits))
    env.run()
    return {"simulated": summarize(waits), "moved_online": moved}


def _changes(slots: list[int], capacity: Any) -> list[tuple[float, int]]:
    """(time, windows) whenever a pool's window count changes; 0 after every gap in opening."""
    out: list[tuple[float, int]] = []
    current = 0
    for i, slot in enumerate(slots):
        cap = capacity(slot)
        if cap != current:
            out.append((float(slot), cap))
            current = cap
        if current and (i + 1 == len(slots) or slots[i + 1] != slot + SLOT):
            out.append((float(slot + SLOT), 0))
            current = 0
    return out


def _controller(env: Any, resource: Any, changes: list[tuple[float, int]], top: int, epoch: float) -> Any:
    """Varies a pool's open windows by holding the closed ones with top-priority blocker requests."""
    blockers: list[Any] = [resource.request(priority=-1) for _ in range(max(top, 1))]
    for moment, windows in changes:
        delay = moment - epoch - env.now
        if delay > 0:
            yield env.timeout(delay)
        want = max(top, 1) - windows
        while len(blockers) > want:
            blocker = blockers.pop()
            if blocker.triggered:
                resource.release(blocker)
            else:
                blocker.cancel()
        while len(blockers) < want:
            blockers.append(resource.request(priority=-1))


def _service(row: LogRow, handling: dict[tuple[str, str], float]) -> float:
    if row.called_at is not None and row.finished_at is not None and row.outcome in ("served", "no_show"):
        return (row.finished_at - row.called_at).total_seconds()
    return handling.get((row.hall, row.zone), DEFAULT_SERVICE_SECONDS)


def _arrivals(
    env: Any,
    resource: Any,
    rows: list[LogRow],
    schedule: _Schedule,
    handling: dict[tuple[str, str], float],
    epoch: float,
    waits: list[float],
) -> Any:
    for row in rows:
        issued = row.issued_at.timestamp()
        delay = issued - epoch - env.now
        if delay > 0:
            yield env.timeout(delay)
        patience = schedule.closing(row.hall, issued) - issued
        if row.outcome == "cancelled" and row.called_at is None and row.finished_at is not None:
            patience = min(patience, (row.finished_at - row.issued_at).total_seconds())
        env.process(_ticket(env, resource, row, max(patience, 0.0), _service(row, handling), waits))


def _ticket(env: Any, resource: Any, row: LogRow, patience: float, service: float, waits: list[float]) -> Any:
    start = env.now
    request = resource.request(priority=0 if row.priority else 1)
    outcome = yield request | env.timeout(patience)
    waits.append(env.now - start)
    if request not in outcome:
        request.cancel()
        return
    yield env.timeout(service)
    resource.release(request)


def whatif(rows: Sequence[LogRow], plan: Plan) -> dict[str, Any]:
    actual = [w for r in rows if (w := wait_seconds(r)) is not None]
    result = simulate(rows, plan)
    return {
        "actual": summarize(actual),
        "simulated": result["simulated"],
        "moved_online": result["moved_online"],
    }
