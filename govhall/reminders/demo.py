"""Demo certificate records: a few hundred invented holders, five months of sent reminders, a batch due now.

`load(rng, now)` — called by the demo loader after the catalogue and the ticket history. Numbers
are fake (3302001990…/JY1330200… style) and phones are 1380000xxxx; the SMS gateway is set to the
built-in fake (`fake:`), so "立即发送" works in the demo without sending anything anywhere. Where
the demo catalogue has a type's renewal matter (居民身份证换领, 机动车驾驶证有效期满换证 …) the
type points at it, and some history tickets for those matters get a reminded record with the
same subject, so the monthly figures show renewals.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from govhall.catalog.models import Matter
from govhall.reminders import formats, schedule, services
from govhall.reminders.models import (
    CertificateRecord,
    CertificateType,
    Delivery,
    GatewayConfig,
    OptOut,
    Reminder,
)

RECORDS = 320
HISTORY_DAYS = 150
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌辉鹏宇浩然欣怡梓涵子轩雨桐"
SHOPS = ["小吃店", "面馆", "便利店", "烘焙坊", "茶饮店", "餐饮管理有限公司", "农家乐", "水果店"]
TYPE_WEIGHTS = [
    ("居民身份证", 45),
    ("机动车驾驶证", 30),
    ("营业执照", 10),
    ("食品经营许可证", 10),
    ("从业人员健康证明", 5),
]
OUTCOMES = [("delivered", 92), ("failed", 4), ("opted_out", 4)]


# The demo catalogue's names of the renewal matters (govhall/demo/data/catalog.py).
DEMO_MATTERS = {
    "id-card": "居民身份证换领",
    "driving-licence": "机动车驾驶证有效期满换证",
    "business-licence": "营业执照遗失补领、换领",
    "food-licence": "食品经营许可(延续)",
}


def _link_matters() -> None:
    """Point the types at the demo catalogue's renewal matters where it has them."""
    for ctype in CertificateType.objects.all():
        names = [DEMO_MATTERS.get(ctype.code, ""), ctype.renewal_matter_name]
        matter = Matter.objects.filter(name__in=[n for n in names if n]).first()
        if matter is None:
            continue
        ctype.renewal_matter_code = matter.code
        ctype.renewal_matter_name = matter.name
        ctype.online = bool({"app", "web"} & set(matter.channels or []))
        ctype.save(update_fields=["renewal_matter_code", "renewal_matter_name", "online"])


def _holder(rng: random.Random, type_name: str) -> str:
    person = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    if type_name in ("营业执照", "食品经营许可证"):
        return f"海曙区{person}{rng.choice(SHOPS)}"
    return person


def _number(rng: random.Random, type_name: str, serial: int) -> str:
    if type_name == "营业执照":
        return f"91330203DEMO{serial:05d}X"
    if type_name == "食品经营许可证":
        return f"JY13302030{serial:06d}"
    return f"330200199{rng.randint(0, 9)}0101{serial:04d}"


def _row(
    rng: random.Random, serial: int, type_name: str, expires: dt.date, subject: str = ""
) -> dict[str, str]:
    return {
        "holder": _holder(rng, type_name),
        "type": type_name,
        "number": _number(rng, type_name, serial),
        "expires_on": expires.isoformat(),
        "phone": f"1380000{serial:04d}",
        "subject": subject,
    }


def load(rng: random.Random, now: dt.datetime) -> None:
    services.ensure_default_types()
    _link_matters()
    GatewayConfig.objects.update_or_create(pk=1, defaults={"url": "fake:", "updated_at": now})
    today = now.date()
    names = [n for n, _ in TYPE_WEIGHTS]
    weights = [w for _, w in TYPE_WEIGHTS]
    rows = []
    for serial in range(RECORDS):
        expires = today + dt.timedelta(days=rng.randint(-HISTORY_DAYS + 20, 120))
        rows.append(_row(rng, serial, rng.choices(names, weights)[0], expires))
    # renewals: history tickets for a renewal matter get a reminded record of the same subject
    from govhall.queueing.models import Ticket  # read-only: the demo's ticket history

    codes = dict(CertificateType.objects.values_list("renewal_matter_code", "name"))
    renewals = list(
        Ticket.objects.filter(matter_code__in=codes, issued_at__lt=now - dt.timedelta(days=2))
        .exclude(subject="")
        .order_by("issued_at")
        .values_list("subject", "matter_code", "issued_at")[:60]
    )
    for offset, (subject, code, issued) in enumerate(renewals):
        rows.append(_row(rng, RECORDS + offset, codes[code], issued.date() + dt.timedelta(days=20), subject))
    services.import_records("demo.csv", formats.write_csv(rows), now=now)
    with transaction.atomic():
        _history(rng, now, {(s, codes[c]): i for s, c, i in renewals})


def _history(rng: random.Random, now: dt.datetime, renewed: dict[tuple[str, str], dt.datetime]) -> None:
    """Reminders that went out before today: delivered, some failed, some opted out."""
    first_day = now - dt.timedelta(days=HISTORY_DAYS)
    existing = set(Reminder.objects.values_list("record_id", "expires_on", "step_days"))
    new: list[Reminder] = []
    opted: dict[str, CertificateRecord] = {}
    for record in CertificateRecord.objects.select_related("type"):
        ctype = record.type
        ticket_at = renewed.get((record.subject, ctype.name))
        for step in ctype.steps:
            due = schedule.due_moment(record.expires_on, int(step), ctype.quiet_end, ctype.timezone)
            due += dt.timedelta(minutes=rng.randint(0, 90))
            if ticket_at is not None:
                due = ticket_at - dt.timedelta(days=rng.randint(2, 12), minutes=rng.randint(0, 600))
            if not first_day <= due < now - dt.timedelta(hours=12):
                continue
            planned = Reminder.objects.filter(
                record=record, expires_on=record.expires_on, step_days=step, state=Reminder.State.PLANNED
            )
            if (record.pk, record.expires_on, step) in existing and not planned.exists():
                continue
            planned.delete()  # a late step the import planned: it went out back then
            outcome = (
                "delivered"
                if ticket_at
                else rng.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
            )
            row = Reminder(
                record=record,
                step_days=step,
                expires_on=record.expires_on,
                # one key per record, expiry and step (the reminder's own identity), so a demo
                # reload never collides with what an earlier load made
                key=f"rem-demo-{record.pk}-{record.expires_on:%Y%m%d}-{step}",
                due_at=due,
                next_attempt_at=due,
                created_at=due - dt.timedelta(days=1),
                state=outcome,
            )
            if outcome == "delivered":
                row.attempts, row.sent_at = 1, due
                row.delivered_at = due + dt.timedelta(seconds=rng.randint(2, 40))
                row.gateway_id = f"fake-{row.key}"
            elif outcome == "failed":
                row.attempts, row.closed_at, row.last_error = (
                    services.MAX_ATTEMPTS,
                    due + dt.timedelta(hours=5),
                    "HTTP 503: 号码停机",
                )
            else:
                row.closed_at = due
                row.last_error = "已退订"
                opted.setdefault(record.phone_hash, record)
            new.append(row)
            if ticket_at is not None:
                break  # one reminder before the renewal is enough
    Reminder.objects.bulk_create(new, batch_size=500)
    logs = []
    for row in Reminder.objects.filter(key__in=[r.key for r in new]):
        if row.state == Reminder.State.DELIVERED:
            assert row.sent_at and row.delivered_at
            logs.append(
                Delivery(
                    reminder=row,
                    attempt=1,
                    started_at=row.sent_at,
                    finished_at=row.delivered_at,
                    outcome=Delivery.Outcome.DELIVERED,
                    detail=row.gateway_id,
                )
            )
        elif row.state == Reminder.State.FAILED:
            for attempt in range(1, row.attempts + 1):
                at = row.due_at + services.backoff(attempt) * (attempt - 1)
                logs.append(
                    Delivery(
                        reminder=row,
                        attempt=attempt,
                        started_at=at,
                        finished_at=at,
                        outcome=Delivery.Outcome.ERROR,
                        detail=row.last_error,
                    )
                )
    Delivery.objects.bulk_create(logs, batch_size=500)
    for phone_hash, record in opted.items():
        closed = (
            Reminder.objects.filter(record__phone_hash=phone_hash, state=Reminder.State.OPTED_OUT)
            .order_by("closed_at")
            .first()
        )
        at = closed.closed_at if closed and closed.closed_at else now
        source = rng.choice([OptOut.Source.REPLY, OptOut.Source.REPLY, OptOut.Source.LINK])
        OptOut.objects.get_or_create(
            phone_hash=phone_hash,
            defaults={"phone_masked": record.phone_masked, "source": source, "record": record, "at": at},
        )
        Reminder.objects.filter(record__phone_hash=phone_hash, state=Reminder.State.PLANNED).update(
            state=Reminder.State.OPTED_OUT, closed_at=at, last_error="已退订"
        )
