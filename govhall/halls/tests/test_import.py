"""Halls import: upsert by code, all-or-nothing, clear reasons."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from govhall.catalog.services import import_catalog
from govhall.halls.models import Hall, Window, Zone, ZoneMatter
from govhall.halls.services import import_halls
from govhall.importing import ImportFailed
from govhall.testing import SAMPLE_CATALOG, SAMPLE_HALLS

pytestmark = pytest.mark.django_db


def sample() -> dict[str, Any]:
    return json.loads(SAMPLE_HALLS.read_text(encoding="utf-8"))


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "halls.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def state() -> tuple[list[Any], ...]:
    return (
        list(Hall.objects.values_list("code", "name", "parent__code").order_by("code")),
        list(Zone.objects.values_list("hall__code", "code", "yellow_waiting").order_by("hall__code", "code")),
        list(Window.objects.values_list("hall__code", "code", "state").order_by("hall__code", "code")),
    )


def test_sample_halls_import_with_zones_windows_and_parents() -> None:
    report = import_halls(SAMPLE_HALLS)
    assert report.created == 2
    town = Hall.objects.get(code="sample-town")
    assert town.parent is not None and town.parent.code == "sample-city"
    city = Hall.objects.get(code="sample-city")
    assert [z.code for z in city.zones.all()] == ["A", "B", "C"]
    window_2 = city.windows.get(code="2")
    assert sorted(z.code for z in window_2.zones.all()) == ["A", "C"]
    # tidal windows are closed until opened
    assert city.windows.get(code="4").state == Window.State.CLOSED
    assert window_2.state == Window.State.OPEN


def test_reimport_is_idempotent_and_keeps_window_states() -> None:
    import_halls(SAMPLE_HALLS)
    Window.objects.filter(hall__code="sample-city", code="4").update(state=Window.State.OPEN)
    before = state()
    report = import_halls(SAMPLE_HALLS)
    assert (report.created, report.updated) == (0, 2)
    assert state() == before


def test_unknown_matter_is_accepted_with_a_warning(tmp_path: Path) -> None:
    import_catalog(SAMPLE_CATALOG)
    data = sample()
    data["halls"][0]["zones"][0]["matters"] = ["331082-GA-4318", "NO-SUCH-MATTER"]
    report = import_halls(write(tmp_path, data))
    assert any("NO-SUCH-MATTER" in w for w in report.warnings)
    assert ZoneMatter.objects.filter(hall__code="sample-city").count() == 2


def broken(kind: str) -> Any:
    data = sample()
    city = data["halls"][0]
    if kind == "bad JSON":
        return json.dumps(data, indent=1, ensure_ascii=False).replace(
            '"name": "示例镇便民服务中心",', '"name": "示例镇便民服务中心"'
        )
    if kind == "duplicate hall code":
        data["halls"][1]["code"] = "sample-city"
    elif kind == "missing name":
        del city["name"]
    elif kind == "window serves an unknown zone":
        city["windows"][0]["zones"] = ["Z"]
    elif kind == "matter in two zones":
        city["zones"][0]["matters"] = ["M1"]
        city["zones"][1]["matters"] = ["M1"]
    elif kind == "bad opening hours":
        city["opening_hours"] = {"mon-fri": ["17:00-08:30"]}
    elif kind == "unknown parent":
        data["halls"][1]["parent"] = "nowhere"
    elif kind == "bad threshold":
        city["zones"][0]["red_waiting"] = -3
    return data


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("bad JSON", "bad JSON"),
        ("duplicate hall code", "duplicate hall code"),
        ("missing name", "missing name"),
        ("window serves an unknown zone", "unknown zone 'Z'"),
        ("matter in two zones", "already in zone 'A'"),
        ("bad opening hours", "ends before it starts"),
        ("unknown parent", "unknown parent 'nowhere'"),
        ("bad threshold", "whole number"),
    ],
)
def test_a_broken_halls_file_is_refused_and_changes_nothing(kind: str, message: str, tmp_path: Path) -> None:
    import_halls(SAMPLE_HALLS)
    before = state()
    with pytest.raises(ImportFailed, match=message):
        import_halls(write(tmp_path, broken(kind)))
    assert state() == before


def test_bad_json_names_its_line(tmp_path: Path) -> None:
    text = json.dumps(sample(), indent=1).splitlines()
    text[9] = text[9] + " oops"
    with pytest.raises(ImportFailed, match="line 10: bad JSON"):
        import_halls(write(tmp_path, "\n".join(text)))
