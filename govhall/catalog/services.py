"""Catalogue changes: all-or-nothing imports and exports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction

from govhall import clock
from govhall.catalog import formats
from govhall.catalog.models import Department, Matter
from govhall.importing import ImportReport

# The model fields an import writes: the file columns but the key and the department, plus extras.
FIELDS = (*(c for c in formats.COLUMNS if c not in ("code", "department")), "extra")


def import_catalog(path: Path, *, prune: bool = False) -> ImportReport:
    """Upsert matters by code from a file; a bad row raises ImportFailed and nothing changes."""
    records = formats.validate(formats.read_rows(path))
    return upsert_matters(records, prune=prune)


def upsert_matters(records: list[dict[str, Any]], *, prune: bool = False) -> ImportReport:
    report = ImportReport()
    with transaction.atomic(durable=True):
        stamp = clock.now()
        departments = {d.name: d for d in Department.objects.all()}
        existing = {m.code: m for m in Matter.objects.all()}
        to_create: list[Matter] = []
        to_update: list[Matter] = []
        for record in records:
            name = record["department"]
            department = None
            if name:
                department = departments.get(name)
                if department is None:
                    department = departments[name] = Department.objects.create(name=name)
            matter = existing.get(record["code"]) or Matter(code=record["code"])
            for key in FIELDS:
                setattr(matter, key, record[key])
            matter.department = department
            matter.updated_at = stamp
            (to_update if matter.pk else to_create).append(matter)
        Matter.objects.bulk_create(to_create, batch_size=500)
        if to_update:
            Matter.objects.bulk_update(to_update, [*FIELDS, "department", "updated_at"], batch_size=500)
        report.created, report.updated = len(to_create), len(to_update)
        if prune:
            keep = {r["code"] for r in records}
            report.deleted, _ = Matter.objects.exclude(code__in=keep).delete()
    return report


def matter_records() -> list[dict[str, Any]]:
    return [
        {
            "code": m.code,
            "department": m.department.name if m.department else "",
            **{key: getattr(m, key) for key in FIELDS},
        }
        for m in Matter.objects.select_related("department").order_by("code")
    ]


def export_catalog(path: Path) -> int:
    records = matter_records()
    formats.write(path, records)
    return len(records)
