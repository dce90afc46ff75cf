"""Organisation, messages, assets, honours and the hall's rules: the verbs that change them,
and who may see whom."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from govhall import clock
from govhall.accounts.models import Role
from govhall.accounts.services import can_act, role_of
from govhall.catalog.models import Department, Matter
from govhall.halls.models import Hall, Window, Zone
from govhall.staff import rules, scoring
from govhall.staff.errors import Conflict, Forbidden, Invalid, NotFound
from govhall.staff.models import (
    Asset,
    HallRules,
    Honour,
    Maintenance,
    Message,
    Receipt,
    SkillLevel,
    StaffGroup,
    StaffProfile,
)

# --- who may see whom --------------------------------------------------------------------------


def visible_profiles(user: Any) -> QuerySet[StaffProfile]:
    """Staff see their own profile, managers their hall's, city administrators every hall's."""
    role, hall_id = role_of(user)
    found = StaffProfile.objects.select_related("user", "hall", "department")
    if role is None:
        return found.none()
    if role == Role.STAFF:
        return found.filter(user_id=user.pk)
    if role == Role.ADMIN or hall_id is None:
        return found
    return found.filter(hall_id=hall_id)


def may_see(viewer: Any, profile: StaffProfile) -> bool:
    if viewer.pk == profile.user_id:
        return True
    return can_act(viewer, profile.hall, Role.MANAGER)


def require_manager(actor: Any, hall: Hall) -> None:
    if not can_act(actor, hall, Role.MANAGER):
        raise Forbidden(f"只有{hall.name}的负责人或市级管理员可以操作")


def hall_by_code(code: str) -> Hall:
    hall = Hall.objects.filter(code=code).first()
    if hall is None:
        raise NotFound(f"没有大厅 {code!r}")
    return hall


def profile_of(username: str) -> StaffProfile:
    profile = (
        StaffProfile.objects.select_related("user", "hall", "department")
        .filter(user__username=username)
        .first()
    )
    if profile is None:
        raise NotFound(f"没有人员 {username!r} 的档案")
    return profile


# --- profiles --------------------------------------------------------------------------------


def save_profile(
    actor: Any,
    hall: Hall,
    username: str,
    *,
    employee_no: str,
    name: str,
    department: str = "",
    phone: str = "",
    id_number: str = "",
    skill_level: int = 0,
    level_granted_on: dt.date | None = None,
    windows: Iterable[str] = (),
    matters: Iterable[str] = (),
    active: bool = True,
) -> StaffProfile:
    """Create or update a user's profile; phone and ID numbers are masked before they are stored."""
    require_manager(actor, hall)
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"没有用户 {username!r}")
    if not employee_no.strip() or not name.strip():
        raise Invalid("工号和姓名不能为空")
    if skill_level not in SkillLevel.values:
        raise Invalid("综窗等级须为 0（未定级）到 3（高级）")
    if skill_level and level_granted_on is None:
        raise Invalid("定了综窗等级就要填写定级日期")
    if level_granted_on and level_granted_on > clock.service_day(clock.now(), hall.timezone):
        raise Invalid("定级日期不能在将来")
    existing = StaffProfile.objects.filter(user=user).first()
    if (
        existing is not None
        and existing.hall_id != hall.pk
        and not can_act(actor, existing.hall, Role.MANAGER)
    ):
        raise Forbidden("该人员属于其他大厅")
    window_codes = [w for w in windows if w]
    found_windows = list(Window.objects.filter(hall=hall, code__in=window_codes))
    if len(found_windows) != len(set(window_codes)):
        unknown = set(window_codes) - {w.code for w in found_windows}
        raise Invalid(f"本大厅没有窗口：{', '.join(sorted(unknown))}")
    matter_codes = [m for m in matters if m]
    found_matters = list(Matter.objects.filter(code__in=matter_codes))
    if len(found_matters) != len(set(matter_codes)):
        unknown = set(matter_codes) - {m.code for m in found_matters}
        raise Invalid(f"事项目录中没有：{', '.join(sorted(unknown))}")
    dept = None
    if department.strip():
        dept = Department.objects.filter(name=department.strip()).first()
        if dept is None:
            raise Invalid(f"没有部门 {department!r}")
    fields = {
        "hall": hall,
        "employee_no": employee_no.strip(),
        "name": name.strip(),
        "department": dept,
        "skill_level": skill_level,
        "level_granted_on": level_granted_on if skill_level else None,
        "active": active,
    }
    if phone:
        fields["phone_masked"] = phone if rules.is_masked(phone) else rules.mask_phone(phone)
    if id_number:
        fields["id_number_masked"] = (
            id_number if rules.is_masked(id_number) else rules.mask_id_number(id_number)
        )
    try:
        with transaction.atomic():
            profile, _ = StaffProfile.objects.update_or_create(user=user, defaults=fields)
            profile.windows.set(found_windows)
            profile.matters.set(found_matters)
    except IntegrityError:
        raise Conflict(f"工号 {employee_no} 在本大厅已被使用")
    return profile


# --- groups and messages ----------------------------------------------------------------------


def save_group(actor: Any, hall: Hall, name: str, usernames: Iterable[str]) -> StaffGroup:
    require_manager(actor, hall)
    if not name.strip():
        raise Invalid("组名不能为空")
    names = {u for u in usernames if u}
    members = list(get_user_model().objects.filter(username__in=names, staff_profile__hall=hall))
    if len(members) != len(names):
        unknown = names - {m.get_username() for m in members}
        raise Invalid(f"不是本大厅人员：{', '.join(sorted(unknown))}")
    with transaction.atomic():
        group, _ = StaffGroup.objects.get_or_create(hall=hall, name=name.strip())
        group.members.set(members)
    return group


def send_message(
    sender: Any,
    hall: Hall,
    subject: str,
    body: str = "",
    *,
    users: Iterable[Any] = (),
    group: StaffGroup | None = None,
) -> Message:
    """A message to people and/or a group of the hall; one receipt per recipient."""
    if not can_act(sender, hall, Role.STAFF):
        raise Forbidden("无权向该大厅人员发送消息")
    if not subject.strip():
        raise Invalid("标题不能为空")
    if group is not None and group.hall_id != hall.pk:
        raise Invalid("分组不属于该大厅")
    recipients = {u.pk: u for u in users}
    if group is not None:
        recipients.update({u.pk: u for u in group.members.all()})
    if not recipients:
        raise Invalid("请选择收件人或分组")
    with transaction.atomic():
        message = Message.objects.create(
            hall=hall,
            sender=sender,
            group=group,
            subject=subject.strip()[:200],
            body=body,
            sent_at=clock.now(),
        )
        Receipt.objects.bulk_create(Receipt(message=message, recipient_id=pk) for pk in recipients)
    return message


def inbox(user: Any, *, limit: int = 50) -> list[Receipt]:
    return list(
        Receipt.objects.filter(recipient=user)
        .select_related("message", "message__sender", "message__group")
        .order_by("-message__sent_at", "-id")[:limit]
    )


def unread_count(user: Any) -> int:
    return Receipt.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(user: Any, message_id: int) -> Receipt:
    receipt = Receipt.objects.filter(recipient=user, message_id=message_id).select_related("message").first()
    if receipt is None:
        raise NotFound("没有这条消息")
    if receipt.read_at is None:
        Receipt.objects.filter(pk=receipt.pk, read_at__isnull=True).update(read_at=clock.now())
        receipt.refresh_from_db()
    return receipt


def sent_messages(user: Any, *, limit: int = 30) -> list[dict[str, Any]]:
    """What the user sent, with read receipts (who has read it, who not)."""
    result = []
    for message in Message.objects.filter(sender=user).prefetch_related("receipts")[:limit]:
        receipts = list(message.receipts.all())
        result.append(
            {
                "message": message,
                "read": sum(1 for r in receipts if r.read_at),
                "total": len(receipts),
            }
        )
    return result


# --- assets -----------------------------------------------------------------------------------


def save_asset(
    actor: Any,
    hall: Hall,
    *,
    code: str,
    name: str,
    kind: str,
    zone: str = "",
    window: str = "",
    location: str = "",
    responsible: str = "",
    state: str = Asset.State.IN_USE,
    acquired_on: dt.date | None = None,
) -> Asset:
    require_manager(actor, hall)
    if not code.strip() or not name.strip():
        raise Invalid("资产编号和名称不能为空")
    if kind not in Asset.Kind.values:
        raise Invalid(f"未知的设备类型 {kind!r}")
    if state not in Asset.State.values:
        raise Invalid(f"未知的状态 {state!r}")
    zone_obj = Zone.objects.filter(hall=hall, code=zone).first() if zone else None
    if zone and zone_obj is None:
        raise Invalid(f"本大厅没有功能区 {zone!r}")
    window_obj = Window.objects.filter(hall=hall, code=window).first() if window else None
    if window and window_obj is None:
        raise Invalid(f"本大厅没有窗口 {window!r}")
    person = None
    if responsible:
        person = get_user_model().objects.filter(username=responsible, staff_profile__hall=hall).first()
        if person is None:
            raise Invalid(f"责任人 {responsible!r} 不是本大厅人员")
    asset, _ = Asset.objects.update_or_create(
        hall=hall,
        code=code.strip(),
        defaults={
            "name": name.strip(),
            "kind": kind,
            "zone": zone_obj,
            "window": window_obj,
            "location": location.strip(),
            "responsible": person,
            "state": state,
            "acquired_on": acquired_on,
        },
    )
    return asset


def add_maintenance(
    actor: Any, asset: Asset, *, on: dt.date, description: str, state_after: str
) -> Maintenance:
    """A maintenance entry; the asset takes the state it was left in."""
    require_manager(actor, asset.hall)
    if not description.strip():
        raise Invalid("请填写维护内容")
    if state_after not in Asset.State.values:
        raise Invalid(f"未知的状态 {state_after!r}")
    if on > clock.service_day(clock.now(), asset.hall.timezone):
        raise Invalid("维护日期不能在将来")
    with transaction.atomic():
        entry = Maintenance.objects.create(
            asset=asset,
            on=on,
            description=description.strip()[:300],
            state_after=state_after,
            by=actor,
            created_at=clock.now(),
        )
        Asset.objects.filter(pk=asset.pk).update(state=state_after)
    asset.refresh_from_db()
    return entry


# --- honours and rules ------------------------------------------------------------------------


def add_honour(actor: Any, profile: StaffProfile, *, on: dt.date, title: str, points: int) -> Honour:
    require_manager(actor, profile.hall)
    if profile.user_id == actor.pk:
        raise Forbidden("不能给自己登记荣誉")
    if not title.strip():
        raise Invalid("请填写表彰事由")
    if not -20 <= points <= 20:
        raise Invalid("分值须在 -20 到 20 之间")
    return Honour.objects.create(
        user=profile.user,
        hall=profile.hall,
        on=on,
        title=title.strip()[:200],
        points=points,
        entered_by=actor,
    )


def set_rules(
    actor: Any, hall: Hall, *, weights: dict[str, int], late_grace: int, early_grace: int
) -> HallRules:
    require_manager(actor, hall)
    try:
        scoring.check_weights(weights)
    except scoring.WeightError as exc:
        raise Invalid(str(exc))
    weights = {k: weights.get(k, 0) for k in scoring.COMPONENTS}
    for label, value in (("迟到宽限", late_grace), ("早退宽限", early_grace)):
        if not 0 <= value <= 120:
            raise Invalid(f"{label}须在 0–120 分钟之间")
    found, _ = HallRules.objects.update_or_create(
        hall=hall,
        defaults={
            "late_grace_minutes": late_grace,
            "early_grace_minutes": early_grace,
            "w_attendance": weights["attendance"],
            "w_honours": weights["honours"],
            "w_ratings": weights["ratings"],
            "w_volume": weights["volume"],
            "w_speed": weights["speed"],
            "updated_at": clock.now(),
        },
    )
    return found
