"""Demo 政小云 history: four weeks of invented conversations (bot-solved, answered by online staff,
ended in a remote ticket, abandoned) so the shares page has figures, plus two handovers waiting
in the inbox. Called by the demo loader: `load(rng, now)`; idempotent (it replaces its own rows,
recognised by their subject "demo")."""

from __future__ import annotations

import datetime as dt
import random
import secrets

from django.db import transaction

from govhall.assistant.models import Conversation, Message, Outcome, Sender, State

SUBJECT = "demo"
DAYS = 28
PER_DAY = (12, 30)
# Weights close to, but not exactly at, the 60/30/10 goal, improving week by week.
WEIGHTS = {Outcome.BOT: 55, Outcome.STAFF: 28, Outcome.WINDOW: 12, Outcome.ABANDONED: 5}
QUESTIONS = {
    Outcome.BOT: ["孩子刚出生怎么上户口", "租房子想提取公积金", "身份证丢了怎么补", "医保卡余额能给父母用吗"],
    Outcome.STAFF: ["我在外地交的社保能转回来吗", "老人行动不便能上门办吗", "营业执照地址变了要重新办吗"],
    Outcome.WINDOW: ["想开个小饭店要办什么证", "房子过户要带什么", "结婚登记要预约吗"],
    Outcome.ABANDONED: ["你好", "在吗"],
}
STAFF = "王** (工号 D001)"


def load(rng: random.Random, now: dt.datetime) -> None:
    with transaction.atomic():
        Conversation.objects.filter(subject=SUBJECT).delete()
        outcomes = list(WEIGHTS)
        for day in range(DAYS, 0, -1):
            for _ in range(rng.randint(*PER_DAY)):
                started = now - dt.timedelta(days=day, minutes=rng.randint(0, 9 * 60))
                outcome = rng.choices(
                    outcomes,
                    [WEIGHTS[o] + (5 if o == Outcome.BOT else 0) * (DAYS - day) / DAYS for o in outcomes],
                )[0]
                _conversation(rng, started, outcome)
        for minutes in (3, 8):
            _conversation(rng, now - dt.timedelta(minutes=minutes), None)


def _conversation(rng: random.Random, started: dt.datetime, outcome: Outcome | None) -> None:
    question = rng.choice(QUESTIONS[outcome or Outcome.STAFF])
    handed = outcome in (Outcome.STAFF, None)
    closed = started + dt.timedelta(minutes=rng.randint(2, 20))
    talk = Conversation.objects.create(
        token=secrets.token_urlsafe(18),
        subject=SUBJECT,
        state=State.WAITING if outcome is None else State.CLOSED,
        outcome=outcome or "",
        started_at=started,
        updated_at=started if outcome is None else closed,
        closed_at=None if outcome is None else closed,
        bot_answered=outcome in (Outcome.BOT, Outcome.WINDOW),
        handed_over_at=started + dt.timedelta(minutes=1) if handed else None,
        question=question if handed else "",
        claimed_by=None,
        staff_label=STAFF if outcome == Outcome.STAFF else "",
        staff_answered=outcome == Outcome.STAFF,
    )
    rows = [
        Message(
            conversation=talk,
            sender=Sender.CITIZEN,
            text=question,
            payload={"question": True},
            created_at=started,
        )
    ]
    if handed:
        rows.append(
            Message(
                conversation=talk,
                sender=Sender.SYSTEM,
                text="已为您转接在线人工客服，请稍候。",
                payload={"kind": "handoff"},
                created_at=started + dt.timedelta(minutes=1),
            )
        )
    if outcome == Outcome.STAFF:
        rows.append(
            Message(
                conversation=talk,
                sender=Sender.STAFF,
                staff_label=STAFF,
                text="您好，这个问题我来为您解答。",
                created_at=started + dt.timedelta(minutes=3),
            )
        )
    elif outcome in (Outcome.BOT, Outcome.WINDOW):
        rows.append(
            Message(
                conversation=talk,
                sender=Sender.BOT,
                text=f"关于“{question}”，政小云已给出办理指引。",
                payload={"kind": "answer"},
                created_at=started,
            )
        )
    Message.objects.bulk_create(rows)
