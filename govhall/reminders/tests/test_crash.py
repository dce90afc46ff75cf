"""Reminders across a real worker crash: `govhall reminders work` processes, kill -9, a fake gateway.

The guarantee (claim before send, the gateway dedupes): each reminder row is claimed by a
compare-and-swap committed before its POST, and carries one message id (`request_id`), the same on
every attempt. Without a crash every reminder is POSTed once, also with two workers racing. A worker
killed after the gateway took the POST but before the row was marked cannot know it was taken: after
the lease the next worker POSTs the same request id again, and the gateway — which keeps the ids it
has taken, as real SMS gateways do with a client message id — drops the repeat. So each reminder
reaches the handset exactly once; on the wire the one interrupted message is POSTed twice.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govhall import clock
from govhall.realtime.tests.processes import ROOT, database_url, stop
from govhall.reminders import services
from govhall.reminders.fakegateway import FakeGateway
from govhall.reminders.models import CertificateType, Delivery, Reminder
from govhall.reminders.tests.conftest import csv_of, holder_rows

pytestmark = pytest.mark.django_db(transaction=True)
LEASE = ["--lease", "6"]  # must exceed the notifiers' 5 s timeout


def start_worker(log_dir: Path, name: str, gateway: FakeGateway, *args: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL")}
    env["DATABASE_URL"] = database_url()
    env["GOVHALL_SMS_GATEWAY_URL"] = gateway.url
    log = (log_dir / f"{name}.log").open("wb")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "govhall",
            "reminders",
            "--skip-checks",
            "work",
            "--interval",
            "0.2",
            *LEASE,
            *args,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_for(
    condition: Any, timeout: float, what: str, log_dir: Path, alive: list[subprocess.Popen[bytes]]
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and all(p.poll() is None for p in alive):
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


def due_records(count: int) -> list[str]:
    """`count` ID-card holders with one reminder due now; quiet hours off (the workers use the real clock)."""
    services.ensure_default_types()
    CertificateType.objects.filter(code="id-card").update(quiet_start=dt.time(0), quiet_end=dt.time(0))
    today = clock.local(clock.now(), "Asia/Shanghai").date()
    services.import_records("r.csv", csv_of(holder_rows(count, first_expiry=today + dt.timedelta(days=10))))
    keys = list(Reminder.objects.values_list("key", flat=True))
    assert len(keys) == count
    return keys


def test_a_worker_killed_mid_batch_resumes_and_each_reminder_arrives_once(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    gateway = FakeGateway(stall_at=6).start()  # takes the 6th message, then hangs before answering
    try:
        keys = due_records(20)
        first = start_worker(tmp_path, "worker-1", gateway)
        processes.append(first)
        wait_for(gateway.stalled.is_set, 60, "the 6th send", tmp_path, [first])
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        gateway.release.set()
        # mid-batch: five marked, one claimed and taken by the gateway but never marked, the rest untouched
        states = list(Reminder.objects.values_list("state", "attempts").order_by("state", "attempts"))
        assert states.count(("delivered", 1)) == 5
        assert states.count(("planned", 1)) == 1 and states.count(("planned", 0)) == 14
        interrupted = Reminder.objects.get(state="planned", attempts=1)
        assert list(interrupted.deliveries.values_list("outcome", flat=True)) == ["sending"]

        processes.append(start_worker(tmp_path, "worker-2", gateway))
        wait_for(
            lambda: Reminder.objects.filter(state="delivered").count() == 20,
            60,
            "every reminder delivered after the restart",
            tmp_path,
            processes[1:],
        )
        time.sleep(1.0)  # more rounds: nothing new may go out
        assert sorted(gateway.handset) == sorted(keys)  # each reminder reached its handset once
        posts = gateway.posts_per_id()
        assert posts.pop(interrupted.key) == 2  # the interrupted one, repeated under the same id
        assert set(posts.values()) == {1} and len(posts) == 19
        interrupted.refresh_from_db()
        assert interrupted.attempts == 2
        assert list(interrupted.deliveries.order_by("attempt").values_list("attempt", "outcome")) == [
            (1, Delivery.Outcome.SENDING),
            (2, Delivery.Outcome.DELIVERED),
        ]
        assert len({m["phone"] for m in gateway.handset.values()}) == 20
    finally:
        gateway.close()


@pytest.mark.postgres
def test_two_workers_at_once_send_each_reminder_once(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    gateway = FakeGateway().start()
    try:
        keys = due_records(40)
        processes.extend(start_worker(tmp_path, f"worker-{n}", gateway, "--pause", "0.02") for n in (1, 2))
        wait_for(
            lambda: Reminder.objects.filter(state="delivered").count() == 40,
            60,
            "forty reminders",
            tmp_path,
            processes,
        )
        time.sleep(1.0)
        posts = gateway.posts_per_id()
        # no crash: strictly one POST per reminder, though both workers raced for every row
        assert sorted(posts) == sorted(keys) and set(posts.values()) == {1}
        assert Delivery.objects.count() == 40
        assert set(Delivery.objects.values_list("attempt", flat=True)) == {1}
    finally:
        gateway.close()
