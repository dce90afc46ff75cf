"""Notifications across a real worker crash: `govhall monitor work` processes, kill -9, a real receiver.

What "never sent twice" means here: every outbox row carries one delivery id (the
`Idempotency-Key` / `X-Govhall-Delivery` header), the same on every attempt. On the wire delivery is
at least once — a worker killed after the receiver got the POST but before the row was marked sent
cannot know it was taken, so the next worker sends it again with the same id. A receiver that keeps
the ids it has applied takes each alert exactly once. Without a crash, each row is POSTed once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from govhall import clock
from govhall.monitor import live
from govhall.monitor.models import Alert, Outbox, Recipient
from govhall.monitor.notifiers import sign
from govhall.monitor.tests.helpers import build, hall_doc, put_ticket
from govhall.realtime.models import HallEvent
from govhall.realtime.tests.processes import ROOT, database_url, stop

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "crash-test-secret"
LEASE_SECONDS = 6  # must exceed the notifiers' 5 s timeout


class DedupingReceiver:
    """A webhook endpoint that keeps every request it sees and *applies* each delivery id once.

    With `stall_first`, the first request is recorded (and applied), then held without an answer
    until `release` is set: the sender is stuck between "sent" and "marked sent"."""

    def __init__(self, *, stall_first: bool = False) -> None:
        self.requests: list[dict[str, Any]] = []
        self.applied: list[str] = []
        self.lock = threading.Lock()
        self.stalled = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                delivery = self.headers["X-Govhall-Delivery"]
                with receiver.lock:
                    first = not receiver.requests
                    receiver.requests.append({"headers": dict(self.headers), "body": body})
                    if delivery not in receiver.applied:  # the receiver-side dedupe
                        receiver.applied.append(delivery)
                if first and stall_first:
                    receiver.stalled.set()
                    receiver.release.wait(timeout=60)
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"ok": true}')
                except OSError:
                    pass  # the sender died while we stalled

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def per_delivery(self) -> Counter[str]:
        with self.lock:
            return Counter(r["headers"]["X-Govhall-Delivery"] for r in self.requests)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def start_worker(log_dir: Path, name: str, *args: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL")}
    env["DATABASE_URL"] = database_url()
    log = (log_dir / f"{name}.log").open("wb")
    # --skip-checks: the worker needs no system checks (and other apps' work in progress can't stop it)
    command = [sys.executable, "-m", "govhall", "monitor", "--skip-checks", "work", "--interval", "0.2"]
    return subprocess.Popen(
        [*command, "--lease", str(LEASE_SECONDS), *args],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_for(condition: Any, timeout: float, what: str, log_dir: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in log_dir.glob("*.log"))
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        stop(process)


def overdue_hall(receiver: DedupingReceiver, tickets: int, zones: dict[str, Any] | None = None) -> Any:
    """A hall whose department head listens on the receiver, with `tickets` overdue in zone A."""
    city = build(hall_doc("crash", zones=zones or {"A": (15, None, None)}))
    Recipient.objects.create(
        hall=city, name="部门负责人张三", channel="webhook", address=receiver.url, secret=SECRET
    )
    base = clock.now() - dt.timedelta(seconds=930)  # deadlines 30 s ago, inside a first cycle's window
    for i in range(tickets):
        put_ticket(city, "A", f"crash-{i}", base + dt.timedelta(seconds=i))
    return city


def assert_signed(receiver: DedupingReceiver) -> None:
    for request in receiver.requests:
        headers = request["headers"]
        assert headers["X-Govhall-Signature"] == "sha256=" + sign(
            SECRET, headers["X-Govhall-Timestamp"], request["body"]
        )
        assert headers["Idempotency-Key"] == headers["X-Govhall-Delivery"]


def test_worker_killed_mid_send_resends_with_the_same_id_and_the_receiver_applies_once(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    receiver = DedupingReceiver(stall_first=True)
    try:
        overdue_hall(receiver, 3)
        assert live.evaluate(clock.now()) == 3
        keys = list(Outbox.objects.order_by("id").values_list("key", flat=True))

        first = start_worker(tmp_path, "worker-1", "--deliver-only")
        processes.append(first)
        wait_for(receiver.stalled.is_set, 30, "the first POST", tmp_path)
        # the receiver has the first delivery; the worker waits for the answer: kill it there
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        receiver.release.set()
        row = Outbox.objects.get(key=keys[0])
        assert (row.state, row.attempts, row.sent_at) == ("pending", 1, None)  # claimed, never marked
        assert row.claimed_until is not None

        second = start_worker(tmp_path, "worker-2", "--deliver-only")
        processes.append(second)
        wait_for(
            lambda: Outbox.objects.filter(state="sent").count() == 3, 30, "every row marked sent", tmp_path
        )
        stop(second)

        # at least once on the wire: only the row in flight at the crash went out twice, same id
        assert receiver.per_delivery() == Counter({keys[0]: 2, keys[1]: 1, keys[2]: 1})
        # exactly once in effect: the receiver applied each alert's delivery once
        assert sorted(receiver.applied) == sorted(keys)
        repeats = [r["body"] for r in receiver.requests if r["headers"]["X-Govhall-Delivery"] == keys[0]]
        assert repeats[0] == repeats[1]  # the same payload both times
        assert json.loads(repeats[0])["alert"]["kind"] == "overtime"
        assert_signed(receiver)
        assert Outbox.objects.get(key=keys[0]).attempts == 2
    finally:
        receiver.close()


@pytest.mark.postgres
def test_two_worker_processes_raise_and_send_each_alert_once(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    receiver = DedupingReceiver()
    try:
        city = overdue_hall(receiver, 6, zones={"A": (15, 3, 5)})
        # overtime × 6, yellow when the 3rd ticket arrives, red at the 5th
        processes.extend(start_worker(tmp_path, f"worker-{n}") for n in (1, 2))
        wait_for(
            lambda: Outbox.objects.filter(state="sent").count() >= 8, 60, "eight notifications", tmp_path
        )
        time.sleep(1.5)  # several more rounds of both workers: nothing new may appear
        for process in processes:
            stop(process)
        assert Alert.objects.count() == 8
        assert Counter(Alert.objects.values_list("kind", flat=True)) == Counter(
            {"overtime": 6, "yellow": 1, "red": 1}
        )
        assert HallEvent.objects.filter(hall=city, type="zone.alert").count() == 8
        per_delivery = receiver.per_delivery()
        # no crash: strictly one POST per delivery, even with two workers racing for every row
        assert len(per_delivery) == 8 and set(per_delivery.values()) == {1}
        assert set(per_delivery) == set(Outbox.objects.values_list("key", flat=True))
        assert_signed(receiver)
    finally:
        receiver.close()
