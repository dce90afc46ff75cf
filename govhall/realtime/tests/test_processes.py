"""Two real server processes on one database: an event made through A reaches a socket on B.

(a) The embedded default (one SQLite file, no Redis): B's feed reads the stored events.
(b) PostgreSQL with `REDIS_URL`: A's wake-up reaches B through channels-redis; B's poll is set to
    30 s here, so delivery within a second can only come from Redis.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import connection
from websockets.sync.client import ClientConnection, connect

from govhall.accounts.services import create_token
from govhall.realtime.tests.processes import Server, two_servers
from govhall.testing import build_catalog, build_hall

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]
MATTER = "330000-GA-0001"


def receive(socket: ClientConnection, timeout: float) -> dict[str, Any]:
    return json.loads(socket.recv(timeout=timeout))  # type: ignore[no-any-return]


def next_event(socket: ClientConnection, timeout: float) -> dict[str, Any]:
    """The next event with an id (skipping the hello snapshot)."""
    deadline = time.monotonic() + timeout
    while True:
        message = receive(socket, max(0.01, deadline - time.monotonic()))
        if "id" in message:
            return message


def hall_with_staff() -> str:
    build_catalog(MATTER)
    build_hall("city", zones=("A",), windows={"1": ["A"], "2": ["A"]}, matters={"A": [MATTER]})
    return create_token("window_1_api", hall_code="city")


def journey_across(a: Server, b: Server, token: str, rounds: int, timeout: float) -> dict[str, list[float]]:
    """Issue and call through A while a socket on B listens; every event must arrive in order with
    increasing ids. Returns the delivery latencies (seconds) per event type."""
    latencies: dict[str, list[float]] = {"ticket.issued": [], "ticket.called": []}
    api = httpx.Client(base_url=a.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    with connect(f"{b.ws}/ws/halls/city/", open_timeout=10) as socket:
        hello = receive(socket, timeout)
        assert hello["type"] == "hello"
        last = hello["last_id"]
        for n in range(1, rounds + 1):
            time.sleep(random.uniform(0, 0.5))  # not in step with the poll
            started = time.monotonic()
            issued = api.post("/api/v1/halls/city/tickets", json={"matter": MATTER})
            assert issued.status_code == 201, issued.text
            event = next_event(socket, timeout)
            latencies["ticket.issued"].append(time.monotonic() - started)
            assert (event["type"], event["id"], event["ticket"]["id"]) == (
                "ticket.issued",
                last + 1,
                issued.json()["id"],
            )
            assert event["ticket"]["number"] == f"A{n:03d}"
            last = event["id"]

            time.sleep(random.uniform(0, 0.5))
            started = time.monotonic()
            called = api.post(f"/api/v1/halls/city/windows/{1 + n % 2}/call-next")
            assert called.status_code == 200, called.text
            event = next_event(socket, timeout)
            latencies["ticket.called"].append(time.monotonic() - started)
            assert (event["type"], event["id"], event["ticket"]["number"]) == (
                "ticket.called",
                last + 1,
                f"A{n:03d}",
            )
            last = event["id"]
            # free the window for the next round (through B this time: both ways work)
            ticket_id = called.json()["id"]
            for action in ("start", "finish"):
                done = httpx.post(
                    f"{b.url}/api/v1/tickets/{ticket_id}/{action}",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=10,
                )
                assert done.status_code == 200, done.text
                event = next_event(socket, timeout)
                assert event["id"] == last + 1 and event["ticket"]["id"] == ticket_id
                last = event["id"]
    api.close()
    return latencies


def report(mode: str, latencies: dict[str, list[float]]) -> None:
    for kind, values in latencies.items():
        values = sorted(values)
        print(
            f"\n{mode} {kind}: n={len(values)} median {statistics.median(values) * 1000:.0f} ms, "
            f"max {values[-1] * 1000:.0f} ms"
        )


def replay_on_b(b: Server) -> None:
    """A socket on B resuming with since=0 gets every stored event first, in order."""
    with connect(f"{b.ws}/ws/halls/city/?since=0", open_timeout=10) as socket:
        ids = [next_event(socket, 3)["id"] for _ in range(4)]
    assert ids == [1, 2, 3, 4]


@pytest.fixture
def log_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


def test_embedded_sqlite_events_reach_the_other_process_from_the_stored_table(log_dir: Path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the embedded default is SQLite; PostgreSQL + Redis is the next test")
    token = hall_with_staff()
    with two_servers(log_dir, GOVHALL_EVENT_POLL_SECONDS="0.5") as (a, b):
        latencies = journey_across(a, b, token, rounds=6, timeout=3)
        replay_on_b(b)
    report("sqlite, no Redis (poll 0.5 s)", latencies)
    every = latencies["ticket.issued"] + latencies["ticket.called"]
    assert max(every) < 2.0  # the poll period is 0.5 s


@pytest.mark.postgres
@pytest.mark.redis
def test_postgres_and_redis_events_reach_the_other_process_through_redis(log_dir: Path, ci: bool) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=postgres://…)")
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        import redis

        redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
    except Exception as exc:
        if ci:
            pytest.fail(f"Redis at {redis_url} is not reachable and CI=true: {exc}")
        pytest.skip(f"Redis at {redis_url} is not reachable: {exc}")
    token = hall_with_staff()
    # a 30 s poll: anything delivered faster came through Redis
    with two_servers(log_dir, REDIS_URL=redis_url, GOVHALL_EVENT_POLL_SECONDS="30") as (a, b):
        latencies = journey_across(a, b, token, rounds=6, timeout=2)
        replay_on_b(b)
    report("PostgreSQL + Redis", latencies)
    assert max(latencies["ticket.issued"] + latencies["ticket.called"]) < 1.0
