"""The demo data: invented holders, history with every outcome, renewals linked to demo tickets."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import time_machine

from govhall.catalog.services import upsert_matters
from govhall.queueing.services import issue_ticket
from govhall.reminders import demo, queries, sms
from govhall.reminders.models import CertificateRecord, CertificateType, OptOut, Reminder
from govhall.reminders.tests.conftest import MORNING
from govhall.testing import build_hall, matter

pytestmark = pytest.mark.django_db


def test_demo_loads_history_a_due_batch_and_renewals() -> None:
    upsert_matters([matter("DEMO-GA-ID", "居民身份证换领", channels=["hall"])])
    hall = build_hall("demo", zones=("A",), matters={"A": ["DEMO-GA-ID"]})
    with time_machine.travel(MORNING - dt.timedelta(days=40), tick=False):
        issue_ticket(hall, "DEMO-GA-ID", subject="demo-subject-1")
    with time_machine.travel(MORNING, tick=False):
        demo.load(random.Random(7), MORNING)
    assert CertificateType.objects.get(code="id-card").renewal_matter_code == "DEMO-GA-ID"
    assert CertificateRecord.objects.count() == demo.RECORDS + 1
    assert sms.gateway_url() == "fake:" or sms.gateway_url().startswith("http")
    states = set(Reminder.objects.values_list("state", flat=True))
    assert {"delivered", "failed", "opted_out", "planned"} <= states
    assert OptOut.objects.exists()
    figures = queries.monthly_figures()
    assert len({f["month"] for f in figures}) >= 4
    assert sum(f["renewed"] for f in figures) == 1
    assert queries.next_batch(MORNING)["planned"] > 0
    phones = set(CertificateRecord.objects.values_list("phone_masked", flat=True))
    assert all(p.startswith("138****") for p in phones)


def test_a_later_demo_reload_adds_history_without_colliding() -> None:
    """`make demo` reloads on every start, days apart: the second load must not fail on the keys
    of what the first made."""
    with time_machine.travel(MORNING, tick=False):
        demo.load(random.Random(7), MORNING)
    first = Reminder.objects.count()
    later = MORNING + dt.timedelta(days=3)
    with time_machine.travel(later, tick=False):
        demo.load(random.Random(7), later)
    assert Reminder.objects.count() >= first
    assert Reminder.objects.values("key").distinct().count() == Reminder.objects.count()
