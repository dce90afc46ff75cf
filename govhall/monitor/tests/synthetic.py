"""A synthetic ticket log and halls file for timing `monitor replay` (python -m govhall.monitor.tests.synthetic)."""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from pathlib import Path

from govhall.ticketlog import LogRow, write_log

TZ = dt.timezone(dt.timedelta(hours=8))


def halls(n_halls: int = 20, n_zones: int = 5) -> dict[str, object]:
    return {
        "halls": [
            {
                "code": f"h{h:02d}",
                "name": f"大厅{h}",
                "timezone": "Asia/Shanghai",
                "zones": [
                    {
                        "code": chr(65 + z),
                        "prefix": chr(65 + z),
                        "overtime_minutes": 15,
                        "yellow_waiting": 8,
                        "red_waiting": 14,
                    }
                    for z in range(n_zones)
                ],
                "windows": [],
            }
            for h in range(n_halls)
        ]
    }


def rows(n: int = 200_000, n_halls: int = 20, n_zones: int = 5, seed: int = 7) -> list[LogRow]:
    rng = random.Random(seed)
    days = max(1, n // (n_halls * n_zones * 100))
    out = []
    for i in range(n):
        day = dt.datetime(2026, 3, 2, 8, 30, tzinfo=TZ) + dt.timedelta(days=rng.randrange(days))
        issued = day + dt.timedelta(seconds=rng.randrange(8 * 3600))
        wait = dt.timedelta(seconds=int(rng.expovariate(1 / 600)))
        kind = rng.random()
        called = finished = None
        outcome = ""
        if kind < 0.85:
            called, finished, outcome = issued + wait, issued + wait + dt.timedelta(minutes=8), "served"
        elif kind < 0.95:
            finished, outcome = issued + wait, "cancelled"
        out.append(
            LogRow(
                f"t{i:07d}",
                f"h{rng.randrange(n_halls):02d}",
                chr(65 + rng.randrange(n_zones)),
                "M1",
                "",
                "walk_in",
                0,
                issued,
                called,
                finished,
                "1" if called else "",
                outcome,
            )
        )
    out.sort(key=lambda r: r.issued_at)
    return out


def write(directory: Path, n: int = 200_000) -> tuple[Path, Path]:
    log, hall_file = directory / "log.csv", directory / "halls.json"
    with log.open("w", encoding="utf-8", newline="") as fh:
        write_log(rows(n), fh)  # type: ignore[arg-type]
    hall_file.write_text(json.dumps(halls()), encoding="utf-8")
    return log, hall_file


if __name__ == "__main__":
    print(*write(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 200_000))
