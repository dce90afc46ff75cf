"""`govhall monitor replay`: the alert engine over a ticket log on the log's own clock (no database)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from govhall.monitor.engine import (
    DEFAULT_OVERTIME_MINUTES,
    Alert,
    Fact,
    ZoneKey,
    ZoneRules,
    evaluate,
    policy_rules,
)
from govhall.ticketlog import LogRow, read_log


class HallsError(ValueError):
    """A halls file the replay can't use; the message says where and why."""


def _threshold(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise HallsError(f"{where}: must be a whole number ≥ 0 or null, got {value!r}")
    return value


def rules_from_halls(data: Any) -> dict[ZoneKey, ZoneRules]:
    """Zone thresholds from a halls document (CONTRACTS section 4); only what the rules need is checked."""
    halls = data.get("halls") if isinstance(data, dict) else None
    if not isinstance(halls, list):
        raise HallsError('the halls file must be {"halls": [ … ]}')
    rules: dict[ZoneKey, ZoneRules] = {}
    for index, hall in enumerate(halls):
        code = hall.get("code") if isinstance(hall, dict) else None
        if not isinstance(code, str) or not code:
            raise HallsError(f"halls[{index}]: every hall needs a code")
        tz = hall.get("timezone") or "Asia/Shanghai"
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise HallsError(f"hall {code!r}: unknown time zone {tz!r}")
        zones = hall.get("zones") or []
        if not isinstance(zones, list):
            raise HallsError(f"hall {code!r}: zones must be a list")
        for zone in zones:
            if not isinstance(zone, dict) or not isinstance(zone.get("code"), str) or not zone["code"]:
                raise HallsError(f"hall {code!r}: every zone needs a code")
            where = f"hall {code!r} zone {zone['code']!r}"
            minutes = _threshold(zone.get("overtime_minutes"), f"{where} overtime_minutes")
            try:
                flow, wait = policy_rules(hall.get("policy"), zone["code"], f"hall {code!r} policy")
            except ValueError as exc:
                raise HallsError(str(exc))
            rules[(code, zone["code"])] = ZoneRules(
                overtime_minutes=DEFAULT_OVERTIME_MINUTES if minutes is None else minutes,
                yellow=_threshold(zone.get("yellow_waiting"), f"{where} yellow_waiting"),
                red=_threshold(zone.get("red_waiting"), f"{where} red_waiting"),
                timezone=tz,
                flow=flow,
                wait=wait,
            )
    return rules


def load_rules(path: Path) -> dict[ZoneKey, ZoneRules]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise HallsError(f"bad JSON in {path}: {exc.msg} (line {exc.lineno}, column {exc.colno})")
    return rules_from_halls(data)


def facts_of(rows: list[LogRow]) -> list[Fact]:
    return [Fact(r.ticket_id, r.hall, r.zone, r.issued_at, r.called_at or r.finished_at) for r in rows]


def replay(rows: list[LogRow], rules: dict[ZoneKey, ZoneRules]) -> list[Alert]:
    return evaluate(facts_of(rows), rules)


def replay_json(rows: list[LogRow], rules: dict[ZoneKey, ZoneRules]) -> dict[str, list[dict[str, Any]]]:
    """`{"alerts": [...]}`, every `at` in its hall's time zone."""
    return {"alerts": [a.as_json(rules[(a.hall, a.zone)].timezone) for a in replay(rows, rules)]}


def replay_files(log: Path, halls: Path) -> dict[str, list[dict[str, Any]]]:
    return replay_json(read_log(log), load_rules(halls))
