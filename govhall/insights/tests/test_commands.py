"""One run per command on the shared sample log, through the management command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

SAMPLE = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "sample-log.csv"
SAMPLE = SAMPLE if SAMPLE.exists() else Path("/work/shared/data/sample-log.csv")


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    call_command("insights", *args)
    return json.loads(capsys.readouterr().out)


def test_staffing(capsys: pytest.CaptureFixture[str]) -> None:
    plan = run_json(
        capsys, "staffing", "--log", str(SAMPLE), "--target-wait", "900", "--target-share", "0.8", "--json"
    )["plan"]
    row = next(
        r for r in plan if (r["hall"], r["zone"], r["weekday"], r["hour"]) == ("sample-city", "A", 0, 8)
    )
    assert row["arrivals_per_hour"] == 3  # t-0001, t-0003, t-0004 on the one Monday
    assert row["windows"] >= 1


def test_bundles(capsys: pytest.CaptureFixture[str]) -> None:
    found = run_json(capsys, "bundles", "--log", str(SAMPLE), "--json")["bundles"]
    # s-02bc44 did GA-9580 and GA-9847 a day apart; 7 subjects in the log, each matter done by one.
    assert found == [
        {
            "matters": ["331082-GA-9580", "331082-GA-9847"],
            "subjects": 1,
            "support": round(1 / 7, 6),
            "confidence": 1.0,
            "lift": 7.0,
            "expected": round(1 / 7, 6),
        }
    ]


def test_top(capsys: pytest.CaptureFixture[str]) -> None:
    panels = run_json(capsys, "top", "--log", str(SAMPLE), "--json")
    assert panels["week"] == "2026-W10"
    assert panels["by_volume"] == []  # no matter reaches 10 tickets


def test_whatif(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"windows": {"sample-city/A": 3}}))
    result = run_json(capsys, "whatif", "--log", str(SAMPLE), "--plan", str(plan), "--json")
    assert set(result["simulated"]) >= {"mean_wait_seconds", "p90_wait_seconds", "share_over_15min"}
    assert result["actual"]["tickets"] == 9  # t-0010 is still waiting


def test_predict_waits(tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    call_command(
        "insights", "predict-waits", "--history", str(SAMPLE), "--log", str(SAMPLE), "--out", str(out)
    )
    lines = out.read_text().splitlines()
    assert lines[0] == "ticket_id,predicted_wait_seconds"
    assert [line.split(",")[0] for line in lines[1:]] == [f"t-{i:04d}" for i in range(1, 11)]


def test_generate_and_snapshot(tmp_path: Path) -> None:
    log = tmp_path / "g.csv"
    call_command("insights", "generate", "--out", str(log), "--days", "1", "--seed", "3", "--scale", "0.05")
    assert log.read_text().startswith("ticket_id,hall,zone")
    call_command("insights", "snapshot", "--log", str(log), "--out", str(tmp_path / "g.parquet"))
    import duckdb

    assert (
        duckdb.sql(f"select count(*) from '{tmp_path / 'g.parquet'}'").fetchall()[0][0]
        == len(log.read_text().splitlines()) - 1
    )


def test_bad_input(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command("insights", "top", "--log", str(tmp_path / "missing.csv"), "--json")
    bad = tmp_path / "bad.csv"
    bad.write_text("ticket_id,hall\n1,x\n")
    with pytest.raises(CommandError, match="missing columns"):
        call_command("insights", "staffing", "--log", str(bad), "--json")
