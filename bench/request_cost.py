"""Server CPU per request of the queueing core's hot calls, by endpoint.

Wall-clock latency on a shared 2-core box says more about the neighbours than about the code;
the CPU a request costs the server (and its PostgreSQL backend) does not. This starts one
`govhall serve --no-worker --workers 1` process on a fresh PostgreSQL database, drives batches
of one endpoint at a time (issue, call-next, start, finish, call-next with nobody waiting) at
moderate concurrency, and divides the CPU the server process — and, separately, the database
backends it holds open — spent during each batch by the number of requests.

    .venv/bin/python bench/request_cost.py [--database postgres://…/govhall_cost] [--rounds 20]
        [--profile out.json|out.txt]       # py-spy over the run: speedscope, or collapsed stacks
        [--worker]                         # also run `govhall worker` and report its CPU share

Prints one JSON line: CPU ms per request by endpoint, server and database side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from queue_load import GOVHALL, ZONES, backends, children, cpu_seconds, free_port, prepare, wait_healthy

WINDOWS = 14


class Meter:
    """CPU of the server process and of the database backends between start() and stop()."""

    def __init__(self, server: int, database: str) -> None:
        self.server, self.database = server, database
        self.totals: dict[str, list[float]] = {}

    def start(self) -> None:
        self.pids = backends(self.database)
        self.app0 = cpu_seconds(self.server)
        self.db0 = {p: cpu_seconds(p) for p in self.pids}

    def stop(self, endpoint: str, requests: int) -> None:
        app = cpu_seconds(self.server) - self.app0
        db = sum(cpu_seconds(p) - self.db0.get(p, 0.0) for p in backends(self.database))
        row = self.totals.setdefault(endpoint, [0.0, 0.0, 0])
        row[0] += app
        row[1] += db
        row[2] += requests

    def report(self) -> dict[str, dict[str, float]]:
        return {
            name: {
                "requests": n,
                "server_cpu_ms": round(app / n * 1000, 2),
                "db_cpu_ms": round(db / n * 1000, 2),
            }
            for name, (app, db, n) in self.totals.items()
            if n
        }


async def drive(base: str, token: str, meter: Meter, rounds: int, per_round: int) -> None:
    import aiohttp

    staff = {"Authorization": f"Bearer {token}"}
    serial = 0
    async with aiohttp.ClientSession(base, connector=aiohttp.TCPConnector(limit=64)) as client:

        async def post(path: str, headers: dict[str, str], body: Any = None) -> tuple[int, Any]:
            async with client.post(path, json=body, headers=headers) as r:
                return r.status, (await r.json() if r.status == 200 or r.status == 201 else None)

        async def batch(name: str, calls: list[Any]) -> list[tuple[int, Any]]:
            meter.start()
            results = await asyncio.gather(*calls)
            meter.stop(name, len(calls))
            return results

        def issue() -> Any:
            nonlocal serial
            serial += 1
            headers = {"Idempotency-Key": f"c-{serial}"}
            return post("/api/v1/halls/bench/tickets", headers, {"matter": "M", "zone": ZONES[serial % 4]})

        for warm in range(2):  # compile, cache and connect everything once, uncounted
            await asyncio.gather(*(issue() for _ in range(WINDOWS)))
            for code in range(1, WINDOWS + 1):
                status, body = await post(f"/api/v1/halls/bench/windows/{code}/call-next", staff)
                if status == 200:
                    for action in ("start", "finish"):
                        await post(f"/api/v1/tickets/{body['id']}/{action}", staff)
            del warm
        for _ in range(rounds):
            for results in await batch("issue", [issue() for _ in range(per_round)]):
                assert results[0] == 201, results
            for _ in range(per_round // WINDOWS):
                called = await batch(
                    "call-next",
                    [
                        post(f"/api/v1/halls/bench/windows/{c}/call-next", staff)
                        for c in range(1, WINDOWS + 1)
                    ],
                )
                ids = [body["id"] for status, body in called if status == 200]
                for action in ("start", "finish"):
                    done = await batch(action, [post(f"/api/v1/tickets/{t}/{action}", staff) for t in ids])
                    assert all(status == 200 for status, _ in done), done
            while True:  # serve the rest, so the next round starts with an empty queue
                called = await asyncio.gather(
                    *(
                        post(f"/api/v1/halls/bench/windows/{c}/call-next", staff)
                        for c in range(1, WINDOWS + 1)
                    )
                )
                ids = [body["id"] for status, body in called if status == 200]
                if not ids:
                    break
                for action in ("start", "finish"):
                    await asyncio.gather(*(post(f"/api/v1/tickets/{t}/{action}", staff) for t in ids))
            await batch(
                "call-next (nobody waiting)",
                [post(f"/api/v1/halls/bench/windows/{c}/call-next", staff) for c in range(1, WINDOWS + 1)],
            )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/govhall_cost")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--per-round", type=int, default=28, help="tickets issued per round")
    parser.add_argument(
        "--profile", default="", help="py-spy profile: speedscope, or collapsed stacks if it ends in .txt"
    )
    parser.add_argument("--worker", action="store_true", help="run the background worker too")
    args = parser.parse_args()
    env = dict(os.environ, DATABASE_URL=args.database, GOVHALL_RATE_LIMIT_PER_MINUTE="0")
    env.pop("REDIS_URL", None)
    token = prepare(env)
    port = free_port()
    command = [GOVHALL, "serve", "--port", str(port), "--workers", "1"]
    serve = subprocess.Popen(
        command if args.worker else [*command, "--no-worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(Path(tempfile.gettempdir()) / "govhall-cost-server.log").open("w"),
    )
    spy = None
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base)
        procs = children(serve.pid)
        server = next(p for p in procs if b"uvicorn" in Path(f"/proc/{p}/cmdline").read_bytes())
        worker = next((p for p in procs if p != server), None)
        if args.profile:
            spy = subprocess.Popen(
                [
                    shutil.which("py-spy") or str(Path(sys.base_prefix) / "bin" / "py-spy"),
                    "record",
                    "--pid",
                    str(server),
                    "--threads",
                    "--gil",
                    "--rate",
                    "400",
                    "-o",
                    args.profile,
                    "--format",
                    "raw" if args.profile.endswith(".txt") else "speedscope",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1)
        meter = Meter(server, args.database)
        started, worker0, server0 = time.perf_counter(), cpu_seconds(worker or 0), cpu_seconds(server)
        asyncio.run(drive(base, token, meter, args.rounds, args.per_round))
        elapsed = time.perf_counter() - started
        summary: dict[str, Any] = {"endpoints": meter.report(), "seconds": round(elapsed, 1)}
        summary["server_cpu_share"] = round((cpu_seconds(server) - server0) / elapsed, 3)
        if worker:
            summary["worker_cpu_share"] = round((cpu_seconds(worker) - worker0) / elapsed, 3)
    finally:
        if spy is not None:
            spy.send_signal(2)  # SIGINT: py-spy writes its profile and exits
            spy.wait(timeout=60)
        serve.terminate()
        serve.wait(timeout=20)
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
