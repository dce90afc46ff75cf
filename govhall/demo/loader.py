"""Loads the demo city through the same import services real data uses.

`load_demo()` is idempotent: a second run finds everything in place and writes nothing new
(matters and halls that already match are left alone, situations, bundles, points and users are
upserted by their natural keys, demo tokens are derived from the installation's SECRET_KEY,
and history days that exist are skipped).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import importlib
import json
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from govhall import clock, ticketlog
from govhall.accounts.models import ApiToken, Membership, Role
from govhall.catalog import formats
from govhall.catalog.models import Bundle, Matter, Situation
from govhall.catalog.services import FIELDS, matter_records, upsert_matters
from govhall.demo import traffic
from govhall.demo.data import catalog, city, guides
from govhall.halls import services as hall_services
from govhall.halls.models import Hall, ServicePoint
from govhall.queueing.logs import import_log
from govhall.queueing.models import Ticket

HISTORY_DAYS = 28
# username, password, role, hall (None: every hall), superuser
USERS: list[tuple[str, str, str, str | None, bool]] = [
    ("admin", "admin", Role.ADMIN, None, True),
    ("manager_wang", "demo1234", Role.MANAGER, city.CITY, False),
    ("staff_li", "demo1234", Role.STAFF, city.CITY, False),
]


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def load_demo(*, history_days: int = HISTORY_DAYS) -> str:
    """Load (or refresh) the demo city and return a one-line summary; logins go to stderr."""
    records = catalog.records()
    changed = _load_catalog(records)
    hall_list = city.halls(records)
    halls_changed = _load_halls(hall_list)
    by_name = {r["name"]: r["code"] for r in records}
    situations = _load_situations(records)
    bundles = _load_bundles(by_name)
    points = _load_points(city.points(records))
    logins = _load_users()
    history = load_history(history_days) if history_days > 0 else 0
    extras = _load_app_demos()
    windows = sum(len(h["windows"]) for h in hall_list)
    _err("demo logins (web: /accounts/login/, API: Authorization: Bearer TOKEN):")
    for line in logins:
        _err(f"  {line}")
    return (
        f"demo city 江澜市 loaded: {len(records)} matters ({changed} new or changed), "
        f"{len(hall_list)} halls ({halls_changed} new or changed) with {windows} windows, "
        f"{situations} situations, {bundles} bundles, {points} service points, "
        f"{history} history tickets added; {', '.join(extras) or 'no app demo data'}"
    )


# Apps with demo data of their own (`govhall.<app>.demo.load(rng, now)`), in dependency order:
# ratings rate the history's served tickets, staff scores read ratings.
APP_DEMOS = ["appointments", "ratings", "reminders", "staff", "remotehelp", "guide", "assistant"]


def _load_app_demos() -> list[str]:
    loaded = []
    now = clock.now()
    for app in APP_DEMOS:
        module = importlib.import_module(f"govhall.{app}.demo")
        started = time.perf_counter()
        module.load(random.Random(f"jianglan-{app}"), now)
        loaded.append(f"{app} ({time.perf_counter() - started:.1f} s)")
    return loaded


def _load_catalog(records: list[dict[str, Any]]) -> int:
    clean = formats.validate(list(enumerate(records, start=1)))
    existing = {r["code"]: r for r in matter_records()}
    keys = ("department", *FIELDS)

    def same(new: dict[str, Any], old: dict[str, Any] | None) -> bool:
        return old is not None and all(
            Decimal(str(new[k])) == Decimal(str(old[k])) if k == "fee" else new[k] == old[k] for k in keys
        )

    todo = [r for r in clean if not same(r, existing.get(r["code"]))]
    if todo:
        upsert_matters(todo)
    return len(todo)


def _hall_snapshot(hall: Hall) -> dict[str, Any]:
    """A hall as stored, in the shape of the import file (to skip halls that already match)."""
    zone_matters: dict[str, list[str]] = {}
    for zone_code, matter in hall.zone_matters.order_by("id").values_list("zone__code", "matter_code"):
        zone_matters.setdefault(zone_code, []).append(matter)
    return {
        "code": hall.code,
        "name": hall.name,
        "level": hall.level,
        "parent": hall.parent.code if hall.parent else None,
        "address": hall.address,
        "lat": hall.lat,
        "lon": hall.lon,
        "timezone": hall.timezone,
        "opening_hours": hall.opening_hours,
        "closed_dates": hall.closed_dates,
        "zones": [
            {
                "code": z.code,
                "name": z.name,
                "prefix": z.prefix,
                "matters": zone_matters.get(z.code, []),
                "overtime_minutes": z.overtime_minutes,
                "yellow_waiting": z.yellow_waiting,
                "red_waiting": z.red_waiting,
            }
            for z in hall.zones.order_by("position", "code")
        ],
        "windows": [
            {
                "code": w.code,
                "name": w.name,
                "zones": sorted(z.code for z in w.zones.all()),
                "tidal": w.tidal,
            }
            for w in hall.windows.order_by("position", "code").prefetch_related("zones")
        ],
    }


def _normalised(raw: dict[str, Any]) -> dict[str, Any]:
    out = json.loads(json.dumps(raw))
    for window in out["windows"]:
        window["zones"] = sorted(window["zones"])
    return out


def _load_halls(hall_list: list[dict[str, Any]]) -> int:
    text = json.dumps({"halls": hall_list}, ensure_ascii=False, indent=1)
    clean = hall_services.validate(hall_list, text)
    stored = {
        h.code: h for h in Hall.objects.filter(code__in=[h["code"] for h in clean]).select_related("parent")
    }
    todo = [
        raw
        for raw in clean
        if raw["code"] not in stored or _hall_snapshot(stored[raw["code"]]) != _normalised(raw)
    ]
    if todo:
        hall_services.upsert_halls(todo)
    return len(todo)


def _load_situations(records: list[dict[str, Any]]) -> int:
    by_name = {r["name"]: r for r in records}
    wanted: dict[str, list[guides.Situation]] = dict(guides.SITUATIONS)
    for name in guides.GENERIC:
        wanted.setdefault(name, guides.generic(by_name[name]))
    matters = {m.code: m for m in Matter.objects.filter(code__in=[by_name[n]["code"] for n in wanted])}
    count = 0
    with transaction.atomic(durable=True):
        for name, cases in wanted.items():
            matter = matters[by_name[name]["code"]]
            stored = {s.name: s for s in matter.situations.all()}
            for position, (case, conditions, materials, steps) in enumerate(cases):
                values = {
                    "conditions": conditions,
                    "materials": materials,
                    "steps": steps,
                    "position": position,
                }
                row = stored.get(case)
                if row is None:
                    Situation.objects.create(matter=matter, name=case, **values)
                elif any(getattr(row, k) != v for k, v in values.items()):
                    for key, value in values.items():
                        setattr(row, key, value)
                    row.save(update_fields=list(values))
                count += 1
    return count


def _load_bundles(by_name: dict[str, str]) -> int:
    with transaction.atomic(durable=True):
        for code, name, names, description in guides.BUNDLES:
            bundle, created = Bundle.objects.get_or_create(
                code=code, defaults={"name": name, "description": description}
            )
            if not created and (bundle.name, bundle.description) != (name, description):
                bundle.name, bundle.description = name, description
                bundle.save(update_fields=["name", "description"])
            bundle.matters.set(Matter.objects.filter(code__in=[by_name[n] for n in names]))
    return len(guides.BUNDLES)


def _load_points(points: list[dict[str, Any]]) -> int:
    halls = {h.code: h for h in Hall.objects.filter(code__in={p["hall"] for p in points})}
    with transaction.atomic(durable=True):
        for point in points:
            values = {k: v for k, v in point.items() if k not in ("code", "hall")}
            values["hall"] = halls[point["hall"]]
            row = ServicePoint.objects.filter(code=point["code"]).first()
            if row is None:
                ServicePoint.objects.create(code=point["code"], **values)
            elif any(getattr(row, k) != v for k, v in values.items()):
                for key, value in values.items():
                    setattr(row, key, value)
                row.save()
    return len(points)


def demo_token(username: str) -> str:
    """A token that stays the same across loads of one installation (derived from SECRET_KEY),
    so the printed logins keep working and reloading adds no token rows."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"govhall-demo:{username}".encode(), hashlib.sha256)
    return "gh_demo_" + digest.hexdigest()[:32]


def _load_users() -> list[str]:
    """The demo logins. A password is set only when the user is created, so one changed
    since (or a user made by `createsuperuser`) is left alone."""
    user_model = get_user_model()
    halls = {h.code: h for h in Hall.objects.filter(code__in=[u[3] for u in USERS if u[3]])}
    lines = []
    with transaction.atomic(durable=True):
        for username, password, role, hall_code, superuser in USERS:
            user = user_model.objects.filter(username=username).first()
            if user is None:
                user = user_model.objects.create_user(username=username, password=password)
                user.is_staff = superuser or role != Role.STAFF
                user.is_superuser = superuser
                user.save(update_fields=["is_staff", "is_superuser"])
            Membership.objects.update_or_create(
                user=user, defaults={"role": role, "hall": halls.get(hall_code) if hall_code else None}
            )
            token = demo_token(username)
            ApiToken.objects.get_or_create(
                digest=ApiToken.hash(token), defaults={"user": user, "label": "demo"}
            )
            where = f"hall {hall_code}" if hall_code else "every hall"
            lines.append(f"{username} / {password}  role {role}, {where}, token {token}")
    return lines


# -- history -------------------------------------------------------------------------------


def hall_specs(codes: list[str] | None = None) -> list[traffic.HallSpec]:
    """The stored halls as the pure traffic model sees them."""
    halls = Hall.objects.prefetch_related("zones", "windows__zones", "zone_matters").order_by("level", "code")
    if codes is not None:
        halls = halls.filter(code__in=codes)
    out = []
    for hall in halls:
        matters: dict[int, list[str]] = {}
        for link in sorted(hall.zone_matters.all(), key=lambda zm: zm.pk):
            matters.setdefault(link.zone_id, []).append(link.matter_code)
        zones = tuple(
            traffic.ZoneSpec(z.code, tuple(matters.get(z.pk, [])), z.yellow_waiting, z.red_waiting)
            for z in sorted(hall.zones.all(), key=lambda z: (z.position, z.code))
        )
        windows = tuple(
            traffic.WindowSpec(w.code, tuple(sorted(z.code for z in w.zones.all())), w.tidal)
            for w in sorted(hall.windows.all(), key=lambda w: (w.position, w.code))
        )
        if windows:
            out.append(
                traffic.HallSpec(
                    hall.code, hall.timezone, hall.opening_hours, tuple(hall.closed_dates), zones, windows
                )
            )
    return out


def load_history(days: int = HISTORY_DAYS, *, seed: int = 2026) -> int:
    """Import a synthetic ticket history of the last `days` days (before today) for the demo
    halls, through the ticket-log import; days already imported are skipped. Returns the
    number of tickets added."""
    if days <= 0:
        return 0
    specs = hall_specs([h["code"] for h in city.halls(catalog.records())])
    bundle_codes = _bundle_codes()
    done = set(
        Ticket.objects.filter(id__startswith="hist-").values_list("hall__code", "service_day").distinct()
    )
    rows: list[ticketlog.LogRow] = []
    for spec in specs:
        today = clock.service_day(clock.now(), spec.timezone)
        first = today - dt.timedelta(days=days)
        wanted = [first + dt.timedelta(days=i) for i in range(days)]
        rng = random.Random(f"{seed}:{spec.code}:{first}")
        if all((spec.code, day) in done for day in wanted):
            continue
        big = len(spec.windows) > 10
        generated = traffic.history(
            spec,
            wanted,
            rng,
            bundle_codes,
            # a realistic share of windows staffed on a given day, loaded so that peaks queue
            staffed_share=0.3 if big else 0.4,
            peak_load=0.8 if big else 0.55,
        )
        rows.extend(r for r in generated if (spec.code, r.issued_at.date()) not in done)
    if not rows:
        return 0
    rows.sort(key=lambda r: (r.issued_at, r.ticket_id))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo-history.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            ticketlog.write_log(rows, out)  # type: ignore[arg-type]
        report = import_log(path)
    return report.created


def _bundle_codes() -> list[list[str]]:
    by_name = {r["name"]: r["code"] for r in catalog.records()}
    return [[by_name[n] for n in names] for _code, _name, names, _d in guides.BUNDLES]
