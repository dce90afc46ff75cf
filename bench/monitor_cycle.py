"""One live monitor cycle over 50 halls × 10 zones with 5,000 waiting tickets (target < 1 s).

Builds a fresh database (a temporary SQLite file, or a PostgreSQL database it drops and creates),
imports the halls (thresholds on every zone, flow and wait rules in the policy of every other
hall), inserts 5,000 waiting tickets issued over the last two hours plus 10,000 finished ones of
the day, and then:

1. raises the backlog (first start: the cycles that raise what the first look-back finds, 200
   alerts at most per cycle) and reports those cycles;
2. runs 20 steady cycles 3 s apart (the worker's pace), each after a few new tickets and calls,
   and reports median / p90 / max of one cycle.

    .venv/bin/python bench/monitor_cycle.py [--database postgres://postgres@127.0.0.1:5432/govhall_bench_monitor]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HALLS, ZONES, WAITING, DONE = 50, 10, 5000, 10000


def prepare_database(url: str) -> None:
    if url.startswith("postgres"):
        import psycopg

        base, name = url.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govhall.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def halls_doc() -> list[dict]:
    zones = [chr(ord("A") + z) for z in range(ZONES)]
    docs = []
    for h in range(HALLS):
        doc = {
            "code": f"h{h:02d}",
            "name": f"第{h + 1}便民服务中心",
            "level": "town",
            "timezone": "Asia/Shanghai",
            "zones": [
                {
                    "code": z,
                    "name": f"{z}区",
                    "prefix": z,
                    "matters": [],
                    "yellow_waiting": 12,
                    "red_waiting": 20,
                }
                for z in zones
            ],
            "windows": [
                {"code": str(i + 1), "name": f"{i + 1}号窗口", "zones": [z]} for i, z in enumerate(zones)
            ],
        }
        if h % 2 == 0:
            doc["policy"] = {
                "monitor": {
                    "flow": {"minutes": 10, "arrivals": 15},
                    "wait": {"minutes": 30, "rate_minutes": 15},
                }
            }
        docs.append(doc)
    return docs


def load(now: dt.datetime, rng: random.Random) -> list[tuple[int, int, str]]:
    from govhall.halls.models import Zone
    from govhall.halls.services import upsert_halls
    from govhall.queueing.models import Status, Ticket

    upsert_halls(halls_doc())
    zones = list(Zone.objects.select_related("hall"))
    serials: dict[int, int] = {}
    rows = []

    def ticket(zone: Zone, issued: dt.datetime, status: str, called: dt.datetime | None = None) -> Ticket:
        serial = serials[zone.pk] = serials.get(zone.pk, 0) + 1
        finished = called + dt.timedelta(minutes=5) if called else None
        return Ticket(
            id=f"b{len(rows):06d}",
            hall=zone.hall,
            zone=zone,
            origin_zone=zone,
            matter_code="M-1",
            number=f"{zone.prefix}{serial:04d}",
            serial=serial,
            service_day=issued.date(),
            status=status,
            issued_at=issued,
            queued_at=issued,
            called_at=called,
            last_called_at=called,
            finished_at=finished,
        )

    for _ in range(DONE):
        issued = now - dt.timedelta(seconds=rng.uniform(2 * 3600, 8 * 3600))
        rows.append(
            ticket(
                rng.choice(zones), issued, Status.SERVED, issued + dt.timedelta(minutes=rng.uniform(1, 30))
            )
        )
    waiting = []
    for _ in range(WAITING):
        zone = rng.choice(zones)
        rows.append(ticket(zone, now - dt.timedelta(seconds=rng.uniform(1, 2 * 3600)), Status.WAITING))
        waiting.append((zone.pk, rows[-1].serial, rows[-1].id))
    Ticket.objects.bulk_create(rows, batch_size=2000)
    return waiting


CPU: list[float] = []  # this process's CPU seconds per cycle (the machine may be shared)


def timed(now: dt.datetime) -> tuple[float, int]:
    from govhall.monitor import live

    started, cpu = time.perf_counter(), time.process_time()
    raised = live.evaluate(now)
    CPU.append(time.process_time() - cpu)
    return time.perf_counter() - started, raised


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="", help="PostgreSQL URL (default: a temporary SQLite file)")
    parser.add_argument("--cycles", type=int, default=20)
    args = parser.parse_args()
    url = args.database or f"sqlite:///{Path(tempfile.mkdtemp()) / 'monitor-bench.sqlite3'}"
    prepare_database(url)

    from django.db import connection

    from govhall.monitor.models import Alert
    from govhall.queueing.models import Status, Ticket

    rng = random.Random(7)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    started = time.perf_counter()
    waiting = load(now, rng)
    print(
        f"loaded {HALLS} halls × {ZONES} zones, {WAITING} waiting + {DONE} done in "
        f"{time.perf_counter() - started:.1f} s ({connection.vendor})",
        file=sys.stderr,
    )

    backlog = []
    moment = now
    while True:
        seconds, raised = timed(moment)
        backlog.append((seconds, raised))
        moment += dt.timedelta(seconds=1)
        if raised == 0:
            break
    steady = []
    CPU.clear()
    for _ in range(args.cycles):
        moment += dt.timedelta(seconds=3)
        # the floor moves between cycles: a few calls and new tickets
        for _zone, _serial, ticket_id in rng.sample(waiting, 5):
            Ticket.objects.filter(pk=ticket_id, status=Status.WAITING).update(
                status=Status.CALLED, called_at=moment - dt.timedelta(seconds=2.5), last_called_at=moment
            )
        steady.append(timed(moment))
    times = sorted(s for s, _ in steady)
    result = {
        "database": connection.vendor,
        "halls": HALLS,
        "zones": HALLS * ZONES,
        "waiting_tickets": WAITING,
        "backlog_cycles": len(backlog),
        "backlog_alerts": sum(r for _, r in backlog),
        "backlog_cycle_max_seconds": round(max(s for s, _ in backlog), 3),
        "steady_cycles": len(steady),
        "steady_median_seconds": round(statistics.median(times), 3),
        "steady_p90_seconds": round(times[int(0.9 * (len(times) - 1))], 3),
        "steady_max_seconds": round(times[-1], 3),
        "steady_median_cpu_seconds": round(statistics.median(CPU), 3),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "alerts_stored": Alert.objects.count(),
        "target_seconds": 1.0,
    }
    result["target_met"] = result["steady_max_seconds"] < 1.0
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
