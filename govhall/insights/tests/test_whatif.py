from __future__ import annotations

import pytest

from govhall.insights import whatif
from govhall.insights.common import InsightsError
from govhall.insights.tests.builders import ticket


def busy_morning() -> list:
    # Six tickets at 09:00–09:05, each handled in 600 s by one window: waits 0, 9, 18, … minutes.
    rows = []
    for i in range(6):
        called = f"2026-03-02T{9 + (i * 10) // 60:02d}:{(i * 10) % 60:02d}:00"
        rows.append(ticket(f"2026-03-02T09:0{i}:00", called=called, handling=600))
    return rows


def test_replay_with_the_logs_own_window_matches_the_log() -> None:
    result = whatif.whatif(busy_morning(), whatif.parse_plan({}))
    assert result["simulated"] == result["actual"]
    assert result["actual"]["mean_wait_seconds"] == pytest.approx(sum(i * 540 for i in range(6)) / 6)


def test_two_windows_halve_the_queue() -> None:
    result = whatif.whatif(busy_morning(), whatif.parse_plan({"windows": {"city/A": 2}}))
    # Windows free at 09:10/09:11, then 09:20/09:21: waits 0, 0, 8, 8, 16, 16 minutes.
    waits = [0, 0, 480, 480, 960, 960]
    assert result["simulated"]["mean_wait_seconds"] == pytest.approx(sum(waits) / 6)
    assert result["simulated"]["share_over_15min"] == pytest.approx(round(2 / 6, 4))


def test_moving_all_online_leaves_nobody() -> None:
    result = whatif.whatif(busy_morning(), whatif.parse_plan({"online": {"M1": 1.0}}))
    assert result["moved_online"] == 6
    assert result["simulated"]["tickets"] == 0


@pytest.mark.parametrize(
    "plan",
    [[], {"windows": {"city/A": -1}}, {"windows": {"city/A": {"25": 1}}}, {"merge": [["city/A"]]}, {"x": 1}],
)
def test_bad_plans(plan: object) -> None:
    with pytest.raises(InsightsError):
        whatif.parse_plan(plan)
