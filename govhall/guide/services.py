"""Guidance search over the catalogue in the database, and the four-level route for a matter.

The retrieval itself is `govhall.guide.engine` (pure Python); this module feeds it the matters in the
database, keeps one index per process and rebuilds it when `catalog_version()` moves (checked at
most every `CHECK_SECONDS`, so a running server sees a `catalog import` within seconds). A staff
correction also moves the version: the corrected question becomes an example of its matter, so
questions worded like it find the matter too.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count, Max

from govhall import clock
from govhall.catalog.models import CHANNEL_LABELS, CHANNELS, Matter, Situation
from govhall.catalog.queries import catalog_version, matters_by_code
from govhall.guide import examples, feedback, semantic
from govhall.guide.models import Click, Correction

if TYPE_CHECKING:
    from govhall.guide.engine import SearchIndex
    from govhall.halls.models import Hall, Zone

CHECK_SECONDS = 2.0
FEEDBACK_POOL = 20  # candidates the learned boosts may re-rank
DEDUP_SECONDS = 3600  # one stored click per subject, question and matter per hour
# Ranking halls: a kilometre costs about as much as three minutes of waiting; the city centre is
# suggested after town and village points that handle the matter as well (全市一张网, 就近办).
SECONDS_PER_KM = 180.0
LEVEL_PENALTY_SECONDS = {"village": 0.0, "town": 0.0, "city": 300.0}
MAX_HALLS = 3
CHANNEL_HOWTO = {
    "app": "在政务服务App(掌上办)搜索该事项，在线提交材料即可办理",
    "web": "登录政务服务网(网上办)在线申报",
    "kiosk": "到就近的自助终端(银行、邮政网点或大厅自助区)刷身份证办理",
    "hall": "需要到窗口办理：可远程取号或预约后前往下列大厅",
}


class _IndexCache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.index: SearchIndex | None = None
        self.version: Any = None
        self.checked = 0.0


_cache = _IndexCache()


def reset_index() -> None:
    """Forget the index (tests; the next search rebuilds it)."""
    with _cache.lock:
        _cache.index = None
        _cache.version = None
        _cache.checked = 0.0


def catalogue_records() -> list[dict[str, Any]]:
    """Every matter as the engine reads it (CONTRACTS section 2 fields plus 办事情形), with its
    example questions: staff corrections first (newest first), then the bank's (`examples`)."""
    taught: dict[str, list[str]] = defaultdict(list)
    for code, query in (
        Correction.objects.filter(active=True).order_by("-at", "-id").values_list("matter_code", "query")
    ):
        taught[code].append(query)
    situations: dict[int, list[dict[str, str]]] = defaultdict(list)
    for matter_id, name, conditions in Situation.objects.values_list("matter_id", "name", "conditions"):
        situations[matter_id].append({"name": name, "conditions": conditions})
    rows = Matter.objects.values(
        "id", "code", "name", "department__name", "keywords", "scenarios", "description", "materials"
    ).order_by("code")
    return examples.with_examples(
        {
            "code": row["code"],
            "name": row["name"],
            "department": row["department__name"] or "",
            "keywords": row["keywords"] or [],
            "scenarios": row["scenarios"] or [],
            "description": row["description"] or "",
            "materials": row["materials"] or [],
            "situations": situations.get(row["id"], []),
            "examples": taught.get(row["code"], []),
        }
        for row in rows
    )


def index_version() -> tuple[Any, ...]:
    """Moves when the catalogue or the active staff corrections (examples) change."""
    taught = Correction.objects.filter(active=True).aggregate(n=Count("id"), top=Max("id"))
    return (*catalog_version(), taught["n"], taught["top"])


def current_index() -> SearchIndex:
    """The process's index, rebuilt when the catalogue changed (checked at most every 2 s)."""
    from govhall.guide.engine import SearchIndex

    now = time.monotonic()
    index = _cache.index
    if index is not None and now - _cache.checked < CHECK_SECONDS:
        return index
    with _cache.lock:
        now = time.monotonic()
        if _cache.index is not None and now - _cache.checked < CHECK_SECONDS:
            return _cache.index
        version = index_version()
        if _cache.index is None or version != _cache.version:
            index = SearchIndex(catalogue_records())
            semantic.attach(index, semantic.store(settings.GOVHALL_GUIDE_VECTORS))
            _cache.index = index
            _cache.version = version
        _cache.checked = time.monotonic()
        return _cache.index


def search_catalog(
    query: str,
    top: int = 5,
    lat: float | None = None,
    lon: float | None = None,
    routes: bool = False,
    learned: bool = True,
) -> dict[str, Any]:
    """`{"query", "results": [{"code", "name", "score"}], "ask"?}`; with `routes`, each result also
    carries its recommended route (lightest channel, then nearby halls with their live wait).
    With `learned`, clicks and staff corrections for the same question re-rank the answer."""
    text = (query or "").strip()
    if not text:
        return {"query": text, "results": []}
    top = max(1, top)
    index = current_index()
    # only the shown results need a why: a result the learned ranking lifts says so instead
    result = index.search(text, top=max(top, FEEDBACK_POOL), explain=top).as_dict()
    boost = learned_boosts(text) if learned else {}
    if boost:
        first = result["results"][0]["code"] if result["results"] else None
        docs = {d.code: d for d in index.docs if d.code in boost}
        result["results"] = feedback.apply(
            result["results"], boost, {c: d.name for c, d in docs.items()}, top
        )
        for item in result["results"]:
            _explain_learned(item, boost.get(item["code"], 0.0), docs.get(item["code"]))
        if result["results"] and result["results"][0]["code"] != first:
            result.pop("ask", None)  # the question was settled by staff or many citizens
    else:
        result["results"] = result["results"][:top]
    if routes and result["results"]:
        by_code = recommend_routes([r["code"] for r in result["results"]], lat, lon)
        for item in result["results"]:
            item["route"] = by_code.get(item["code"])
    return result


def _explain_learned(item: dict[str, Any], boost: float, doc: Any) -> None:
    """A result the learned ranking moved says so in its `why`; one it added gets its department."""
    if doc is not None:
        item.setdefault("department", doc.department)
    if boost > feedback.CLICK_CAP:  # only a staff correction weighs more than clicks can
        item["why"] = "工作人员已确认此事项对应该问题"
    elif not item.get("why"):
        item["why"] = "多位办事群众选择了此事项" if boost > 0 else ""


# ---------------------------------------------------------------- feedback


def subject_hash(session: str) -> str:
    """Salted hash of an anonymous session id (never stored in clear)."""
    import hashlib

    return hashlib.sha256(f"guide:{settings.SECRET_KEY}:{session}".encode()).hexdigest()


def learned_boosts(query: str) -> dict[str, float]:
    """{matter code: boost} for this question from clicks and active staff corrections."""
    key = feedback.query_key(query)
    if not key:
        return {}
    since = clock.now() - timedelta(days=feedback.HORIZON_DAYS)
    clicks = [
        feedback.Click(key, code, subject, at)
        for code, subject, at in Click.objects.filter(key=key, at__gte=since).values_list(
            "matter_code", "subject", "at"
        )
    ]
    corrections = [
        feedback.Correction(key, code, at)
        for code, at in Correction.objects.filter(key=key, active=True).values_list("matter_code", "at")
    ]
    if not clicks and not corrections:
        return {}
    return {
        matter: b for (_, matter), b in feedback.boosts(clicks, corrections, clock.now()).items() if b > 0
    }


def _check(query: str, matter: str) -> tuple[str, str]:
    text = (query or "").strip()
    if not text:
        raise FeedbackError("query must not be empty")
    key = feedback.query_key(text)
    if not key:
        raise FeedbackError("query has no words to learn from")
    if not Matter.objects.filter(code=matter).exists():
        raise FeedbackError(f"unknown matter {matter!r}", status=404)
    return text[: feedback.MAX_KEY_CHARS], key


class FeedbackError(ValueError):
    def __init__(self, detail: str, status: int = 422) -> None:
        super().__init__(detail)
        self.status = status


def record_click(query: str, matter: str, session: str) -> bool:
    """Store a citizen's choice; False when it repeats one from the last hour (not stored again).
    Only a matter the search actually offers for the question can be chosen."""
    text, key = _check(query, matter)
    if not (session or "").strip():
        raise FeedbackError("session must not be empty")
    shown = {h.code for h in current_index().search(text, top=FEEDBACK_POOL, explain=0).results}
    if matter not in shown:
        raise FeedbackError("that matter is not among the results for this question")
    subject = subject_hash(session.strip())
    now = clock.now()
    recent = Click.objects.filter(
        key=key, matter_code=matter, subject=subject, at__gte=now - timedelta(seconds=DEDUP_SECONDS)
    )
    if recent.exists():
        return False
    Click.objects.create(query=text, key=key, matter_code=matter, subject=subject, at=now)
    return True


def record_correction(query: str, matter: str, user: Any) -> Correction:
    """A staff correction: `matter` answers `query` (at once, through `learned_boosts`) and the
    question becomes an example of the matter; earlier corrections of the question are retired."""
    from django.db import transaction

    text, key = _check(query, matter)
    with transaction.atomic():
        Correction.objects.filter(key=key, active=True).exclude(matter_code=matter).update(active=False)
        correction = Correction.objects.create(
            query=text, key=key, matter_code=matter, user=user, at=clock.now()
        )
        # the question is now an example of its matter: this process rebuilds its index at once
        # (the others when `index_version` moves)
        transaction.on_commit(reset_index)
    return correction


# ---------------------------------------------------------------- four-level diversion


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def recommend_routes(codes: list[str], lat: float | None = None, lon: float | None = None) -> dict[str, Any]:
    """Per matter code: the lightest channel (app → web → kiosk → hall) and, where a window can be
    needed, the halls that handle it ranked by travel and live wait."""
    from govhall.halls.models import Hall, ZoneMatter
    from govhall.queueing.queries import halls_load, zone_wait

    matters = matters_by_code(codes)
    listed: dict[str, list[ZoneMatter]] = defaultdict(list)
    for zm in ZoneMatter.objects.filter(matter_code__in=codes).select_related("hall", "zone"):
        listed[zm.matter_code].append(zm)
    halls: list[Hall] | None = None
    load: dict[str, dict[str, Any]] | None = None
    waits: dict[int, dict[str, Any]] = {}

    def wait_for(hall: Hall, zone: Zone | None) -> dict[str, Any]:
        nonlocal load
        if zone is not None:
            if zone.pk not in waits:
                waits[zone.pk] = zone_wait(hall, zone)
            return waits[zone.pk]
        if load is None:
            load = {row["code"]: row for row in halls_load()}
        row = load.get(hall.code, {})
        return {
            "zone": None,
            "waiting": row.get("waiting", 0),
            "estimated_wait_seconds": row.get("estimated_wait_seconds", 0),
        }

    out: dict[str, Any] = {}
    for code in codes:
        matter = matters.get(code)
        if matter is None:
            continue
        channels = [c for c in CHANNELS if c in (matter.channels or [])] or ["hall"]
        lightest = channels[0]
        route: dict[str, Any] = {
            "channel": lightest,
            "channel_label": CHANNEL_LABELS[lightest],
            "howto": CHANNEL_HOWTO[lightest],
            "channels": [{"channel": c, "label": CHANNEL_LABELS[c]} for c in channels],
            "max_visits": matter.max_visits,
            "promised_days": matter.promised_days,
            "hall_needed": lightest == "hall",
            "halls": [],
        }
        if "hall" in channels:
            candidates: list[tuple[Hall, Zone | None]] = [(zm.hall, zm.zone) for zm in listed.get(code, [])]
            if not candidates:
                if halls is None:
                    halls = list(Hall.objects.prefetch_related("zones"))
                levels = set(matter.levels or [])
                candidates = [(h, None) for h in halls if not levels or h.level in levels]
            route["halls"] = _rank_halls(code, candidates, lat, lon, wait_for)[:MAX_HALLS]
        out[code] = route
    return out


def _rank_halls(
    code: str, candidates: list[tuple[Hall, Zone | None]], lat: float | None, lon: float | None, wait_for: Any
) -> list[dict[str, Any]]:
    rows = []
    for hall, zone in candidates:
        wait = wait_for(hall, zone)
        km = None
        if lat is not None and lon is not None and hall.lat is not None and hall.lon is not None:
            km = round(distance_km(lat, lon, hall.lat, hall.lon), 2)
        cost = (
            wait["estimated_wait_seconds"]
            + (km or 0.0) * SECONDS_PER_KM
            + LEVEL_PENALTY_SECONDS.get(hall.level, 0.0)
        )
        rows.append(
            (
                cost,
                hall.code,
                {
                    "hall": hall.code,
                    "name": hall.name,
                    "level": hall.level,
                    "lat": hall.lat,
                    "lon": hall.lon,
                    "distance_km": km,
                    "zone": zone.code if zone is not None else None,
                    "waiting": wait["waiting"],
                    "estimated_wait_seconds": wait["estimated_wait_seconds"],
                    "navigation": f"geo:{hall.lat},{hall.lon}"
                    if hall.lat is not None and hall.lon is not None
                    else None,
                    "ticket": {
                        "method": "POST",
                        "url": f"/api/v1/halls/{hall.code}/tickets",
                        "body": {"matter": code, "channel": "remote"},
                    },
                },
            )
        )
    rows.sort(key=lambda r: (r[0], r[1]))
    return [r[2] for r in rows]
