"""The alert rules of CONTRACTS section 7 as pure computation: one engine, two clocks.

`monitor replay` feeds it every ticket of a log at once; the live monitor (`monitor.live`)
feeds it the tickets that touch a window of time `[since, until)` read from the database.
Both get the same answers because the rules only depend on the ticket facts:

- a ticket waits from `issued_at` until its wait end (first call, else leaving), or forever;
- the waiting count is taken per whole second, after all of that second's events, so a ticket
  counts at second `s` iff `floor(issued_at) <= s < floor(wait_end)` (issued and called in the
  same second: it never counts);
- a yellow/red crossing happens at second `s` iff `count(s - 1) < threshold <= count(s)`; that
  is "rises to the threshold, raised again only after it fell below", with no state to keep.

Two optional rules per hall policy (off unless configured, so the contract's output is unchanged):

- `flow`: arrivals (tickets issued) in the last N minutes rise to X or above; arrivals at second `s`
  are the tickets with `s - 60 N < floor(issued_at) <= s`;
- `wait`: the zone's estimated wait rises to Y minutes or above. The estimate is the waiting count
  divided by the rate at which the line drained over the last M minutes (waits that ended, by a
  call or by leaving): `waiting(s) × 60 M ÷ ended(s)` seconds; with nothing ended in M minutes
  there is no estimate (the overtime rule covers a line that does not move).

Both raise like yellow/red: at the second the value rises to the threshold, again only after it
has fallen below. Both are functions of the ticket facts alone, so live and replay agree.

No Django here: the live monitor and the command line share this module as it is.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
ONE_SECOND = dt.timedelta(seconds=1)
KINDS = ("overtime", "yellow", "red", "flow", "wait")
# Ties on `at` are broken by kind in this order, then hall, zone and ticket id.
KIND_ORDER = {kind: index for index, kind in enumerate(KINDS)}
DEFAULT_OVERTIME_MINUTES = 15

ZoneKey = tuple[str, str]  # (hall code, zone code)


@dataclass(frozen=True, slots=True)
class ZoneRules:
    """A zone's thresholds; `None` means no such alert. `timezone` is the hall's, for display."""

    overtime_minutes: int = DEFAULT_OVERTIME_MINUTES
    yellow: int | None = None
    red: int | None = None
    timezone: str = "Asia/Shanghai"
    flow: FlowRule | None = None
    wait: WaitRule | None = None


@dataclass(frozen=True, slots=True)
class FlowRule:
    """Raise when `arrivals` or more tickets were issued in the last `minutes` minutes."""

    minutes: int
    arrivals: int


@dataclass(frozen=True, slots=True)
class WaitRule:
    """Raise when the estimated wait reaches `minutes`, from the drain rate of the last `rate_minutes`."""

    minutes: int
    rate_minutes: int = 15


@dataclass(frozen=True, slots=True)
class Fact:
    """What the rules need to know about one ticket."""

    ticket_id: str
    hall: str
    zone: str
    issued_at: dt.datetime
    wait_end: dt.datetime | None  # first call, else leaving (cancelled), else None: still waiting


@dataclass(frozen=True, slots=True)
class Alert:
    at: dt.datetime
    kind: str
    hall: str
    zone: str
    ticket_id: str | None = None
    # yellow/red: the waiting count after the crossing second; flow: the arrivals in the window;
    # wait: the estimated wait in whole minutes. `threshold` is the rule's limit in the same unit.
    waiting: int | None = None
    threshold: int | None = None

    def sort_key(self) -> tuple[dt.datetime, int, str, str, str]:
        return (self.at, KIND_ORDER[self.kind], self.hall, self.zone, self.ticket_id or "")

    def as_json(self, timezone: str | None = None) -> dict[str, str | None]:
        """The contract's alert object; `at` in the hall's time zone when given."""
        return {
            "at": iso(self.at, timezone),
            "kind": self.kind,
            "hall": self.hall,
            "zone": self.zone,
            "ticket_id": self.ticket_id,
        }


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def iso(moment: dt.datetime, timezone: str | None = None) -> str:
    """ISO 8601 with offset; fractions of a second are kept when the moment has them."""
    return (moment.astimezone(_zone(timezone)) if timezone else moment).isoformat()


def second_of(moment: dt.datetime) -> int:
    """The whole second (since the epoch) a moment falls in; exact, no float rounding."""
    return (moment - EPOCH) // ONE_SECOND


def moment_of(second: int) -> dt.datetime:
    return EPOCH + dt.timedelta(seconds=second)


def overtime(
    facts: Iterable[Fact],
    rules: Mapping[ZoneKey, ZoneRules],
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[Alert]:
    """One alert per ticket whose wait ends strictly after issued_at + overtime_minutes (or never).

    Only deadlines in `[since, until)` are judged. A ticket still waiting is overtime once its
    deadline lies before `until` (the live clock); with `until=None` (replay) it always is.
    """
    alerts = []
    for fact in facts:
        zone = rules.get((fact.hall, fact.zone))
        if zone is None:
            continue
        deadline = fact.issued_at + dt.timedelta(minutes=zone.overtime_minutes)
        if (since is not None and deadline < since) or (until is not None and deadline >= until):
            continue
        if fact.wait_end is None or fact.wait_end > deadline:
            alerts.append(Alert(deadline, "overtime", fact.hall, fact.zone, fact.ticket_id))
    return alerts


def crossings(
    facts: Iterable[Fact],
    rules: Mapping[ZoneKey, ZoneRules],
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[Alert]:
    """Yellow and red crossings in the whole seconds `s` with `since <= s` and `s + 1 <= until`.

    `facts` must hold every ticket of the zone that waits at some second in
    `[since - 1 s, until)`; tickets that ended earlier may be left out (they add nothing).
    """
    first = None if since is None else second_of(since) + (since != moment_of(second_of(since)))
    last = None if until is None else second_of(until) - 1  # the last second complete by `until`
    deltas: dict[ZoneKey, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for fact in facts:
        key = (fact.hall, fact.zone)
        zone = rules.get(key)
        if zone is None or (zone.yellow is None and zone.red is None):
            continue
        start = second_of(fact.issued_at)
        end = None if fact.wait_end is None else second_of(fact.wait_end)
        if end == start:
            continue  # issued and called (or cancelled) within one second: never waiting
        per_second = deltas[key]
        per_second[start] += 1
        if end is not None:
            per_second[end] -= 1
    alerts = []
    for key, per_second in deltas.items():
        zone = rules[key]
        levels = [(kind, limit) for kind, limit in (("yellow", zone.yellow), ("red", zone.red)) if limit]
        count = 0
        for second in sorted(per_second):
            before, count = count, count + per_second[second]
            if last is not None and second > last:
                break
            if count <= before or (first is not None and second < first):
                continue
            for kind, limit in levels:
                if before < limit <= count:
                    alerts.append(Alert(moment_of(second), kind, key[0], key[1], None, count, limit))
    return alerts


def _bounds(since: dt.datetime | None, until: dt.datetime | None) -> tuple[int | None, int | None]:
    """The first and last whole seconds that may be judged in `[since, until)`."""
    first = None if since is None else second_of(since) + (since != moment_of(second_of(since)))
    last = None if until is None else second_of(until) - 1
    return first, last


def flows(
    facts: Iterable[Fact],
    rules: Mapping[ZoneKey, ZoneRules],
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[Alert]:
    """`flow` alerts: arrivals in the last N minutes rise to X. `facts` must hold every ticket of
    the zone issued in `(since - 1 s - N min, until)`."""
    first, last = _bounds(since, until)
    deltas: dict[ZoneKey, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for fact in facts:
        key = (fact.hall, fact.zone)
        zone = rules.get(key)
        if zone is None or zone.flow is None:
            continue
        start = second_of(fact.issued_at)
        deltas[key][start] += 1
        deltas[key][start + 60 * zone.flow.minutes] -= 1
    alerts = []
    for key, per_second in deltas.items():
        rule = rules[key].flow
        assert rule is not None
        count = 0
        for second in sorted(per_second):
            before, count = count, count + per_second[second]
            if last is not None and second > last:
                break
            if (first is None or second >= first) and before < rule.arrivals <= count:
                alerts.append(Alert(moment_of(second), "flow", key[0], key[1], None, count, rule.arrivals))
    return alerts


def waits(
    facts: Iterable[Fact],
    rules: Mapping[ZoneKey, ZoneRules],
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[Alert]:
    """`wait` alerts: the estimated wait `waiting × 60 M ÷ ended` rises to Y minutes (integers only:
    `waiting × M >= Y × ended`, with `ended > 0`). `facts` must hold every ticket of the zone waiting
    in `[since - 1 s, until)` or whose wait ended in `(since - 1 s - M min, until)`."""
    first, last = _bounds(since, until)
    waiting: dict[ZoneKey, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    ended: dict[ZoneKey, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for fact in facts:
        key = (fact.hall, fact.zone)
        zone = rules.get(key)
        if zone is None or zone.wait is None:
            continue
        start = second_of(fact.issued_at)
        end = None if fact.wait_end is None else second_of(fact.wait_end)
        waiting[key][start] += 0  # a second to look at, even when the ticket never counts
        if end is not None:
            ended[key][end] += 1
            ended[key][end + 60 * zone.wait.rate_minutes] -= 1
            if end != start:
                waiting[key][start] += 1
                waiting[key][end] -= 1
        else:
            waiting[key][start] += 1
    alerts = []
    for key in waiting.keys() | ended.keys():
        rule = rules[key].wait
        assert rule is not None
        w_deltas, e_deltas = waiting[key], ended[key]
        count = drained = 0
        above = False
        for second in sorted(w_deltas.keys() | e_deltas.keys()):
            if last is not None and second > last:
                break
            count += w_deltas.get(second, 0)
            drained += e_deltas.get(second, 0)
            was, above = above, drained > 0 and count * rule.rate_minutes >= rule.minutes * drained
            if above and not was and (first is None or second >= first):
                estimate = count * 60 * rule.rate_minutes // drained // 60
                alerts.append(Alert(moment_of(second), "wait", key[0], key[1], None, estimate, rule.minutes))
    return alerts


def evaluate(
    facts: Iterable[Fact],
    rules: Mapping[ZoneKey, ZoneRules],
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[Alert]:
    """Every alert of the window, sorted by `at` (ties: kind, hall, zone, ticket id)."""
    facts = list(facts)
    alerts = overtime(facts, rules, since=since, until=until)
    alerts += crossings(facts, rules, since=since, until=until)
    if any(zone.flow for zone in rules.values()):
        alerts += flows(facts, rules, since=since, until=until)
    if any(zone.wait for zone in rules.values()):
        alerts += waits(facts, rules, since=since, until=until)
    alerts.sort(key=Alert.sort_key)
    return alerts


def _whole(value: Any, where: str, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{where}: must be a whole number ≥ {minimum}, got {value!r}")
    return value


def _flow_rule(raw: Any, where: str) -> FlowRule | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValueError(f'{where}: must be {{"minutes": N, "arrivals": X}} or null')
    return FlowRule(
        _whole(raw.get("minutes"), f"{where}.minutes"), _whole(raw.get("arrivals"), f"{where}.arrivals")
    )


def _wait_rule(raw: Any, where: str) -> WaitRule | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValueError(f'{where}: must be {{"minutes": Y, "rate_minutes": M}} or null')
    rate = raw.get("rate_minutes", 15)
    return WaitRule(_whole(raw.get("minutes"), f"{where}.minutes"), _whole(rate, f"{where}.rate_minutes"))


def policy_rules(
    policy: Any, zone_code: str, where: str = "policy"
) -> tuple[FlowRule | None, WaitRule | None]:
    """A zone's flow and wait rules from a hall policy's `monitor` entry (ValueError says where):

        {"monitor": {"flow": {"minutes": 10, "arrivals": 30},
                     "wait": {"minutes": 30, "rate_minutes": 15},
                     "zones": {"B": {"flow": {"minutes": 10, "arrivals": 60}, "wait": null}}}}

    Hall-wide entries apply to every zone; a zone's entry replaces them (null turns one off)."""
    monitor = policy.get("monitor") if isinstance(policy, dict) else None
    if monitor is None:
        return None, None
    if not isinstance(monitor, dict):
        raise ValueError(f"{where}.monitor: must be an object")
    zones = monitor.get("zones") or {}
    if not isinstance(zones, dict):
        raise ValueError(f"{where}.monitor.zones: must map zone codes to rules")
    own = zones.get(zone_code) or {}
    if not isinstance(own, dict):
        raise ValueError(f"{where}.monitor.zones.{zone_code}: must be an object")
    flow_raw = own["flow"] if "flow" in own else monitor.get("flow")
    wait_raw = own["wait"] if "wait" in own else monitor.get("wait")
    return _flow_rule(flow_raw, f"{where}.monitor.flow"), _wait_rule(wait_raw, f"{where}.monitor.wait")
