"""`govhall monitor replay`: one JSON document on stdout, hand-computed alerts, clear errors."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from govhall.testing import SAMPLE_HALLS

SAMPLE_LOG = SAMPLE_HALLS.parent / "sample-log.csv"
HEADER = (
    "ticket_id,hall,zone,matter,subject,channel,priority,issued_at,called_at,finished_at,window,outcome\n"
)


def replay(log: Path, halls: Path) -> dict:
    out = StringIO()
    call_command("monitor", "replay", "--log", str(log), "--halls", str(halls), "--json", stdout=out)
    return json.loads(out.getvalue())  # one document, nothing else on stdout


def test_sample_log_gives_the_hand_computed_alerts(capsys: pytest.CaptureFixture[str]) -> None:
    # t-0006 (zone C) waited 08:43:02 → 09:05:44, past 08:58:02; t-0010 never called.
    # Every other wait ends within 15 minutes; no zone ever has 10 or more waiting.
    assert replay(SAMPLE_LOG, SAMPLE_HALLS) == {
        "alerts": [
            {
                "at": "2026-03-02T08:58:02+08:00",
                "kind": "overtime",
                "hall": "sample-city",
                "zone": "C",
                "ticket_id": "t-0006",
            },
            {
                "at": "2026-03-03T17:10:12+08:00",
                "kind": "overtime",
                "hall": "sample-city",
                "zone": "A",
                "ticket_id": "t-0010",
            },
        ]
    }


def halls_file(tmp_path: Path, zone: dict) -> Path:
    path = tmp_path / "halls.json"
    doc = {
        "halls": [{"code": "h", "name": "h", "timezone": "Asia/Shanghai", "zones": [{"code": "A", **zone}]}]
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def log_file(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "log.csv"
    path.write_text(HEADER + "".join(f"{r}\n" for r in rows), encoding="utf-8")
    return path


def test_crossings_with_z_offsets_and_fractions_in_hall_time(tmp_path: Path) -> None:
    halls = halls_file(tmp_path, {"yellow_waiting": 2, "red_waiting": 3, "overtime_minutes": 60})
    log = log_file(
        tmp_path,
        "t1,h,A,M,,walk_in,0,2026-03-02T01:00:00Z,2026-03-02T01:10:00Z,2026-03-02T01:20:00Z,1,served",
        "t2,h,A,M,,walk_in,0,2026-03-02T01:01:00.300Z,,2026-03-02T01:05:00Z,,cancelled",
        # issued and called in the same second as t3 comes: count stays 2 at 01:02:00
        "t3,h,A,M,,walk_in,0,2026-03-02T01:02:00.100Z,2026-03-02T01:30:00Z,2026-03-02T01:40:00Z,1,served",
        "t4,h,A,M,,walk_in,0,2026-03-02T01:02:00.200Z,2026-03-02T01:02:00.900Z,2026-03-02T01:03:00Z,1,served",
        # a Z zone not in the halls file: nothing, however many
        "t5,x,A,M,,walk_in,0,2026-03-02T01:00:00Z,,,,",
    )
    assert replay(log, halls)["alerts"] == [
        {"at": "2026-03-02T09:01:00+08:00", "kind": "yellow", "hall": "h", "zone": "A", "ticket_id": None},
        {"at": "2026-03-02T09:02:00+08:00", "kind": "red", "hall": "h", "zone": "A", "ticket_id": None},
    ]


def test_overtime_defaults_to_15_minutes(tmp_path: Path) -> None:
    halls = halls_file(tmp_path, {})
    log = log_file(tmp_path, "t1,h,A,M,,walk_in,0,2026-03-02T09:00:00+08:00,2026-03-02T09:15:01+08:00,,1,")
    assert [a["at"] for a in replay(log, halls)["alerts"]] == ["2026-03-02T09:15:00+08:00"]


def test_errors_name_the_reason(tmp_path: Path) -> None:
    halls = halls_file(tmp_path, {"yellow_waiting": "many"})
    with pytest.raises(CommandError, match="yellow_waiting"):
        replay(SAMPLE_LOG, halls)
    bad_log = log_file(tmp_path, "t1,h,A,M,,walk_in,0,yesterday,,,,")
    with pytest.raises(CommandError, match="line 2"):
        replay(bad_log, SAMPLE_HALLS)
    with pytest.raises(CommandError, match="no such file"):
        replay(tmp_path / "missing.csv", SAMPLE_HALLS)
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(CommandError, match="bad JSON"):
        replay(SAMPLE_LOG, tmp_path / "broken.json")


def test_flow_and_wait_rules_only_when_the_hall_policy_configures_them(tmp_path: Path) -> None:
    rows = (
        "t1,h,A,M,,walk_in,0,2026-03-02T09:00:00+08:00,2026-03-02T09:00:30+08:00,2026-03-02T09:05:00+08:00,1,served",
        "t2,h,A,M,,walk_in,0,2026-03-02T09:00:10+08:00,,,,",
        "t3,h,A,M,,walk_in,0,2026-03-02T09:00:20+08:00,2026-03-02T09:08:00+08:00,2026-03-02T09:09:00+08:00,1,served",
    )
    log = log_file(tmp_path, *rows)
    plain = replay(log, halls_file(tmp_path, {}))["alerts"]
    assert [a["kind"] for a in plain] == ["overtime"]  # t2 only: nothing else without a policy
    path = tmp_path / "policy.json"
    policy = {"monitor": {"flow": {"minutes": 1, "arrivals": 3}, "wait": {"minutes": 10, "rate_minutes": 5}}}
    doc = {"halls": [{"code": "h", "name": "h", "policy": policy, "zones": [{"code": "A"}]}]}
    path.write_text(json.dumps(doc), encoding="utf-8")
    # 3 arrivals within a minute at 09:00:20; at 09:00:30 two wait and one was called in 5 minutes:
    # 2 × 300 s ÷ 1 = 10 minutes
    assert [(a["at"], a["kind"]) for a in replay(log, path)["alerts"]] == [
        ("2026-03-02T09:00:20+08:00", "flow"),
        ("2026-03-02T09:00:30+08:00", "wait"),
        *[(a["at"], a["kind"]) for a in plain],
    ]
    doc["halls"][0]["policy"] = {"monitor": {"flow": {"minutes": 1}}}
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(CommandError, match=r"policy\.monitor\.flow\.arrivals"):
        replay(log, path)
