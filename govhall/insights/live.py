"""The learned wait predictor behind every live ticket's `estimated_wait_seconds`.

The worker trains `predict.Predictor` on the database's history (`train`, a few times a day) and,
every few seconds, predicts the wait of each ticket still waiting from the hall's tickets of
today as they stand now (`refresh`) — the same causal features `insights predict-waits` uses,
so what a ticket is told is what the evaluation measured. `remaining_wait` is what the ticket
pages read; without a fresh prediction (no model yet, a ticket issued a moment ago, the worker
stopped) they keep the queueing formula.
"""

from __future__ import annotations

import datetime as dt
import logging
import pickle
from typing import Any

from django.conf import settings
from django.db import transaction

from govhall import clock

log = logging.getLogger(__name__)

HISTORY_DAYS = 60
FRESH_SECONDS = 120  # an older prediction is not trusted: the queue has moved on
_loaded: dict[str, Any] = {"pk": None, "predictor": None}


def train(now: dt.datetime, days: int = HISTORY_DAYS) -> int | None:
    """Train on the last `days` service days before today; returns the stored model's id."""
    from govhall.insights import predict
    from govhall.insights.models import WaitModel
    from govhall.queueing import logs

    today = clock.service_day(now, settings.TIME_ZONE)
    since = today - dt.timedelta(days=days)
    history = logs.log_rows(since=since, until=today - dt.timedelta(days=1))
    if not history:
        return None
    predictor = predict.Predictor(history)
    model = WaitModel.objects.create(
        trained_at=now,
        history_from=since,
        history_until=today - dt.timedelta(days=1),
        tickets=len(history),
        learned=predictor.model is not None,
        blob=pickle.dumps(predictor, protocol=pickle.HIGHEST_PROTOCOL),
    )
    WaitModel.objects.exclude(pk=model.pk).filter(trained_at__lt=now - dt.timedelta(days=7)).delete()
    log.info("wait model %s trained on %s tickets (learned: %s)", model.pk, len(history), model.learned)
    return model.pk


def train_if_stale(now: dt.datetime) -> int | None:
    """The worker's task: train when there is no model of today yet."""
    from govhall.insights.models import WaitModel

    newest = WaitModel.objects.order_by("-trained_at").first()
    today = clock.service_day(now, settings.TIME_ZONE)
    if newest is not None and clock.service_day(newest.trained_at, settings.TIME_ZONE) == today:
        return None
    return train(now)


def _predictor() -> Any:
    from govhall.insights.models import WaitModel

    newest = WaitModel.objects.order_by("-trained_at").values_list("pk", flat=True).first()
    if newest is None:
        return None
    if _loaded["pk"] != newest:
        blob = WaitModel.objects.values_list("blob", flat=True).get(pk=newest)
        # our own model, written by `train` into our own database
        _loaded["predictor"] = pickle.loads(bytes(blob))
        _loaded["pk"] = newest
    return _loaded["predictor"]


def refresh(now: dt.datetime) -> int:
    """Predict every waiting ticket's wait; returns how many were predicted."""
    from govhall.insights.models import WaitPrediction
    from govhall.queueing import logs
    from govhall.queueing.models import Status, Ticket

    predictor = _predictor()
    if predictor is None or predictor.model is None:
        return 0
    waiting = Ticket.objects.filter(status=Status.WAITING).values_list("hall__code", "service_day").distinct()
    predictions: list[WaitPrediction] = []
    for hall, day in waiting:
        rows = logs.log_rows(hall=hall, since=day, until=day)
        open_ids = set(
            Ticket.objects.filter(hall__code=hall, service_day=day, status=Status.WAITING).values_list(
                "id", flat=True
            )
        )
        for row, seconds in zip(rows, predictor.predict(rows), strict=True):
            if row.ticket_id in open_ids:
                predictions.append(
                    WaitPrediction(ticket_id=row.ticket_id, seconds=round(float(seconds)), computed_at=now)
                )
    with transaction.atomic():
        WaitPrediction.objects.exclude(ticket_id__in=[p.ticket_id for p in predictions]).delete()
        WaitPrediction.objects.bulk_create(
            predictions,
            update_conflicts=True,
            unique_fields=["ticket_id"],
            update_fields=["seconds", "computed_at"],
        )
    return len(predictions)


def remaining_wait(ticket_id: str, issued_at: dt.datetime, now: dt.datetime | None = None) -> int | None:
    """Seconds still to wait by the learned model, or None when it has no fresh prediction."""
    from govhall.insights.models import WaitPrediction

    now = now or clock.now()
    found = WaitPrediction.objects.filter(ticket_id=ticket_id).values_list("seconds", "computed_at").first()
    if found is None or (now - found[1]).total_seconds() > FRESH_SECONDS:
        return None
    left = found[0] - (now - issued_at).total_seconds()
    # waited longer than predicted: the model has nothing more to say; the formula decides
    return round(left) if left > 0 else None
