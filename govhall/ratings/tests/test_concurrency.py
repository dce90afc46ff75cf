"""A double submit (two phones, the pad and the phone) stores one rating and opens one case."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from govhall.queueing.errors import Conflict
from govhall.ratings import services
from govhall.ratings.models import Case, Rating
from govhall.ratings.tests.conftest import person, served
from govhall.testing import build_catalog, build_hall

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

SUBMITTERS = 8


def test_concurrent_ratings_of_one_ticket_store_one_row() -> None:
    build_catalog("M-1")
    city = build_hall("city", zones=("A",), matters={"A": ["M-1"]})
    clerk = person("clerk_wang", "city", "staff")[0]
    ticket = served(city, "1", clerk, "M-1")
    start = threading.Barrier(SUBMITTERS)
    made: list[Any] = []
    refused: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def submit(n: int) -> None:
        try:
            start.wait(timeout=30)
            try:
                rating = services.rate(
                    ticket.pk, 1 + n % 2, f"第{n}次提交", channel="pad" if n % 2 else "phone"
                )
                with lock:
                    made.append(rating)
            except Conflict as exc:
                with lock:
                    refused.append(exc.detail)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(SUBMITTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive()
    assert errors == []
    assert len(made) == 1 and len(refused) == SUBMITTERS - 1
    assert all("已经评价" in reason for reason in refused)
    assert Rating.objects.count() == 1 and Case.objects.count() == 1
    assert Rating.objects.get().comment == made[0].comment
