"""Reports: totals equal the ticket log's, one generation per claim, the schedule, exports, access."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from govhall.accounts.services import create_token
from govhall.dashboard import report_figures, reports
from govhall.dashboard.models import CITY, Report, TidalOpening
from govhall.halls.models import Hall
from govhall.insights import tracegen
from govhall.insights.common import wait_seconds
from govhall.monitor import live
from govhall.queueing import services as queue
from govhall.queueing.logs import export_log, import_log
from govhall.testing import build_hall, window
from govhall.ticketlog import LogRow, iter_rows

pytestmark = pytest.mark.django_db
OCTOBER = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
PASSWORD = "pw-reports-123"


@functools.cache
def synthetic_city() -> list[LogRow]:
    _, rows = tracegen.generate(38, seed=7, start=dt.date(2026, 9, 28), scale=0.02)
    return rows


@pytest.fixture
def october_log(tmp_path: Path) -> list[LogRow]:
    """A small synthetic city (four halls) from late September into November, imported."""
    rows = synthetic_city()
    path = tmp_path / "log.csv"
    tracegen.write(rows, path)
    import_log(path)
    return rows


def in_october(rows: list[LogRow]) -> list[LogRow]:
    return [r for r in rows if OCTOBER[0] <= r.issued_at.date() <= OCTOBER[1]]


def table(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return next(t for t in data["tables"] if t["key"] == key)["rows"]


def test_the_city_month_report_has_the_ticket_logs_totals(october_log: list[LogRow]) -> None:
    report = reports.generate_now("month", None, dt.date(2026, 10, 15), by="manager_wang", pdf=False)
    assert report.state == Report.State.DONE
    assert (report.period_start, report.period_end) == OCTOBER
    data = report.data
    # the ticket log as the export writes it, for the same service days
    out = io.StringIO()
    export_log(out, since=OCTOBER[0], until=OCTOBER[1])
    exported = list(iter_rows(out.getvalue()))
    month = in_october(october_log)
    assert len(exported) == len(month) > 500
    summary = data["summary"]
    assert summary["tickets"] == len(month)
    outcomes = Counter(r.outcome for r in month)
    assert (summary["served"], summary["no_show"], summary["cancelled"]) == (
        outcomes["served"],
        outcomes["no_show"],
        outcomes["cancelled"],
    )
    assert {r["hall"]: r["tickets"] for r in table(data, "by_hall")} == {
        f"{code}": n for code, n in Counter(r.hall for r in month).items()
    }
    assert {r["matter"]: r["tickets"] for r in table(data, "by_matter")} == dict(
        Counter(r.matter for r in month)
    )
    assert sum(r["tickets"] for r in table(data, "by_zone")) == len(month)
    channels = Counter(r.channel for r in month)
    assert {r["channel"]: r["tickets"] for r in table(data, "by_channel")} == {
        label: channels.get(code, 0) for code, label in report_figures.CHANNELS.items()
    }
    waits = [w for r in month if (w := wait_seconds(r)) is not None]
    assert summary["mean_wait_seconds"] == pytest.approx(sum(waits) / len(waits), abs=0.05)
    assert sum(r["tickets"] for r in table(data, "wait_distribution")) == len(waits)
    over = sum(1 for w in waits if w > 900) / len(waits)
    assert summary["share_over_15min"] == pytest.approx(over, abs=1e-4)
    per_day = Counter(r.issued_at.date().isoformat() for r in month)
    assert {r["date"]: r["tickets"] for r in table(data, "by_day") if r["tickets"]} == dict(per_day)
    served_by_window = Counter((r.hall, r.window) for r in month if r.outcome == "served")
    assert sum(r["served"] for r in table(data, "windows")) == sum(served_by_window.values())


def test_a_hall_week_report_counts_only_that_hall(october_log: list[LogRow]) -> None:
    hall = Hall.objects.get(code="xixing")
    report = reports.generate_now("week", hall, dt.date(2026, 10, 7), pdf=False, by="")
    assert (report.period_start, report.period_end) == (dt.date(2026, 10, 5), dt.date(2026, 10, 11))
    week = [
        r
        for r in october_log
        if r.hall == "xixing" and dt.date(2026, 10, 5) <= r.issued_at.date() <= dt.date(2026, 10, 11)
    ]
    assert report.data["summary"]["tickets"] == len(week) > 0
    assert not any(t["key"] == "by_hall" for t in report.data["tables"])
    assert "第41周" in report.data["title"]


def test_alerts_and_tidal_openings_are_counted_in_their_period() -> None:
    city = build_hall("city", zones=("A",), yellow=2, red=3, tidal=("9",), windows={"1": ["A"], "9": ["A"]})
    moment = dt.datetime(2026, 10, 12, 1, 0, tzinfo=dt.UTC)  # a Monday, 09:00 in the hall
    with time_machine.travel(moment, tick=False) as traveller:
        for _ in range(3):
            queue.issue_ticket(city, "M-1", zone_code="A")
            traveller.shift(1)
        queue.set_window_state(window(city, "9"), "open")
        traveller.shift(10)
        live.evaluate(moment + dt.timedelta(seconds=10))
    assert reports.harvest_tidal() == 1
    assert reports.harvest_tidal() == 0  # once per event
    report = reports.generate_now("week", city, dt.date(2026, 10, 12), pdf=False, by="")
    summary = report.data["summary"]
    assert (summary["yellow_alerts"], summary["red_alerts"], summary["tidal_openings"]) == (1, 1, 1)
    assert table(report.data, "tidal") == [{"hall": city.name, "window": "9号窗口", "openings": 1}]
    other_week = reports.generate_now("week", city, dt.date(2026, 10, 19), pdf=False, by="")
    assert other_week.data["summary"]["tidal_openings"] == 0
    assert TidalOpening.objects.count() == 1


def test_a_report_is_claimed_by_one_worker_only_and_taken_over_after_a_crash() -> None:
    build_hall("city")
    now = dt.datetime(2026, 10, 12, 1, 0, tzinfo=dt.UTC)
    first = reports.request("week", None, dt.date(2026, 10, 5), now=now)
    second = Report.objects.get(pk=first.pk)  # another worker's copy
    assert reports.claim(first, now) is True
    assert reports.claim(second, now) is False
    # the first worker died: after the claim runs out someone else may take it
    assert reports.claim(second, now + reports.CLAIM + dt.timedelta(seconds=1)) is True
    assert Report.objects.get(pk=first.pk).state == Report.State.RUNNING


def test_the_schedule_makes_last_weeks_and_months_reports_once(
    october_log: list[LogRow], monkeypatch: pytest.MonkeyPatch
) -> None:
    from govhall.dashboard import pdf

    printed: list[int] = []
    monkeypatch.setattr(pdf, "render", lambda report: printed.append(report.pk) or b"%PDF-stub")
    monkeypatch.setattr(reports, "MAX_PER_RUN", 100)
    now = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)  # Monday 2 November, 09:00
    made = reports.schedule(now)
    scopes = {(r.kind, r.scope, r.period_start) for r in Report.objects.all()}
    halls = {"city", "xixing", "changhe", "puyan"}
    assert scopes == {("week", s, dt.date(2026, 10, 26)) for s in {*halls, CITY}} | {
        ("month", s, dt.date(2026, 10, 1)) for s in {*halls, CITY}
    }
    assert made == len(scopes) == len(printed)
    assert reports.schedule(now + dt.timedelta(minutes=10)) == 0  # nothing twice
    assert all(bytes(r.pdf) == b"%PDF-stub" for r in Report.objects.all())


def _manager(client: Client, username: str, hall: str | None, role: str = "manager") -> None:
    from django.contrib.auth import get_user_model

    create_token(username, hall_code=hall, role=role)
    user = get_user_model().objects.get(username=username)
    user.set_password(PASSWORD)
    user.save()
    assert client.login(username=username, password=PASSWORD)


def test_manage_pages_generate_list_and_export_within_the_managers_scope(
    october_log: list[LogRow], monkeypatch: pytest.MonkeyPatch
) -> None:
    from govhall.dashboard import pdf

    monkeypatch.setattr(pdf, "render", lambda report: b"%PDF-stub")
    anonymous = Client()
    assert anonymous.get("/manage/reports/").status_code == 302
    client = Client()
    _manager(client, "manager_zhou", "xixing")
    page = client.get("/manage/reports/")
    assert page.status_code == 200
    assert "报表" in page.content.decode()
    # a hall manager may not make the city's report
    refused = client.post(
        "/manage/reports/generate", {"period": "month:2026-10-01", "scope": "city"}, follow=True
    )
    assert "全市报表仅市级管理员可生成" in refused.content.decode()
    assert not Report.objects.exists()
    bad = client.post(
        "/manage/reports/generate", {"period": "month:not-a-date", "scope": "xixing"}, follow=True
    )
    assert "请选择报表周期" in bad.content.decode()
    done = client.post("/manage/reports/generate", {"period": "month:2026-10-01", "scope": "xixing"})
    report = Report.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/manage/reports/{report.pk}/"
    detail = client.get(done["Location"]).content.decode()
    assert report.data["title"] in detail and 'lang="zh-Hans"' in detail
    # CSV of a table: the same rows as the report, with a header of labels
    exported = client.get(f"/manage/reports/{report.pk}/by_zone.csv")
    assert exported.status_code == 200
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert lines[0][0] == "功能区"
    assert sum(int(row[1]) for row in lines[1:]) == report.data["summary"]["tickets"]
    assert client.get(f"/manage/reports/{report.pk}/nope.csv").status_code == 404
    # Excel: a summary sheet and one sheet per table
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get(f"/manage/reports/{report.pk}.xlsx").content))
    assert book.sheetnames[0] == "概要"
    assert len(book.sheetnames) == 1 + len(report.data["tables"])
    assert book["概要"]["B2"].value == report.data["summary"]["tickets"]
    # another hall's manager does not see it
    other = Client()
    _manager(other, "manager_qian", "changhe")
    assert other.get(f"/manage/reports/{report.pk}/").status_code == 404
    assert f'data-report="{report.pk}"' not in other.get("/manage/reports/").content.decode()


@st.composite
def logs(draw: st.DrawFn) -> list[LogRow]:
    base = dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    rows = []
    for n in range(draw(st.integers(0, 40))):
        issued = base + dt.timedelta(days=draw(st.integers(0, 9)), seconds=draw(st.integers(0, 20000)))
        wait = draw(st.one_of(st.none(), st.integers(0, 7200)))
        outcome = draw(st.sampled_from(["served", "no_show", "cancelled", ""]))
        called = issued + dt.timedelta(seconds=wait) if wait is not None and outcome != "cancelled" else None
        if outcome in ("served", "no_show") and called is None:
            outcome = ""
        finished = (called or issued) + dt.timedelta(seconds=300) if outcome else None
        rows.append(
            LogRow(
                f"t{n}",
                draw(st.sampled_from(["city", "town"])),
                draw(st.sampled_from(["A", "B"])),
                draw(st.sampled_from(["M1", "M2", "M3"])),
                "",
                draw(st.sampled_from(["walk_in", "remote", "appointment"])),
                0,
                issued,
                called,
                finished,
                "1" if called else "",
                outcome,
            )
        )
    return rows


@settings(max_examples=60, deadline=None)
@given(logs())
def test_every_table_adds_up_to_the_period_total(rows: list[LogRow]) -> None:
    start, end = dt.date(2026, 10, 5), dt.date(2026, 10, 11)
    found = report_figures.compute(
        rows, start=start, end=end, city=True, hall_names={}, zone_names={}, matter_names={}
    )
    inside = [r for r in rows if start <= r.issued_at.date() <= end]
    total = found["summary"]["tickets"]
    assert total == len(inside)
    for key in ("by_day", "by_hall", "by_zone", "by_matter", "by_channel", "by_hour"):
        assert sum(r["tickets"] for r in table(found, key)) == total, key
    ended = [w for r in inside if (w := wait_seconds(r)) is not None]
    assert sum(r["tickets"] for r in table(found, "wait_distribution")) == len(ended)
    s = found["summary"]
    if ended:
        assert min(ended) <= s["p50_wait_seconds"] <= s["p90_wait_seconds"] <= max(ended)
    assert s["served"] + s["no_show"] + s["cancelled"] + s["open"] == total


def test_the_worker_task_generates_in_a_thread_of_its_own_one_run_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    from govhall.dashboard import tasks

    release = threading.Event()
    runs: list[dt.datetime] = []

    def slow(now: dt.datetime) -> int:
        runs.append(now)
        release.wait(5)
        return 0

    monkeypatch.setattr(reports, "schedule", slow)
    now = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)
    assert tasks.reports(now) is True  # returns at once: the monitor's cycles are not held up
    assert tasks.reports(now) is False  # the previous run is still going
    release.set()
    assert tasks._generating is not None
    tasks._generating.join(5)
    assert tasks.reports(now) is True
    tasks._generating.join(5)
    assert runs == [now, now]
    assert [t.name for t in tasks.WORKER_TASKS] == ["dashboard-tidal", "dashboard-reports"]


@pytest.mark.browser
def test_a_month_report_prints_to_a_pdf_with_its_charts(october_log: list[LogRow]) -> None:
    import os

    from govhall.dashboard import pdf

    if not os.path.exists(pdf.CHROMIUM):
        pytest.skip("Debian's chromium is not installed (make install adds it)")
    report = reports.generate_now("month", None, dt.date(2026, 10, 1), by="manager_wang")
    assert report.error == ""
    document = bytes(report.pdf)
    assert document.startswith(b"%PDF-")
    assert document.count(b"/Type /Page") - document.count(b"/Type /Pages") >= 2
    assert report.pdf_seconds is not None and report.pdf_seconds > 0
    page = pdf.html(report)  # what was printed: self-contained, the charts drawn from the figures
    assert "<script src=" not in page and "<link" not in page
    assert report.data["title"] in page and "echarts" in page
