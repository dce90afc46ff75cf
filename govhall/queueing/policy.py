"""Who is next: the per-hall calling policy, configured in `Hall.policy` (JSON), no code needed.

Keys (all optional):
  priority_first        true   — priority / green-channel tickets go first
  priority_cap          0      — after this many priority calls in a row at a window, call a
                                 normal ticket if one waits (0 = no cap)
  zone_weights          {}     — zone code → weight; a ticket's wait counts `weight` times
                                 when comparing zones at a comprehensive window
  transfer_keeps_place  true   — a transferred ticket keeps its place (issue time) in the new zone
  max_recalls           3      — how often a called ticket may be announced again
  priority_kinds        [...]  — who may take a priority ticket (shown at the kiosk)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

DEFAULTS: dict[str, Any] = {
    "priority_first": True,
    "priority_cap": 0,
    "zone_weights": {},
    "transfer_keeps_place": True,
    "max_recalls": 3,
    "priority_kinds": ["老年人(65岁以上)", "残疾人", "孕妇", "现役军人"],
    "remote_tickets_per_subject_per_day": 3,
}


def settings_of(policy: dict[str, Any] | None) -> dict[str, Any]:
    merged = dict(DEFAULTS)
    merged.update({k: v for k, v in (policy or {}).items() if k in DEFAULTS})
    return merged


@dataclass(frozen=True)
class Head:
    """The first waiting ticket of one queue (a zone's priority or normal line)."""

    ticket_id: str
    zone_code: str
    priority: int
    queued_at: dt.datetime


def choose(heads: list[Head], policy: dict[str, Any], priority_streak: int, now: dt.datetime) -> list[Head]:
    """Heads in the order this window should try them (the first that can be claimed wins)."""
    rules = settings_of(policy)
    weights = rules["zone_weights"] or {}
    cap = int(rules["priority_cap"] or 0)
    capped = cap > 0 and priority_streak >= cap and any(h.priority == 0 for h in heads)

    def key(head: Head) -> tuple[int, float, dt.datetime]:
        wait = (now - head.queued_at).total_seconds()
        weighted = wait * float(weights.get(head.zone_code, 1.0))
        first = head.priority > 0 and rules["priority_first"] and not capped
        return (0 if first else 1, -weighted, head.queued_at)

    return sorted(heads, key=key)
