from __future__ import annotations

import pytest

from govhall.insights import top
from govhall.insights.common import InsightsError
from govhall.insights.tests.builders import ticket


def week_log() -> list:
    rows = []
    # Week 2026-W11 (9–15 March): M1 ×12 (handled in 300 s, waits 60 s), M2 ×10 (600 s, zone B
    # waits 120 s), M3 ×9 (too few for any list).
    for i in range(12):
        rows.append(
            ticket(f"2026-03-10T09:{i:02d}:00", called=f"2026-03-10T09:{i:02d}:59", handling=300, matter="M1")
        )
    for i in range(10):
        rows.append(
            ticket(
                f"2026-03-11T09:{i:02d}:00",
                called=f"2026-03-11T09:{i + 2:02d}:00",
                handling=600,
                matter="M2",
                zone="B",
            )
        )
    for i in range(9):
        rows.append(
            ticket(
                f"2026-03-12T09:{i:02d}:00",
                called=f"2026-03-12T09:{i:02d}:30",
                handling=100,
                matter="M3",
                zone="C",
            )
        )
    # Week W10: fifteen M4 tickets.
    for i in range(15):
        rows.append(ticket(f"2026-03-03T09:{i:02d}:00", matter="M4", zone="D"))
    return rows


def test_last_week_panels_by_hand() -> None:
    panels = top.panels(week_log())
    assert panels["week"] == "2026-W11"
    assert panels["by_volume"] == [{"matter": "M1", "tickets": 12}, {"matter": "M2", "tickets": 10}]
    assert panels["shortest_handling"] == [
        {"matter": "M1", "served": 12, "mean_handling_seconds": 300.0},
        {"matter": "M2", "served": 10, "mean_handling_seconds": 600.0},
    ]
    assert panels["shortest_wait_units"] == [
        {"hall": "city", "zone": "A", "tickets": 12, "mean_wait_seconds": 59.0},
        {"hall": "city", "zone": "B", "tickets": 10, "mean_wait_seconds": 120.0},
    ]


def test_chosen_week_and_local_dates() -> None:
    assert top.panels(week_log(), "2026-W10")["by_volume"] == [{"matter": "M4", "tickets": 15}]
    # 00:30 on Monday 16 March in Shanghai is still Sunday in UTC: the local date decides (W12).
    rows = [*week_log(), *(ticket("2026-03-16T00:30:00+08:00", matter="M5") for _ in range(10))]
    assert top.panels(rows)["week"] == "2026-W12"


def test_bad_week() -> None:
    with pytest.raises(InsightsError):
        top.parse_week("2026-12")
