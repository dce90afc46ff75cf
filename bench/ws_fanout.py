"""WebSocket fan-out: 50 calling screens on one hall, call-next → `ticket.called` received.

Starts real servers (`uvicorn govhall.asgi:application`) on a fresh database, connects the
screens to `/ws/halls/bench/` (spread over the processes), then repeats: issue a ticket, wait
for every screen to see it, and call it (call-next through process A, over HTTP). The latency of
one screen is the time from sending call-next to that screen receiving the event; the report
gives p50/p95/p99/max over every screen and round (and the part after the API answered, which
is the fan-out alone), and the server processes' CPU while 50
screens sit idle for 10 s (the cost of the shared cross-process poll).

    .venv/bin/python bench/ws_fanout.py                       # one process, SQLite
    .venv/bin/python bench/ws_fanout.py --processes 2         # two processes, SQLite, no Redis
    .venv/bin/python bench/ws_fanout.py --processes 2 \\
        --database postgres://postgres@127.0.0.1:5432/govhall_bench --redis redis://127.0.0.1:6379/0
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets
from queue_load import free_port, prepare

ROOT = Path(__file__).resolve().parent.parent
GOVHALL = str(ROOT / ".venv" / "bin" / "govhall")
UVICORN = [sys.executable, "-m", "uvicorn", "govhall.asgi:application", "--log-level", "warning"]
UVICORN += ["--no-access-log", "--lifespan", "off"]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


async def screen(url: str, inbox: asyncio.Queue[tuple[float, dict[str, Any]]], ready: asyncio.Event) -> None:
    async with websockets.connect(url, open_timeout=20, max_queue=None) as ws:
        ready.set()
        async for message in ws:
            event = json.loads(message)
            if "id" in event:
                await inbox.put((time.perf_counter(), event))


async def bench(bases: list[str], token: str, screens: int, rounds: int) -> dict[str, Any]:
    inboxes: list[asyncio.Queue[tuple[float, dict[str, Any]]]] = [asyncio.Queue() for _ in range(screens)]
    readies = [asyncio.Event() for _ in range(screens)]
    tasks = [
        asyncio.create_task(
            screen(
                bases[i % len(bases)].replace("http://", "ws://") + "/ws/halls/bench/", inboxes[i], readies[i]
            )
        )
        for i in range(screens)
    ]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=60)
    await asyncio.sleep(1.0)
    latencies: list[float] = []
    after_api: list[float] = []
    api_ms: list[float] = []
    out_of_order = 0

    async def next_of(inbox: asyncio.Queue[tuple[float, dict[str, Any]]], kind: str) -> tuple[float, Any]:
        while True:
            at, event = await asyncio.wait_for(inbox.get(), timeout=10)
            if event["type"] == kind:
                return at, event

    last_ids = [0] * screens
    async with httpx.AsyncClient(base_url=bases[0], timeout=30) as client:
        for _ in range(rounds):
            r = await client.post("/api/v1/halls/bench/tickets", json={"matter": "M", "zone": "A"})
            r.raise_for_status()
            await asyncio.gather(*(next_of(inbox, "ticket.issued") for inbox in inboxes))
            sent = time.perf_counter()
            r = await client.post(
                "/api/v1/halls/bench/windows/1/call-next", headers={"Authorization": f"Bearer {token}"}
            )
            answered = time.perf_counter()
            api_ms.append((answered - sent) * 1000)
            r.raise_for_status()
            number = r.json()["number"]
            got = await asyncio.gather(*(next_of(inbox, "ticket.called") for inbox in inboxes))
            for i, (at, event) in enumerate(got):
                assert event["ticket"]["number"] == number
                if event["id"] <= last_ids[i]:
                    out_of_order += 1
                last_ids[i] = event["id"]
                latencies.append(at - sent)
                after_api.append(max(0.0, at - answered))
            ticket = r.json()["id"]
            for action in ("start", "finish"):
                await client.post(
                    f"/api/v1/tickets/{ticket}/{action}", headers={"Authorization": f"Bearer {token}"}
                )
            await asyncio.sleep(0.05)
    for task in tasks:
        task.cancel()
    return {
        "samples": len(latencies),
        "p50_ms": round(pct(latencies, 50), 1),
        "p95_ms": round(pct(latencies, 95), 1),
        "p99_ms": round(pct(latencies, 99), 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "after_api_p50_ms": round(pct(after_api, 50), 1),
        "after_api_p99_ms": round(pct(after_api, 99), 1),
        "call_next_api_p50_ms": round(sorted(api_ms)[len(api_ms) // 2], 1),
        "out_of_order": out_of_order,
    }


async def idle_cpu(bases: list[str], pids: list[int], screens: int, seconds: float) -> float:
    """CPU seconds per second used by the servers while `screens` sockets sit idle."""
    conns = [
        await websockets.connect(bases[i % len(bases)].replace("http://", "ws://") + "/ws/halls/bench/")
        for i in range(screens)
    ]
    await asyncio.sleep(2)
    before = sum(cpu_seconds(p) for p in pids)
    await asyncio.sleep(seconds)
    used = sum(cpu_seconds(p) for p in pids) - before
    for c in conns:
        await c.close()
    return used / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database", help="postgres://… (dropped and created); default a temporary SQLite file"
    )
    parser.add_argument("--redis", help="redis://… for the channel layer (cross-process wake-ups)")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--screens", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--poll", default="0.5", help="GOVHALL_EVENT_POLL_SECONDS of the servers")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["DATABASE_URL"] = args.database or f"sqlite:///{Path(tempfile.mkdtemp()) / 'ws.sqlite3'}"
    env["GOVHALL_EVENT_POLL_SECONDS"] = args.poll
    if args.redis:
        env["REDIS_URL"] = args.redis
    token = prepare(env, zones=["A"], windows=1)
    servers = []
    bases = []
    for _ in range(args.processes):
        port = free_port()
        servers.append(
            subprocess.Popen(
                [*UVICORN, "--port", str(port)],
                cwd=ROOT,
                env=env,
            )
        )
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for base in bases:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"{base} did not start")
                time.sleep(0.2)
        result = asyncio.run(bench(bases, token, args.screens, args.rounds))
        result["idle_cpu_per_s"] = round(
            asyncio.run(idle_cpu(bases, [s.pid for s in servers], args.screens, 10.0)), 3
        )
    finally:
        for s in servers:
            s.terminate()
        for s in servers:
            s.wait(timeout=10)
    db = "postgresql" if env["DATABASE_URL"].startswith("postgres") else "sqlite"
    result.update(
        {
            "database": db,
            "redis": bool(args.redis),
            "processes": args.processes,
            "screens": args.screens,
            "rounds": args.rounds,
            "poll_seconds": float(args.poll),
        }
    )
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
