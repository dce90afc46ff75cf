"""Reads of the catalogue other apps may use."""

from __future__ import annotations

from django.db.models import Count, Max

from govhall.catalog.models import Matter


def catalog_version() -> tuple[int, str]:
    """Changes on every catalogue change (count, newest update): search indexes rebuild when it moves."""
    row = Matter.objects.aggregate(n=Count("id"), newest=Max("updated_at"), top=Max("id"))
    return (row["n"] or 0, f"{row['newest']}/{row['top']}")


def matters_by_code(codes: list[str] | set[str]) -> dict[str, Matter]:
    return {m.code: m for m in Matter.objects.filter(code__in=list(codes)).select_related("department")}
