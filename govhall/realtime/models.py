"""The per-hall event log behind the WebSocket: stored with the change, replayed with `since`."""

from __future__ import annotations

from django.db import models

from govhall.halls.models import Hall


class HallEvent(models.Model):
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="events")
    seq = models.BigIntegerField()
    type = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["hall", "seq"]
        constraints = [models.UniqueConstraint(fields=["hall", "seq"], name="hallevent_unique_seq")]

    def as_message(self) -> dict[str, object]:
        return {"id": self.seq, "type": self.type, **self.payload}
