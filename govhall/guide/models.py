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


class Decision(models.Model):
    """What a manager did with a group of unanswered questions (the audit row of 问题转知识): added
    a phrase to a matter's keywords or scenarios, or dismissed the group."""

    class Action(models.TextChoices):
        KEYWORD = "keyword", "加为关键词"
        SCENARIO = "scenario", "加为场景"
        IGNORE = "ignore", "忽略"

    action = models.CharField(max_length=10, choices=Action.choices)
    matter_code = models.CharField(max_length=64, blank=True)
    phrase = models.CharField(max_length=200, blank=True, help_text="masked; as added to the matter")
    key = models.CharField(max_length=200, blank=True, db_index=True, help_text="the phrase's words")
    added = models.BooleanField(default=False, help_text="false when the matter already had the phrase")
    questions = models.PositiveIntegerField(default=0, help_text="questions this decision closed")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.action} {self.phrase} → {self.matter_code}"


class Question(models.Model):
    """A question nobody answered: the search found nothing sure, the assistant had no confident
    answer, or the citizen was handed to staff. Open while `decision` is empty."""

    class Source(models.TextChoices):
        SEARCH = "search", "搜索无结果"
        ASSISTANT = "assistant", "智能客服未答"
        HANDOFF = "handoff", "转人工"

    text = models.CharField(max_length=200, help_text="as asked, phone and ID numbers masked")
    key = models.CharField(max_length=200, help_text="normalised words")
    source = models.CharField(max_length=10, choices=Source.choices)
    conversation = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField()
    decision = models.ForeignKey(
        Decision, null=True, blank=True, on_delete=models.PROTECT, related_name="closed"
    )

    class Meta:
        indexes = [models.Index(fields=["decision", "at"], name="guide_question_open")]

    def __str__(self) -> str:
        return self.text
