"""Hall changes: the all-or-nothing halls import, window states."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction

from govhall.halls import hours
from govhall.halls.models import Hall, Window, Zone, ZoneMatter
from govhall.importing import ImportFailed, ImportReport, LineError

LEVELS = {"city", "town", "village"}


def _line_of(text: str, needle: str) -> int | None:
    """The line where a hall's code appears, so errors point at the right place."""
    index = text.find(f'"{needle}"')
    return None if index < 0 else text.count("\n", 0, index) + 1


def load_file(path: Path) -> tuple[list[dict[str, Any]], str]:
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFailed([LineError(exc.lineno, f"bad JSON: {exc.msg} (column {exc.colno})")])
    halls = data.get("halls") if isinstance(data, dict) else None
    if not isinstance(halls, list):
        raise ImportFailed([LineError(1, 'the file must be {"halls": [ … ]}', "halls")])
    return halls, text


def _opt_int(value: Any, field: str, where: str, errors: list[LineError], line: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        errors.append(LineError(line, f"{where}: must be a whole number ≥ 0 or null, got {value!r}", field))
        return None
    return value


def validate(halls: list[Any], text: str) -> list[dict[str, Any]]:
    errors: list[LineError] = []
    seen: set[str] = set()
    clean: list[dict[str, Any]] = []
    for index, raw in enumerate(halls):
        if not isinstance(raw, dict):
            errors.append(LineError(None, f"halls[{index}] must be an object"))
            continue
        code = raw.get("code")
        line = _line_of(text, code) if isinstance(code, str) else None
        where = f"hall {code!r}" if isinstance(code, str) else f"halls[{index}]"
        if not isinstance(code, str) or not code.strip():
            errors.append(LineError(line, f"{where}: missing code", "code"))
            continue
        if code in seen:
            errors.append(LineError(line, f"{where}: duplicate hall code", "code"))
        seen.add(code)
        if not isinstance(raw.get("name"), str) or not raw["name"].strip():
            errors.append(LineError(line, f"{where}: missing name", "name"))
        level = raw.get("level", "city")
        if level not in LEVELS:
            errors.append(LineError(line, f"{where}: unknown level {level!r} (city, town, village)", "level"))
        for key in ("lat", "lon"):
            value = raw.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                errors.append(LineError(line, f"{where}: must be a number", key))
        tz = raw.get("timezone") or "Asia/Shanghai"
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            errors.append(LineError(line, f"{where}: unknown time zone {tz!r}", "timezone"))
        try:
            hours.parse(raw.get("opening_hours"))
        except hours.HoursError as exc:
            errors.append(LineError(line, f"{where}: {exc}", "opening_hours"))
        closed = raw.get("closed_dates") or []
        if not isinstance(closed, list) or not all(isinstance(d, str) and len(d) == 10 for d in closed):
            errors.append(
                LineError(line, f"{where}: closed_dates must be a list of YYYY-MM-DD", "closed_dates")
            )
        zones, windows = raw.get("zones") or [], raw.get("windows") or []
        zone_codes: set[str] = set()
        matter_zone: dict[str, str] = {}
        prefixes: set[str] = set()
        for zone in zones if isinstance(zones, list) else []:
            if not isinstance(zone, dict) or not isinstance(zone.get("code"), str) or not zone["code"]:
                errors.append(LineError(line, f"{where}: every zone needs a code", "zones"))
                continue
            zwhere = f"{where} zone {zone['code']!r}"
            if zone["code"] in zone_codes:
                errors.append(LineError(line, f"{zwhere}: duplicate zone code", "zones"))
            zone_codes.add(zone["code"])
            prefix = zone.get("prefix") or zone["code"]
            if not isinstance(prefix, str) or not prefix.isalnum() or len(prefix) > 8:
                errors.append(
                    LineError(line, f"{zwhere}: prefix must be up to 8 letters or digits", "prefix")
                )
            elif prefix in prefixes:
                errors.append(
                    LineError(line, f"{zwhere}: prefix {prefix!r} is used by another zone", "prefix")
                )
            prefixes.add(str(prefix))
            for key in ("overtime_minutes", "yellow_waiting", "red_waiting"):
                _opt_int(zone.get(key), key, zwhere, errors, line)
            matters = zone.get("matters") or []
            if not isinstance(matters, list) or not all(isinstance(m, str) for m in matters):
                errors.append(LineError(line, f"{zwhere}: matters must be a list of codes", "matters"))
                continue
            for matter in matters:
                if matter in matter_zone and matter_zone[matter] != zone["code"]:
                    errors.append(
                        LineError(
                            line,
                            f"{zwhere}: matter {matter!r} is already in zone {matter_zone[matter]!r}",
                            "matters",
                        )
                    )
                matter_zone[matter] = zone["code"]
        if not isinstance(zones, list):
            errors.append(LineError(line, f"{where}: zones must be a list", "zones"))
        window_codes: set[str] = set()
        for window in windows if isinstance(windows, list) else []:
            if not isinstance(window, dict) or not isinstance(window.get("code"), (str, int)):
                errors.append(LineError(line, f"{where}: every window needs a code", "windows"))
                continue
            wcode = str(window["code"])
            if wcode in window_codes:
                errors.append(LineError(line, f"{where} window {wcode!r}: duplicate window code", "windows"))
            window_codes.add(wcode)
            served = window.get("zones") or []
            unknown = [z for z in served if z not in zone_codes] if isinstance(served, list) else ["?"]
            if unknown:
                errors.append(
                    LineError(line, f"{where} window {wcode!r}: unknown zone {unknown[0]!r}", "zones")
                )
        if not isinstance(windows, list):
            errors.append(LineError(line, f"{where}: windows must be a list", "windows"))
        clean.append(raw)
    known = seen | set(Hall.objects.values_list("code", flat=True))
    for raw in clean:
        parent = raw.get("parent")
        if parent is not None and parent not in known:
            errors.append(
                LineError(
                    _line_of(text, raw["code"]), f"hall {raw['code']!r}: unknown parent {parent!r}", "parent"
                )
            )
    if errors:
        raise ImportFailed(errors)
    return clean


def import_halls(path: Path) -> ImportReport:
    halls, text = load_file(path)
    return upsert_halls(validate(halls, text))


def upsert_halls(halls: list[dict[str, Any]]) -> ImportReport:
    from govhall.catalog.models import Matter

    report = ImportReport()
    known_matters = set(Matter.objects.values_list("code", flat=True))
    with transaction.atomic(durable=True):
        by_code: dict[str, Hall] = {}
        for raw in halls:
            hall, created = Hall.objects.get_or_create(code=raw["code"], defaults={"name": raw["name"]})
            report.created += created
            report.updated += not created
            hall.name = raw["name"].strip()
            hall.level = raw.get("level", "city")
            hall.address = raw.get("address") or ""
            hall.lat, hall.lon = raw.get("lat"), raw.get("lon")
            hall.timezone = raw.get("timezone") or "Asia/Shanghai"
            hall.opening_hours = raw.get("opening_hours") or {}
            hall.closed_dates = raw.get("closed_dates") or []
            if isinstance(raw.get("policy"), dict):
                hall.policy = raw["policy"]
            hall.save()
            by_code[hall.code] = hall
            zones: dict[str, Zone] = {z.code: z for z in hall.zones.all()}
            ZoneMatter.objects.filter(hall=hall).delete()
            for position, rz in enumerate(raw.get("zones") or []):
                zone = zones.get(rz["code"]) or Zone(hall=hall, code=rz["code"])
                zone.name = rz.get("name") or rz["code"]
                zone.prefix = rz.get("prefix") or rz["code"]
                zone.overtime_minutes = 15 if rz.get("overtime_minutes") is None else rz["overtime_minutes"]
                zone.yellow_waiting = rz.get("yellow_waiting")
                zone.red_waiting = rz.get("red_waiting")
                zone.position = position
                zone.save()
                zones[zone.code] = zone
                for code in dict.fromkeys(rz.get("matters") or []):
                    if code not in known_matters:
                        report.warnings.append(f"hall {hall.code} zone {zone.code}: unknown matter {code}")
                    ZoneMatter.objects.create(hall=hall, zone=zone, matter_code=code)
            windows = {w.code: w for w in hall.windows.all()}
            for position, rw in enumerate(raw.get("windows") or []):
                code = str(rw["code"])
                window = windows.get(code)
                tidal = bool(rw.get("tidal", False))
                if window is None:
                    window = Window(
                        hall=hall, code=code, state=Window.State.CLOSED if tidal else Window.State.OPEN
                    )
                window.name = rw.get("name") or f"{code}号窗口"
                window.tidal = tidal
                window.position = position
                window.save()
                window.zones.set([zones[z] for z in rw.get("zones") or []])
        for raw in halls:
            parent = raw.get("parent")
            hall = by_code[raw["code"]]
            hall.parent = (by_code.get(parent) or Hall.objects.get(code=parent)) if parent else None
            hall.save(update_fields=["parent"])
    return report
