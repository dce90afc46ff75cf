"""Ranking feedback: citizens' clicks on search results and staff corrections."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Click(models.Model):
    """One citizen chose `matter` after asking `query`. `subject` is a salted hash of an anonymous
    session id: no person can be told from it, but one person's repeated clicks count once."""

    query = models.CharField(max_length=200)
    key = models.CharField(max_length=200, db_index=True, help_text="normalised query words")
    matter_code = models.CharField(max_length=40)
    subject = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["key", "matter_code", "subject"])]

    def __str__(self) -> str:
        return f"{self.key} → {self.matter_code}"


class Correction(models.Model):
    """A staff member said which matter answers `query`; it ranks first for that question at once."""

    query = models.CharField(max_length=200)
    key = models.CharField(max_length=200, db_index=True)
    matter_code = models.CharField(max_length=40)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.key} ⇒ {self.matter_code}"
