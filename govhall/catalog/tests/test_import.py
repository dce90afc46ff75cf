"""Catalogue import: upsert by code, all-or-nothing, every bad line named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from govhall.catalog import services
from govhall.catalog.models import Department, Matter
from govhall.importing import ImportFailed
from govhall.testing import SAMPLE_CATALOG

pytestmark = pytest.mark.django_db


def sample_lines() -> list[str]:
    return SAMPLE_CATALOG.read_text(encoding="utf-8").splitlines()


def write(tmp_path: Path, lines: list[str], name: str = "catalog.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def snapshot() -> list[tuple[str, str, str]]:
    return list(Matter.objects.order_by("code").values_list("code", "name", "description"))


def test_sample_catalogue_imports_every_matter_with_its_fields() -> None:
    report = services.import_catalog(SAMPLE_CATALOG)
    assert report.created == len(sample_lines()) == Matter.objects.count()
    first = json.loads(sample_lines()[0])
    matter = Matter.objects.get(code=first["code"])
    assert matter.name == first["name"]
    assert matter.department is not None and matter.department.name == first["department"]
    assert matter.channels == first["channels"]
    assert matter.materials == first["materials"]
    assert float(matter.fee) == first["fee"]


def test_reimport_updates_in_place_and_deletes_nothing(tmp_path: Path) -> None:
    services.import_catalog(SAMPLE_CATALOG)
    changed = json.loads(sample_lines()[0])
    changed["name"] = "改过的名称"
    report = services.import_catalog(write(tmp_path, [json.dumps(changed, ensure_ascii=False)]))
    assert (report.created, report.updated) == (0, 1)
    assert Matter.objects.count() == len(sample_lines())
    assert Matter.objects.get(code=changed["code"]).name == "改过的名称"


def test_prune_removes_matters_absent_from_the_file(tmp_path: Path) -> None:
    services.import_catalog(SAMPLE_CATALOG)
    report = services.import_catalog(write(tmp_path, sample_lines()[:3]), prune=True)
    assert report.deleted == len(sample_lines()) - 3
    assert Matter.objects.count() == 3


def broken_files() -> dict[str, tuple[list[str], str]]:
    lines = sample_lines()
    many = [json.dumps({"code": f"X-{i:03d}", "name": f"事项{i}"}, ensure_ascii=False) for i in range(60)]
    bad_json = [*many[:56], "{not json", *many[56:]]
    duplicate = [*lines[:5], lines[2]]
    no_name = [*lines[:3], json.dumps({"code": "X-1", "department": "公安局"})]
    channel = json.loads(lines[0])
    channel["channels"] = ["app", "fax"]
    unknown_channel = [*lines[1:4], json.dumps(channel, ensure_ascii=False)]
    return {
        "bad JSON on line 57": (bad_json, "line 57: bad JSON"),
        "duplicate code": (duplicate, "line 6, field 'code': duplicate code"),
        "missing name": (no_name, "line 4, field 'name': missing name"),
        "unknown channel": (unknown_channel, "line 4, field 'channels': unknown value 'fax'"),
    }


@pytest.mark.parametrize("case", list(broken_files()))
def test_a_broken_file_reports_the_line_and_changes_nothing(case: str, tmp_path: Path) -> None:
    services.import_catalog(SAMPLE_CATALOG)
    before = snapshot()
    lines, message = broken_files()[case]
    with pytest.raises(ImportFailed) as failure:
        services.import_catalog(write(tmp_path, lines))
    assert message in str(failure.value)
    assert snapshot() == before


def test_a_broken_file_changes_nothing_even_when_earlier_rows_are_good(tmp_path: Path) -> None:
    good = json.loads(sample_lines()[0])
    good["name"] = "不应写入"
    lines = [json.dumps(good, ensure_ascii=False), json.dumps({"code": "Y", "name": "y", "fee": "abc"})]
    with pytest.raises(ImportFailed, match="line 2, field 'fee'"):
        services.import_catalog(write(tmp_path, lines))
    assert Matter.objects.count() == 0
    assert Department.objects.count() == 0


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".xlsx"])
def test_export_then_import_round_trips_in_every_format(suffix: str, tmp_path: Path) -> None:
    services.import_catalog(SAMPLE_CATALOG)
    before = services.matter_records()
    path = tmp_path / f"out{suffix}"
    assert services.export_catalog(path) == len(before)
    Matter.objects.all().delete()
    services.import_catalog(path)
    after = services.matter_records()
    strip = lambda rows: [{k: v for k, v in r.items() if k != "extra"} for r in rows]  # noqa: E731
    assert strip(after) == strip(before)


def test_csv_list_fields_are_pipe_separated(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("code,name,channels,materials\nM-1,某事项,app|hall,身份证|户口簿\n", encoding="utf-8")
    services.import_catalog(path)
    matter = Matter.objects.get(code="M-1")
    assert matter.channels == ["app", "hall"]
    assert matter.materials == ["身份证", "户口簿"]


def test_command_fails_with_reason_on_stderr(tmp_path: Path) -> None:
    path = write(tmp_path, ['{"code": "A", "name": "a", "channels": ["phone"]}'])
    with pytest.raises(CommandError, match="unknown value 'phone'"):
        call_command("catalog", "import", str(path))
    assert Matter.objects.count() == 0


def test_unsupported_file_type_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "catalog.txt"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(ImportFailed, match="unsupported file type"):
        services.import_catalog(path)


def test_managers_download_an_import_template_that_imports(tmp_path: Path) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    assert client.get("/manage/catalog-template.xlsx")["Location"].startswith("/accounts/login/")
    manager = get_user_model().objects.create_user(
        "manager_wang", password="pw", is_staff=True, is_superuser=True
    )
    client.force_login(manager)
    response = client.get("/manage/catalog-template.xlsx")
    assert response.status_code == 200
    path = tmp_path / "template.xlsx"
    path.write_bytes(response.content)
    services.import_catalog(path)
    assert Matter.objects.get(code="330000-XX-0001").channels == ["app", "web", "hall"]
    assert b"catalog-template.xlsx" in client.get("/manage/catalog/matter/").content
