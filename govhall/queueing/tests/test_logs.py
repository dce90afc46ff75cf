"""Ticket logs: export → import into an empty database → export gives the same file."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
import time_machine

from govhall import ticketlog
from govhall.halls.models import Hall
from govhall.importing import ImportFailed
from govhall.queueing import logs, services
from govhall.queueing.models import Ticket
from govhall.testing import SHARED, build_hall, window

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
SAMPLE_LOG = SHARED / "data" / "sample-log.csv"


def export(**kw: object) -> str:
    out = io.StringIO()
    logs.export_log(out, **kw)  # type: ignore[arg-type]
    return out.getvalue()


def busy_day() -> None:
    city = build_hall("city", zones=("A", "B"))
    with time_machine.travel(dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC), tick=False) as traveller:
        tickets = [
            services.issue_ticket(city, "M-1", zone_code=z, subject=s)[0]
            for z, s in [("A", "330102199001011234"), ("B", ""), ("A", "13800138000"), ("B", "x")]
        ]
        traveller.shift(90)
        first = services.call_next(window(city, "1"))
        assert first is not None
        services.perform(first.id, "start")
        traveller.shift(400)
        services.perform(first.id, "finish")
        second = services.call_next(window(city, "2"))
        assert second is not None
        services.perform(second.id, "no-show")
        services.perform(tickets[3].id, "cancel")
        services.call_next(window(city, "1"))


def test_export_import_export_round_trips() -> None:
    busy_day()
    first = export()
    assert first.count("\n") == 5
    Ticket.objects.all().delete()
    Hall.objects.all().delete()
    path = Path(ticketlog.__file__).parent.parent / "var" / "roundtrip-test.csv"
    path.parent.mkdir(exist_ok=True)
    path.write_text(first, encoding="utf-8")
    try:
        logs.import_log(path)
    finally:
        path.unlink()
    assert export() == first


def test_export_shows_each_case_like_the_sample() -> None:
    busy_day()
    rows = list(ticketlog.iter_rows(export()))
    outcomes = sorted(r.outcome for r in rows)
    assert outcomes == ["", "cancelled", "no_show", "served"]
    assert all(r.issued_at.utcoffset() == dt.timedelta(hours=8) for r in rows)
    cancelled = next(r for r in rows if r.outcome == "cancelled")
    assert cancelled.called_at is None and cancelled.window == ""
    assert not any("13800138000" in r.subject or "330102" in r.subject for r in rows)


def test_sample_log_imports_with_minimal_records_and_filters_work() -> None:
    report = logs.import_log(SAMPLE_LOG)
    assert report.created == 10
    assert Ticket.objects.get(pk="t-0010").status == "waiting"
    assert Ticket.objects.get(pk="t-0009").status == "serving"
    assert export(hall="sample-town").count("\n") == 2
    assert export(since=dt.date(2026, 3, 3)).count("\n") == 4


def test_a_bad_log_imports_nothing(tmp_path: Path) -> None:
    text = SAMPLE_LOG.read_text(encoding="utf-8").splitlines()
    text[5] = text[5].replace("walk_in", "by_pigeon")
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(text), encoding="utf-8")
    with pytest.raises(ImportFailed, match="line 6: unknown channel 'by_pigeon'"):
        logs.import_log(path)
    assert Ticket.objects.count() == 0 and Hall.objects.count() == 0


def test_importing_the_same_log_twice_is_refused() -> None:
    logs.import_log(SAMPLE_LOG)
    with pytest.raises(ImportFailed, match="already in the database"):
        logs.import_log(SAMPLE_LOG)
    assert Ticket.objects.count() == 10
