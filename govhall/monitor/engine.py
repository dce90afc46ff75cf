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

No Django here: the live monitor and the command line share this module as it is.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
ONE_SECOND = dt.timedelta(seconds=1)
KINDS = ("overtime", "yellow", "red")
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
    waiting: int | None = None  # the count after the crossing second (yellow/red)
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
    alerts.sort(key=Alert.sort_key)
    return alerts
