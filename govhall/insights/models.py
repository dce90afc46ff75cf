"""What the live wait prediction keeps: the trained model and each waiting ticket's prediction."""

from __future__ import annotations

from django.db import models


class WaitModel(models.Model):
    """A wait predictor trained by the worker on the database's history (newest wins)."""

    trained_at = models.DateTimeField()
    history_from = models.DateField()
    history_until = models.DateField()
    tickets = models.PositiveIntegerField()
    learned = models.BooleanField(help_text="false: too little history, the queue formula is used")
    blob = models.BinaryField()

    class Meta:
        ordering = ["-trained_at"]
        verbose_name = verbose_name_plural = "等候时间预测模型"


class WaitPrediction(models.Model):
    """The predicted wait (issue → first call) of a waiting ticket, refreshed every few seconds."""

    ticket_id = models.CharField(max_length=32, primary_key=True)
    seconds = models.PositiveIntegerField()
    computed_at = models.DateTimeField()
