"""Builders for tests: named actors and small halls, made through the real import services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from govhall.catalog.services import upsert_matters
from govhall.halls.models import Hall, Window
from govhall.halls.services import upsert_halls

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
SAMPLE_CATALOG = SHARED / "data" / "guide-sample" / "catalog.jsonl"
SAMPLE_HALLS = SHARED / "data" / "sample-halls.json"
ALWAYS_OPEN: dict[str, list[str]] = {}


def matter(code: str, name: str | None = None, **fields: Any) -> dict[str, Any]:
    from decimal import Decimal

    record = {
        "code": code,
        "name": name or f"事项{code}",
        "department": fields.pop("department", "公安局"),
        "audience": ["person"],
        "levels": ["city"],
        "channels": ["hall"],
        "max_visits": 1,
        "promised_days": 0,
        "fee": Decimal("0"),
        "materials": [],
        "keywords": [],
        "scenarios": [],
        "description": "",
        "extra": {},
    }
    record.update(fields)
    return record


def build_catalog(*codes: str) -> None:
    upsert_matters([matter(code) for code in codes])


def build_hall(
    code: str = "city",
    *,
    zones: tuple[str, ...] = ("A", "B"),
    windows: dict[str, list[str]] | None = None,
    opening_hours: dict[str, list[str]] | None = None,
    matters: dict[str, list[str]] | None = None,
    yellow: int | None = 3,
    red: int | None = 5,
    policy: dict[str, Any] | None = None,
    tidal: tuple[str, ...] = (),
) -> Hall:
    """A hall that is always open unless hours are given; windows default to one per zone."""
    windows = windows or {str(i + 1): [z] for i, z in enumerate(zones)}
    raw = {
        "code": code,
        "name": f"{code}政务服务中心",
        "level": "city",
        "parent": None,
        "lat": 29.8,
        "lon": 121.5,
        "timezone": "Asia/Shanghai",
        "opening_hours": opening_hours or ALWAYS_OPEN,
        "zones": [
            {
                "code": z,
                "name": f"{z}区",
                "prefix": z,
                "matters": (matters or {}).get(z, []),
                "overtime_minutes": 15,
                "yellow_waiting": yellow,
                "red_waiting": red,
            }
            for z in zones
        ],
        "windows": [
            {"code": w, "name": f"{w}号窗口", "zones": zs, "tidal": w in tidal} for w, zs in windows.items()
        ],
    }
    if policy is not None:
        raw["policy"] = policy
    upsert_halls([raw])
    return Hall.objects.get(code=code)


def window(hall: Hall, code: str) -> Window:
    return Window.objects.get(hall=hall, code=code)
