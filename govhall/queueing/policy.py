"""Who is next: the per-hall calling policy, configured in `Hall.policy` (JSON), no code needed.

Keys (all optional):
  priority_first        true   — priority / green-channel tickets go first
  priority_cap          0      — after this many priority calls in a row at a window, call a
                                 normal ticket if one waits (0 = no cap)
  zone_weights          {}     — zone code → weight (≥ 0); a ticket's wait counts `weight` times
                                 when comparing zones at a comprehensive window
  transfer_keeps_place  true   — a transferred ticket keeps its place (issue time) in the new zone
  max_recalls           3      — how often a called ticket may be announced again
  priority_kinds        [...]  — who may take a priority ticket (shown at the kiosk)
  priority_proofs       {...}  — priority kind → the proof the window checks (green channel)
  remote_tickets_per_subject_per_day 3 — remote tickets one subject may take per day (all halls)
  remote_open_per_hall  1      — remote tickets one subject may hold open at once in a hall

Appointments (see govhall.appointments and the pure rules at the end of this module):
  appointment_slot_minutes            30   — length of a bookable slot
  appointment_share                   0.5  — share of a slot's throughput offered to bookings
                                             (the rest stays for walk-ins: they are never starved)
  appointment_days_ahead              7    — how far ahead people may book
  appointment_checkin_early_minutes   30   — check-in opens this long before the slot
  appointment_checkin_late_minutes    15   — and closes this long after the slot started
  appointment_priority                true — a booking checked in near its slot is a priority ticket
  appointment_priority_lead_minutes   10   — "near": from this long before the slot start on
  no_show_limit / no_show_days / no_show_ban_days  3 / 90 / 30 — N missed bookings in D days →
                                             no booking for B days (the citizen is told why)
  near_turn_ahead                     3    — tell a ticket holder with a phone when this few are ahead
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
    "priority_proofs": {
        "老年人(65岁以上)": "居民身份证或老年人优待证（窗口核验年龄）",
        "残疾人": "残疾人证",
        "孕妇": "母子健康手册或孕检证明",
        "现役军人": "军官证、士兵证或退役军人优待证",
    },
    "remote_tickets_per_subject_per_day": 3,
    "remote_open_per_hall": 1,
    "appointment_slot_minutes": 30,
    "appointment_share": 0.5,
    "appointment_days_ahead": 7,
    "appointment_checkin_early_minutes": 30,
    "appointment_checkin_late_minutes": 15,
    "appointment_priority": True,
    "appointment_priority_lead_minutes": 10,
    "no_show_limit": 3,
    "no_show_days": 90,
    "no_show_ban_days": 30,
    "near_turn_ahead": 3,
}


# Numeric appointment keys: a value of the wrong type (a hand-edited policy) falls back to the default
# rather than failing every booking of the hall.
NUMERIC_KEYS = frozenset(
    k
    for k, v in DEFAULTS.items()
    if k.startswith(("appointment_", "no_show_", "near_turn", "remote_open"))
    and isinstance(v, int | float)
    and not isinstance(v, bool)
)


def settings_of(policy: dict[str, Any] | None) -> dict[str, Any]:
    merged = dict(DEFAULTS)
    merged.update({k: v for k, v in (policy or {}).items() if k in DEFAULTS})
    for key in NUMERIC_KEYS:
        value = merged[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            merged[key] = DEFAULTS[key]
    return merged


@dataclass(frozen=True)
class Head:
    """The first waiting ticket of one queue (a zone's priority or normal line)."""

    ticket_id: str
    zone_code: str
    priority: int
    queued_at: dt.datetime


def choose(heads: list[Head], policy: dict[str, Any], priority_streak: int, now: dt.datetime) -> list[Head]:
    """Heads in the order this window should try them (the first that can be claimed wins).

    Given more than the heads — the first few tickets of each line, in queue order — it ranks
    them all the same way: within a line a later ticket never outranks an earlier one, so the
    first is still the best head, and the rest are what to call if the better ones are taken."""
    rules = settings_of(policy)
    weights = rules["zone_weights"] or {}
    cap = int(rules["priority_cap"] or 0)
    capped = cap > 0 and priority_streak >= cap and any(h.priority == 0 for h in heads)

    def key(head: Head) -> tuple[int, float, dt.datetime]:
        wait = (now - head.queued_at).total_seconds()
        # a weight below 0 would rank a line's later tickets before its earlier ones: count it as 0
        weighted = wait * max(0.0, float(weights.get(head.zone_code, 1.0)))
        first = head.priority > 0 and rules["priority_first"] and not capped
        return (0 if first else 1, -weighted, head.queued_at)

    return sorted(heads, key=key)


# --- appointments: pure rules ------------------------------------------------------------


def slot_capacity(windows: float, slot_seconds: float, mean_service_seconds: float, share: float) -> int:
    """Bookable seats of one slot: the zone's windows × slot length ÷ mean handling time, times the
    share offered to bookings (the rest of the throughput stays for walk-ins)."""
    if windows <= 0 or slot_seconds <= 0 or share <= 0:
        return 0
    throughput = windows * slot_seconds / max(mean_service_seconds, 1.0)
    return max(0, int(throughput * min(share, 1.0)))


def checkin_window(policy: dict[str, Any] | None, slot_start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """When a booking for a slot starting at `slot_start` may be checked in: [opens, closes)."""
    rules = settings_of(policy)
    early = dt.timedelta(minutes=int(rules["appointment_checkin_early_minutes"]))
    late = dt.timedelta(minutes=int(rules["appointment_checkin_late_minutes"]))
    return slot_start - early, slot_start + late


def appointment_priority(policy: dict[str, Any] | None, slot_start: dt.datetime, at: dt.datetime) -> int:
    """The priority of the ticket a check-in at `at` creates: 1 (served like the green channel,
    under the hall's `priority_cap`) once the slot is near, 0 for an early arrival, who queues
    with everybody and so cannot jump ahead of people who came before their own slot."""
    rules = settings_of(policy)
    if not rules["appointment_priority"]:
        return 0
    lead = dt.timedelta(minutes=int(rules["appointment_priority_lead_minutes"]))
    return 1 if at >= slot_start - lead else 0


def no_show_ban(
    policy: dict[str, Any] | None, missed: list[dt.datetime], now: dt.datetime
) -> dt.datetime | None:
    """Until when a subject may not book, given the slot starts of its missed bookings; None if free.

    With N = no_show_limit missed within D = no_show_days days (counted back from the latest
    miss), booking is refused for B = no_show_ban_days days after that latest miss."""
    rules = settings_of(policy)
    limit, days, ban = int(rules["no_show_limit"]), int(rules["no_show_days"]), int(rules["no_show_ban_days"])
    if limit <= 0 or ban <= 0:
        return None
    recent = sorted(m for m in missed if m > now - dt.timedelta(days=days + ban))
    for i in range(len(recent) - limit, -1, -1):
        window = recent[i : i + limit]
        if len(window) == limit and window[-1] - window[0] <= dt.timedelta(days=days):
            until = window[-1] + dt.timedelta(days=ban)
            return until if until > now else None
    return None
