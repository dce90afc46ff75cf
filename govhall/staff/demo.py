"""Demo data of 业务智管: invented staff with profiles, a month of attendance, leave, honours, assets,
a group and a message. Every name and number here is invented; phone and ID numbers are stored
only masked. Idempotent: people, assets and groups are upserted by natural keys, punches that
exist are skipped, and leave/honours are added only once.

Called by the demo loader: `govhall.staff.demo.load(rng, now)`.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction

from govhall import clock
from govhall.accounts.models import Membership, Role
from govhall.catalog.models import Department, Matter
from govhall.halls.models import Hall, Window, ZoneMatter
from govhall.staff import rules
from govhall.staff.models import (
    Asset,
    HallRules,
    Honour,
    LeaveRequest,
    Maintenance,
    Message,
    Punch,
    Receipt,
    StaffGroup,
    StaffProfile,
)

SURNAMES = "陈林黄周吴徐孙胡朱高何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段漕钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红梅鑫波斌宇浩凯晨瑶琳雪婷颖璐萱悦然欣怡佳"
CITY_STAFF = 12  # invented clerks at the city centre besides the demo users
TOWN_STAFF = 3
DAYS = 30


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _phone(rng: random.Random) -> str:
    return rules.mask_phone("1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9)))


def _id_number(rng: random.Random) -> str:
    birth = dt.date(1975, 1, 1) + dt.timedelta(days=rng.randrange(0, 9000))
    raw = (
        "3302"
        + f"{rng.randrange(10, 99)}"
        + birth.strftime("%Y%m%d")
        + f"{rng.randrange(0, 999):03d}"
        + rng.choice("0123456789X")
    )
    return rules.mask_id_number(raw)


def _user(username: str, hall: Hall, role: str) -> Any:
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model.objects.create_user(username=username)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        Membership.objects.update_or_create(user=user, defaults={"role": role, "hall": hall})
    return user


def _profile(
    rng: random.Random, user: Any, hall: Hall, number: str, name: str, window: Window | None, today: dt.date
) -> StaffProfile:
    existing = StaffProfile.objects.filter(user=user).first()
    if existing is not None:
        return existing
    level = rng.choice((0, 1, 1, 2, 2, 3))
    profile = StaffProfile.objects.create(
        user=user,
        hall=hall,
        employee_no=number,
        name=name,
        department=Department.objects.order_by("?").first(),
        phone_masked=_phone(rng),
        id_number_masked=_id_number(rng),
        skill_level=level,
        level_granted_on=today - dt.timedelta(days=rng.randrange(30, 900)) if level else None,
    )
    if window is not None:
        profile.windows.set([window])
        codes = list(
            ZoneMatter.objects.filter(hall=hall, zone__in=window.zones.all()).values_list(
                "matter_code", flat=True
            )[:6]
        )
        profile.matters.set(Matter.objects.filter(code__in=codes))
    return profile


def _people(
    rng: random.Random, hall: Hall, count: int, number: int, today: dt.date
) -> list[tuple[StaffProfile, str]]:
    """(profile, window code) of the hall's invented clerks; one window each, in order."""
    windows = list(Window.objects.filter(hall=hall).order_by("position", "code"))
    found = []
    for i in range(count):
        window = windows[i % len(windows)] if windows else None
        user = _user(f"{hall.code}-s{i + 1:02d}", hall, Role.STAFF)
        profile = _profile(rng, user, hall, f"G{number:02d}{i + 1:03d}", _name(rng), window, today)
        found.append((profile, window.code if window else ""))
    return found


def _punches(
    hall: Hall, people: list[tuple[StaffProfile, str]], days: list[dt.date], away: dict[int, set[dt.date]]
) -> list[Punch]:
    tz = ZoneInfo(hall.timezone)
    done = set(
        Punch.objects.filter(hall=hall, day__gte=days[0], day__lte=days[-1]).values_list("user_id", "day")
    )
    rows = []
    for profile, window_code in people:
        for day in days:
            span = rules.duty_span(hall.opening_hours, hall.closed_dates, day)
            if span is None or day in away.get(profile.user_id, set()) or (profile.user_id, day) in done:
                continue
            # one generator per person and day: a second load finds the same days absent
            r = random.Random(f"{hall.code}:{profile.employee_no}:{day}")
            roll = r.random()
            if roll < 0.02:
                continue  # absent
            start = dt.datetime.combine(day, span[0], tz)
            end = dt.datetime.combine(day, span[1], tz)
            came = start - dt.timedelta(minutes=r.randint(3, 25))
            if roll < 0.08:
                came = start + dt.timedelta(minutes=r.randint(7, 40))
            went = end + dt.timedelta(minutes=r.randint(0, 20))
            if 0.08 <= roll < 0.11:
                went = end - dt.timedelta(minutes=r.randint(10, 50))
            for kind, at in (("in", came), ("out", went)):
                rows.append(
                    Punch(
                        user_id=profile.user_id,
                        hall=hall,
                        kind=kind,
                        at=at.replace(second=r.randint(0, 59)).astimezone(dt.UTC),
                        day=day,
                        source="console" if kind == "in" else "device",
                        window_code=window_code if kind == "in" else "",
                    )
                )
    return rows


ASSETS = [
    ("kiosk", "自助取号机", 2),
    ("kiosk", "综合自助终端", 1),
    ("screen", "叫号显示屏", 1),
    ("camera", "大厅监控摄像头", 2),
]
REPAIRS = ["更换打印头", "主板故障送修", "系统重装", "触摸屏校准", "更换电源适配器", "例行巡检"]


def _assets(rng: random.Random, hall: Hall, people: list[tuple[StaffProfile, str]], today: dt.date) -> None:
    zones = list(hall.zones.all())
    windows = list(Window.objects.filter(hall=hall).order_by("position", "code")[: max(3, len(people))])
    owner = {code: p.user for p, code in people if code}
    specs: list[tuple[str, str, str, Any, Any, Any]] = []
    for kind, name, count in ASSETS:
        for i in range(count):
            specs.append(
                (
                    f"{kind.upper()}-{i + 1:02d}",
                    name,
                    kind,
                    zones[i % len(zones)] if zones else None,
                    None,
                    None,
                )
            )
    for w in windows:
        for kind, name in (
            ("counter", "窗口柜台"),
            ("pc", "窗口电脑"),
            ("printer", "票据打印机"),
            ("scanner", "高拍仪"),
        ):
            specs.append((f"{kind.upper()}-W{w.code}", f"{w.name}{name}", kind, None, w, owner.get(w.code)))
    for code, name, kind, zone, window, person in specs:
        state = rng.choices(["in_use", "faulty", "repair", "idle"], weights=[88, 4, 4, 4])[0]
        asset, created = Asset.objects.get_or_create(
            hall=hall,
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "zone": zone,
                "window": window,
                "responsible": person,
                "state": state,
                "acquired_on": today - dt.timedelta(days=rng.randrange(200, 2000)),
            },
        )
        if created and (state != "in_use" or rng.random() < 0.15):
            for j in range(rng.randint(1, 2)):
                Maintenance.objects.create(
                    asset=asset,
                    on=today - dt.timedelta(days=rng.randrange(1, 120) + 30 * j),
                    description=rng.choice(REPAIRS),
                    state_after=state if j == 0 else "in_use",
                    by=person,
                    created_at=clock.now(),
                )


def load(rng: random.Random, now: dt.datetime) -> None:
    halls = list(Hall.objects.order_by("level", "code"))
    if not halls:
        return
    user_model = get_user_model()
    with transaction.atomic():
        for number, hall in enumerate(halls, start=1):
            today = clock.service_day(now, hall.timezone)
            days = [today - dt.timedelta(days=i) for i in range(DAYS, 0, -1)]
            people = _people(
                rng, hall, CITY_STAFF if hall.level == Hall.Level.CITY else TOWN_STAFF, number, today
            )
            manager = None
            if hall.level == Hall.Level.CITY:
                # the demo logins: manager_wang and staff_li work here (created by the demo loader)
                wang = user_model.objects.filter(username="manager_wang").first()
                li = user_model.objects.filter(username="staff_li").first()
                if wang is not None:
                    manager = _profile(rng, wang, hall, "M001", "王建国", None, today)
                    people.append((manager, ""))
                if li is not None:
                    window = Window.objects.filter(hall=hall).order_by("position", "code").last()
                    li_profile = _profile(rng, li, hall, "S001", "李晓雯", window, today)
                    people.append((li_profile, window.code if window else ""))
            HallRules.objects.get_or_create(hall=hall)
            clerks = [p for p, _ in people if manager is None or p.pk != manager.pk]
            first_time = not LeaveRequest.objects.filter(hall=hall).exists()
            if first_time and len(clerks) >= 3:
                decider = manager.user if manager else None
                start = days[-8]
                approved = LeaveRequest.objects.create(
                    user=clerks[0].user,
                    hall=hall,
                    kind="annual",
                    start=start,
                    end=start + dt.timedelta(days=1),
                    reason="家中有事",
                    status="approved",
                    created_at=now - dt.timedelta(days=12),
                    decided_by=decider,
                    decided_at=now - dt.timedelta(days=11),
                    note="同意",
                )
                LeaveRequest.objects.create(
                    user=clerks[1].user,
                    hall=hall,
                    kind="sick",
                    start=days[-3],
                    end=days[-3],
                    reason="身体不适，需就医",
                    status="refused",
                    created_at=now - dt.timedelta(days=4),
                    decided_by=decider,
                    decided_at=now - dt.timedelta(days=4),
                    note="当日人手不足，请改期",
                )
                ahead = today + dt.timedelta(days=3)
                LeaveRequest.objects.create(
                    user=clerks[-1].user,
                    hall=hall,
                    kind="compensatory",
                    start=ahead,
                    end=ahead,
                    reason="周末加班调休",
                    created_at=now - dt.timedelta(hours=5),
                )
                del approved
            away: dict[int, set[dt.date]] = {}
            for user_id, start, end in LeaveRequest.objects.filter(hall=hall, status="approved").values_list(
                "user_id", "start", "end"
            ):
                away.setdefault(user_id, set()).update(
                    start + dt.timedelta(days=i) for i in range((end - start).days + 1)
                )
            Punch.objects.bulk_create(_punches(hall, people, days, away), ignore_conflicts=True)
            if not Honour.objects.filter(hall=hall).exists() and clerks:
                for profile in rng.sample(clerks, min(3, len(clerks))):
                    Honour.objects.create(
                        user=profile.user,
                        hall=hall,
                        on=days[rng.randrange(len(days))],
                        title=rng.choice(
                            ["群众来信表扬", "协助办理疑难件", "获评月度服务之星", "主动延时服务"]
                        ),
                        points=rng.choice((3, 5, 8)),
                        entered_by=manager.user if manager else None,
                    )
            _assets(rng, hall, people, today)
            if clerks and not StaffGroup.objects.filter(hall=hall).exists():
                group = StaffGroup.objects.create(hall=hall, name="综合窗口组")
                group.members.set([p.user for p in clerks])
                if manager is not None:
                    message = Message.objects.create(
                        hall=hall,
                        sender=manager.user,
                        group=group,
                        subject="本周五业务培训",
                        body="周五 16:30 在三楼会议室开展新版事项指南培训，请综合窗口人员准时参加。",
                        sent_at=now - dt.timedelta(days=1),
                    )
                    Receipt.objects.bulk_create(
                        Receipt(message=message, recipient=p.user, read_at=now if i % 2 else None)
                        for i, p in enumerate(clerks)
                    )
