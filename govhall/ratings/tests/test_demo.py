"""Demo ratings: a realistic mix, a few open cases, idempotent."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import time_machine

from govhall import clock
from govhall.halls.models import Hall
from govhall.queueing.models import Status, Ticket
from govhall.ratings import demo, queries
from govhall.ratings.models import Case, Rating, Step
from govhall.ratings.tests.conftest import HUKOU
from govhall.testing import window


def test_demo_ratings(city: Hall, clerk_wang: Any) -> None:
    start = dt.datetime(2026, 9, 1, 2, 0, tzinfo=dt.UTC)
    zone = city.zones.get(code="A")
    booth = window(city, "1")
    # history as the demo has it: served tickets written in bulk (as the log import does)
    Ticket.objects.bulk_create(
        Ticket(
            id=f"hist-{day}-{n}",
            hall=city,
            zone=zone,
            origin_zone=zone,
            matter_code=HUKOU,
            number=f"A{n + 1:03d}",
            serial=n + 1,
            service_day=(start + dt.timedelta(days=day)).date(),
            status=Status.SERVED,
            issued_at=start + dt.timedelta(days=day, minutes=5 * n),
            queued_at=start + dt.timedelta(days=day, minutes=5 * n),
            called_at=start + dt.timedelta(days=day, minutes=5 * n + 2),
            finished_at=start + dt.timedelta(days=day, minutes=5 * n + 4),
            window=booth,
            window_code="1",
        )
        for day in range(20)
        for n in range(30)
    )
    now = start + dt.timedelta(days=20)
    demo.load(random.Random(7), now)
    rated = Rating.objects.count()
    assert 0.62 * 600 <= rated <= 0.82 * 600
    assert Rating.objects.filter(staff=clerk_wang).count() == rated  # the hall's only clerk
    cases = Case.objects.count()
    assert cases >= 3  # ~2.5% of 430 ratings are 差评
    assert cases == Rating.objects.filter(level__lte=2).count()
    assert all(c.step == Step.CLOSED for c in Case.objects.filter(opened_at__lt=now - dt.timedelta(days=3)))
    assert all(c.closed_at is None or c.closed_at <= now for c in Case.objects.all())
    with time_machine.travel(now, tick=False):
        figures = queries.summary(city)
    assert figures["total"] == rated and figures["good_rate"] is not None and figures["good_rate"] > 0.85
    demo.load(random.Random(8), now)  # again: already rated tickets are left alone
    assert (Rating.objects.count(), Case.objects.count()) == (rated, cases)
    assert clock.now()  # the clock is untouched
    # a big sample has the advertised mix
    rng = random.Random(1)
    levels = [demo._pick(rng, demo.LEVEL_WEIGHTS) for _ in range(20000)]
    assert 0.96 < sum(1 for v in levels if v >= 3) / len(levels) < 0.99
