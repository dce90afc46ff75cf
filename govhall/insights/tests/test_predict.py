from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest

from govhall.insights import predict, tracegen
from govhall.insights.tests.builders import ticket


@pytest.fixture(scope="module")
def trace() -> list:
    _, rows = tracegen.generate(4, seed=7, scale=0.12)
    return rows


def split(rows: list, day: int) -> tuple[list, list]:
    cut = dt.datetime.combine(tracegen.DEFAULT_START + dt.timedelta(days=day), dt.time(), tzinfo=tracegen.TZ)
    return [r for r in rows if r.issued_at < cut], [r for r in rows if r.issued_at >= cut]


def test_predictions_are_causal(trace: list) -> None:
    history, log = split(trace, 2)
    predictor = predict.Predictor(history)
    assert predictor.model is not None
    full = dict(zip([r.ticket_id for r in log], predictor.predict(log), strict=True))
    for hour in (9, 10, 14):
        export_at = dt.datetime.combine(
            tracegen.DEFAULT_START + dt.timedelta(days=2), dt.time(hour, 17), tzinfo=tracegen.TZ
        )
        cut = tracegen.truncate(log, export_at)
        random.Random(hour).shuffle(cut)  # readers must not depend on the order either
        for row, guess in zip(cut, predictor.predict(cut), strict=True):
            assert guess == pytest.approx(full[row.ticket_id], abs=1e-6)


def test_queue_features_by_hand() -> None:
    rows = [
        ticket("2026-03-02T09:00:00", called="2026-03-02T09:10:00", handling=600),
        ticket("2026-03-02T09:01:00", called="2026-03-02T09:20:00", handling=600),
        ticket("2026-03-02T09:02:00", priority=1, called="2026-03-02T09:11:00", handling=60),
        ticket("2026-03-02T09:05:00"),
    ]
    x = predict.features(rows, predict.build_profile([]))
    col = predict.FEATURES.index
    # The 09:05 ticket: three waiting ahead; the priority one only queues behind priority tickets.
    assert list(x[:, col("ahead_all")]) == [0, 1, 2, 3]
    assert x[2, col("ahead")] == 0
    assert x[3, col("head_age")] == 300
    assert np.isnan(x[3, col("les")])  # nobody called yet
    # With no history, the fallback is the queue formula: 3 × 600 s (default handling) ÷ 1 window.
    assert predict.Predictor([]).predict(rows)[3] == pytest.approx(1800)


def test_model_beats_baselines_on_a_trace(trace: list) -> None:
    history, log = split(trace, 2)
    overall = predict.evaluate(history, log)["overall"]
    assert overall["model"] < min(overall["queue"], overall["les"])
