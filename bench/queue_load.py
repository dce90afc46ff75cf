"""Load benchmark of the queueing core against a real `govhall serve`.

1,000 tickets issued by 100 concurrent clients at 50 tickets/s in bursts (10% resent with the
same Idempotency-Key) while 14 windows loop call-next → start → finish. Reports p50/p99 of issue
and call-next and checks the invariants (no ticket called twice, no number repeated or skipped,
none lost). Also reports the CPU each part used during the load (server processes, background
worker, PostgreSQL backends, this load generator) and the server's CPU per request: on a shared
2-core box that says where the cores went.

    .venv/bin/python bench/queue_load.py [--database postgres://postgres@127.0.0.1:5432/govhall_bench]
        [--workers 2] [--redis redis://127.0.0.1:6379/0] [--rate 50] [--tickets 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
GOVHALL = str(ROOT / ".venv" / "bin" / "govhall")
ZONES = ["A", "B", "C", "D"]


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (its threads included), from /proc; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def descendants(pid: int) -> list[int]:
    found = children(pid)
    return found + [d for child in found for d in descendants(child)]


def backends(database: str) -> list[int]:
    """PostgreSQL backend processes connected to the benchmark database."""
    import psycopg

    base, name = database.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name]
        ).fetchall()
    return [int(r[0]) for r in rows]


class CpuShares:
    """CPU of `govhall serve`'s server processes and worker, of the database's backends and of
    this process, between start() and stop()."""

    def __init__(self, serve: int, database: str) -> None:
        self.serve, self.database = serve, database

    def parts(self) -> dict[str, list[int]]:
        server: list[int] = []
        worker: list[int] = []
        for child in children(self.serve):
            if b"worker" in Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0"):  # govhall worker
                worker.append(child)
            else:  # uvicorn, and with --workers N its N processes
                server += [child, *descendants(child)]
        parts = {"server": server, "worker": worker, "client": [os.getpid()]}
        if self.database.startswith("postgres"):
            parts["postgres"] = backends(self.database)
        return parts

    def start(self) -> None:
        self.started = time.perf_counter()
        self.before = {pid: cpu_seconds(pid) for pids in self.parts().values() for pid in pids}

    def stop(self, requests: int) -> dict[str, float]:
        wall = time.perf_counter() - self.started
        used = {
            name: sum(cpu_seconds(pid) - self.before.get(pid, 0.0) for pid in pids)
            for name, pids in self.parts().items()
        }
        out = {f"{name}_cores": round(seconds / wall, 2) for name, seconds in used.items()}
        out["server_cpu_ms_per_request"] = round(used["server"] / max(1, requests) * 1000, 2)
        return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(env: dict[str, str], zones: list[str] = ZONES, windows: int = 14) -> str:
    """A fresh database with one hall `bench` (each window serving two neighbouring zones);
    returns a staff token of that hall. Shared by the other benchmarks of this folder."""
    if env["DATABASE_URL"].startswith("postgres"):
        import psycopg

        base, name = env["DATABASE_URL"].rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([GOVHALL, "migrate", "--noinput"], env=env, check=True, capture_output=True)
    halls = {
        "halls": [
            {
                "code": "bench",
                "name": "压测中心",
                "level": "city",
                "timezone": "Asia/Shanghai",
                "zones": [{"code": z, "name": f"{z}区", "prefix": z, "matters": []} for z in zones],
                "windows": [
                    {
                        "code": str(i + 1),
                        "name": f"{i + 1}号窗口",
                        "zones": sorted({zones[i % len(zones)], zones[(i + 1) % len(zones)]}),
                    }
                    for i in range(windows)
                ],
            }
        ]
    }
    path = Path(tempfile.mkdtemp()) / "halls.json"
    path.write_text(json.dumps(halls, ensure_ascii=False), encoding="utf-8")
    subprocess.run([GOVHALL, "halls", "import", str(path)], env=env, check=True, capture_output=True)
    out = subprocess.run(
        [GOVHALL, "tokens", "create", "--username", "bench", "--hall", "bench"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.strip().splitlines()[-1]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


async def run_load(base: str, token: str, tickets: int, rate: float, clients: int) -> dict[str, object]:
    # aiohttp, not httpx: on a 2-core machine the load generator shares the cores with the server
    # and PostgreSQL, and aiohttp spends several times less CPU per request.
    import aiohttp

    issue_lat: list[float] = []
    call_lat: list[float] = []
    issued: dict[str, str] = {}
    errors: Counter[str] = Counter()
    served: list[str] = []
    actions: list[int] = []
    done = asyncio.Event()
    connector = aiohttp.TCPConnector(limit=clients + 20)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as client:
        queue: asyncio.Queue[int] = asyncio.Queue()

        async def issuer() -> None:
            while True:
                n = await queue.get()
                key = f"k-{n}"
                try:
                    for _attempt in range(2 if random.random() < 0.10 else 1):
                        started = time.perf_counter()
                        async with client.post(
                            "/api/v1/halls/bench/tickets",
                            json={"matter": "M", "zone": ZONES[n % 4]},
                            headers={"Idempotency-Key": key},
                        ) as r:
                            body = await r.json() if r.status in (200, 201) else None
                        issue_lat.append(time.perf_counter() - started)
                        if body is not None:
                            issued[key] = body["id"]
                        else:
                            errors[f"issue {r.status}"] += 1
                except (TimeoutError, aiohttp.ClientError) as exc:
                    errors[f"issue {type(exc).__name__}"] += 1
                finally:
                    queue.task_done()

        async def window(code: str) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            while True:
                started = time.perf_counter()
                try:
                    async with client.post(
                        f"/api/v1/halls/bench/windows/{code}/call-next", headers=headers
                    ) as r:
                        status, text = r.status, await r.text()
                except (TimeoutError, aiohttp.ClientError) as exc:
                    errors[f"call {type(exc).__name__}"] += 1
                    continue
                call_lat.append(time.perf_counter() - started)
                if status == 204:
                    if done.is_set():
                        return
                    await asyncio.sleep(1.0)  # a clerk with nobody waiting tries again a second later
                    continue
                if status != 200:
                    errors[f"call {status}"] += 1
                    if errors[f"call {status}"] < 3:
                        print(code, status, text[:200], file=sys.stderr, flush=True)
                    await asyncio.sleep(0.05)
                    continue
                tid = json.loads(text)["id"]
                for action in ("start", "finish"):
                    async with client.post(f"/api/v1/tickets/{tid}/{action}", headers=headers) as a:
                        actions.append(a.status)
                        if a.status != 200:
                            errors[f"{action} {a.status}"] += 1
                            print(action, a.status, (await a.text())[:200], file=sys.stderr, flush=True)
                served.append(tid)

        workers = [asyncio.create_task(issuer()) for _ in range(clients)]
        windows = [asyncio.create_task(window(str(i + 1))) for i in range(14)]
        started = time.perf_counter()
        burst = max(1, round(rate))  # one burst of `rate` tickets every second
        for first in range(0, tickets, burst):
            for n in range(first, min(tickets, first + burst)):
                queue.put_nowait(n)
            await asyncio.sleep(max(0.0, started + (first // burst + 1) - time.perf_counter()))
        await queue.join()
        print(f"issued {len(issued)} in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
        issue_seconds = time.perf_counter() - started
        done.set()
        await asyncio.wait_for(asyncio.gather(*windows), timeout=600)
        for w in workers:
            w.cancel()
        async with client.get("/api/v1/halls/bench/status") as r:
            log = await r.json()
    return {
        "requests": len(issue_lat) + len(call_lat) + len(actions),
        "issue_lat": issue_lat,
        "call_lat": call_lat,
        "issued": issued,
        "served": served,
        "errors": errors,
        "issue_seconds": issue_seconds,
        "status": log,
    }


def check_invariants(env: dict[str, str], issued: dict[str, str], served: list[str]) -> list[str]:
    problems = []
    out = Path(tempfile.mkdtemp()) / "log.csv"
    subprocess.run(
        [GOVHALL, "tickets", "export-log", "--out", str(out)], env=env, check=True, capture_output=True
    )
    import csv

    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    if len(rows) != len(issued):
        problems.append(f"{len(rows)} tickets in the log for {len(issued)} idempotency keys")
    if len(served) != len(set(served)):
        problems.append(f"{len(served) - len(set(served))} tickets served twice")
    if set(served) != set(issued.values()):
        problems.append(f"{len(set(issued.values()) - set(served))} issued tickets never served")
    return problems


def wait_healthy(base: str, tries: int = 120) -> None:
    """Until `govhall serve` at `base` answers /healthz (it loads and warms up first)."""
    for _ in range(tries):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.25)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/govhall_bench")
    parser.add_argument("--redis", default="")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--clients", type=int, default=100)
    args = parser.parse_args()
    env = dict(os.environ, DATABASE_URL=args.database, GOVHALL_RATE_LIMIT_PER_MINUTE="0")
    env.pop("REDIS_URL", None)
    if args.redis:
        env["REDIS_URL"] = args.redis
    token = prepare(env)
    port = free_port()
    server = subprocess.Popen(
        [GOVHALL, "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(Path(tempfile.gettempdir()) / "govhall-bench-server.log").open("w"),
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base)
        shares = CpuShares(server.pid, args.database)
        shares.start()
        result = asyncio.run(run_load(base, token, args.tickets, args.rate, args.clients))
        cpu = shares.stop(result["requests"])  # type: ignore[arg-type]
    finally:
        server.terminate()
        server.wait(timeout=20)
    issued = result["issued"]  # type: ignore[assignment]
    problems = check_invariants(env, issued, result["served"])  # type: ignore[arg-type]
    summary = {
        "database": args.database.split("://")[0],
        "redis": bool(args.redis),
        "workers": args.workers,
        "tickets": args.tickets,
        "rate": args.rate,
        "issue_p50_ms": round(pct(result["issue_lat"], 50), 1),
        "issue_p99_ms": round(pct(result["issue_lat"], 99), 1),
        "call_p50_ms": round(pct(result["call_lat"], 50), 1),
        "call_p99_ms": round(pct(result["call_lat"], 99), 1),
        "issue_seconds": round(result["issue_seconds"], 1),  # type: ignore[arg-type]
        "errors": dict(result["errors"]),
        "cpu": cpu,
        "invariant_violations": problems,  # type: ignore[call-overload]
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
