"""Verbs of 好差评: rate, re-rate, open and work a 差评 case, appeal, default ratings, escalate.

Every change runs in one durable transaction. Errors are the queue's (`NotFound` 404,
`Conflict` 409, `Unprocessable` 422, `Forbidden` 403), so the API and the pages map them alike.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q

from govhall import clock
from govhall.accounts.models import RANK, Role
from govhall.accounts.services import role_of
from govhall.halls.models import Hall
from govhall.queueing.errors import Conflict, Forbidden, NotFound, Unprocessable
from govhall.queueing.models import Status, Ticket, TicketEvent
from govhall.ratings.models import (
    BAD_LEVELS,
    TAGS,
    Appeal,
    Case,
    Channel,
    CloseReason,
    Finding,
    HallSettings,
    Level,
    Notice,
    Overdue,
    Rating,
    Step,
)
from govhall.ratings.workdays import Calendar

log = logging.getLogger(__name__)

CALLBACK_WORKING_DAYS = 1
RECTIFY_WORKING_DAYS = 15
RATE_LINK_MAX_AGE = dt.timedelta(days=7)
RERATE_LINK_MAX_AGE = dt.timedelta(days=30)
MAX_COMMENT = 500
MAX_EVIDENCE_BYTES = 2 * 1024 * 1024
PAD_RECENT = dt.timedelta(minutes=10)
CASE_KIND = "rating_case"  # what a monitor Recipient lists in `kinds` to hear of overdue cases
TOKEN_SALT = "govhall.ratings.link"

User = AbstractBaseUser | AnonymousUser


# --- who served, the hall's calendar ------------------------------------------


def served_by(ticket: Ticket) -> Any:
    """The user who finished the ticket (else the last one who acted on it at a window)."""
    events = TicketEvent.objects.filter(ticket=ticket, actor__isnull=False).select_related("actor")
    finish = events.filter(action="finish").order_by("-at", "-id").first()
    if finish is not None:
        return finish.actor
    last = events.exclude(action="issue").order_by("-at", "-id").first()
    return last.actor if last else None


def settings_of(hall: Hall) -> HallSettings:
    found = HallSettings.objects.filter(hall=hall).first()
    return found or HallSettings(hall=hall)


def calendar_of(hall: Hall) -> Calendar:
    return Calendar(hall.closed_dates or [], settings_of(hall).workdays or [])


def deadlines(hall: Hall, opened_at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(call-back due, rectification due) for a case opened at `opened_at`, as aware UTC."""
    cal = calendar_of(hall)
    local = clock.local(opened_at, hall.timezone)
    return (
        cal.deadline(local, CALLBACK_WORKING_DAYS).astimezone(clock.UTC),
        cal.deadline(local, RECTIFY_WORKING_DAYS).astimezone(clock.UTC),
    )


# --- signed links (SMS) ---------------------------------------------------------


def link_token(ticket_id: str, purpose: str = "rate") -> str:
    """A signed, unguessable token for /r/{token}: the ticket and what the link is for."""
    return signing.dumps({"t": ticket_id, "p": purpose}, salt=TOKEN_SALT, compress=True)


def read_token(token: str) -> tuple[str, str]:
    """(ticket id, purpose); NotFound for a forged token, Conflict for an expired one."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=RERATE_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise Conflict("这个评价链接已过期")
    except signing.BadSignature:
        raise NotFound("评价链接无效")
    purpose = str(data.get("p", ""))
    ticket_id = str(data.get("t", ""))
    if purpose == "rate":
        try:
            signing.loads(token, salt=TOKEN_SALT, max_age=RATE_LINK_MAX_AGE)
        except signing.SignatureExpired:
            raise Conflict("这个评价链接已过期")
    if purpose not in ("rate", "rerate") or not ticket_id:
        raise NotFound("评价链接无效")
    return ticket_id, purpose


# --- rating -------------------------------------------------------------------------


def _clean(level: Any, comment: str, tags: list[str] | None) -> tuple[int, str, list[str]]:
    try:
        value = int(level)
    except (TypeError, ValueError):
        raise Unprocessable(f"评价等级无效: {level!r}（1=非常不满意 … 5=非常满意）")
    if value not in Level.values:
        raise Unprocessable(f"评价等级无效: {level!r}（1=非常不满意 … 5=非常满意）")
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT:
        raise Unprocessable(f"意见最多 {MAX_COMMENT} 字")
    chosen: list[str] = []
    for tag in tags or []:
        if tag not in TAGS:
            raise Unprocessable(f"未知标签 {tag!r}，可选: {', '.join(TAGS)}")
        if tag not in chosen:
            chosen.append(tag)
    return value, text, chosen


def rate(
    ticket_id: str,
    level: Any,
    comment: str = "",
    tags: list[str] | None = None,
    *,
    channel: str = Channel.PHONE,
) -> Rating:
    """Rate a served ticket once. A second rating, concurrent or not, is a Conflict (409)."""
    value, text, chosen = _clean(level, comment, tags)
    if channel not in Channel.values or channel == Channel.AUTO:
        raise Unprocessable(f"unknown channel {channel!r}")
    ticket = Ticket.objects.select_related("hall", "zone", "window").filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(f"no ticket {ticket_id!r}")
    if ticket.status != Status.SERVED:
        raise Conflict(f"票号 {ticket.number} 尚未办结，办结后才能评价")
    if Rating.objects.filter(ticket_id=ticket.pk).exists():
        raise Conflict(f"票号 {ticket.number} 已经评价过了")
    now = clock.now()
    staff = served_by(ticket)
    try:
        with transaction.atomic(durable=True):
            rating = Rating.objects.create(
                ticket=ticket,
                hall=ticket.hall,
                zone=ticket.zone,
                window=ticket.window,
                window_code=ticket.window_code,
                staff=staff,
                matter_code=ticket.matter_code,
                ticket_number=ticket.number,
                service_day=ticket.service_day,
                level=value,
                comment=text,
                tags=chosen,
                channel=channel,
                rated_at=now,
            )
            if value in BAD_LEVELS:
                open_case(rating, now)
    except IntegrityError:
        # the unique ticket: a concurrent submit won
        if Rating.objects.filter(ticket_id=ticket.pk).exists():
            raise Conflict(f"票号 {ticket.number} 已经评价过了")
        raise
    return rating


def open_case(rating: Rating, now: dt.datetime) -> Case:
    callback_due, rectify_due = deadlines(rating.hall, now)
    return Case.objects.create(
        rating=rating,
        hall=rating.hall,
        staff=rating.staff,
        opened_at=now,
        callback_due=callback_due,
        rectify_due=rectify_due,
    )


def rerate(ticket_id: str, level: Any, comment: str = "") -> Rating:
    """The one follow-up rating, once the case was rectified and the citizen invited; closes the case."""
    value, text, _ = _clean(level, comment, [])
    now = clock.now()
    with transaction.atomic(durable=True):
        rating = Rating.objects.select_related("hall").filter(ticket_id=ticket_id).first()
        if rating is None:
            raise NotFound(f"no rating of ticket {ticket_id!r}")
        case = Case.objects.filter(rating=rating).first()
        if case is None or case.step != Step.RERATE:
            raise Conflict("整改完成并邀请后才能再次评价")
        if case.rerate_due and now > case.rerate_due:
            raise Conflict("再评价邀请已过期")
        done = Rating.objects.filter(pk=rating.pk, re_level__isnull=True).update(
            re_level=value, re_comment=text, re_rated_at=now
        )
        if not done:
            raise Conflict("已经再次评价过了")
        Case.objects.filter(pk=case.pk, step=Step.RERATE).update(
            step=Step.CLOSED, closed_at=now, close_reason=CloseReason.RERATED
        )
        rating.refresh_from_db()
    return rating


def panel_state(ticket_id: str, status: str) -> dict[str, Any]:
    """What the rating panel of a ticket shows: `form`, `rerate`, `done` or nothing (``)."""
    if status != Status.SERVED:
        return {"mode": ""}
    rating = Rating.objects.filter(ticket_id=ticket_id).select_related("case").first()
    if rating is None:
        return {"mode": "form"}
    case = getattr(rating, "case", None)
    if case is not None and case.step == Step.RERATE and rating.re_level is None:
        return {"mode": "rerate", "rating": rating, "case": case}
    return {"mode": "done", "rating": rating, "case": case}


def pad_ticket(hall: Hall, window_code: str, now: dt.datetime | None = None) -> Ticket | None:
    """The ticket a window's rating pad offers: the last one finished there in the last minutes, if unrated."""
    now = now or clock.now()
    last = (
        Ticket.objects.filter(
            hall=hall, window_code=window_code, status=Status.SERVED, finished_at__gte=now - PAD_RECENT
        )
        .order_by("-finished_at")
        .first()
    )
    if last is None or Rating.objects.filter(ticket_id=last.pk).exists():
        return None
    return last


# --- access ---------------------------------------------------------------------------


def _rank(user: User) -> tuple[int, int | None]:
    role, hall_id = role_of(user)
    return (RANK[Role(role)] if role else 0), hall_id


def can_see(user: User, rating: Rating) -> bool:
    rank, hall_id = _rank(user)
    if rank >= RANK[Role.ADMIN] or (rank >= RANK[Role.MANAGER] and hall_id in (None, rating.hall_id)):
        return True
    return rank >= RANK[Role.STAFF] and rating.staff_id is not None and rating.staff_id == user.pk


def _manager(user: User, case: Case) -> None:
    rank, hall_id = _rank(user)
    if rank >= RANK[Role.ADMIN]:
        return
    if rank >= RANK[Role.MANAGER] and hall_id in (None, case.hall_id):
        return
    raise Forbidden(f"处理差评工单需要本大厅负责人权限 (hall {case.hall.code})")


# --- case steps -------------------------------------------------------------------


def _locked(case_id: int) -> Case:
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("hall", "rating")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound(f"no case {case_id}")
    return case


def _need(case: Case, step: str, verb: str) -> None:
    if case.step != step:
        raise Conflict(f"工单当前环节为「{case.get_step_display()}」，不能{verb}")


def _note(note: str, what: str) -> str:
    text = (note or "").strip()
    if not text:
        raise Unprocessable(f"请填写{what}")
    if len(text) > 1000:
        raise Unprocessable(f"{what}最多 1000 字")
    return text


def verify(case_id: int, user: User, finding: str, note: str) -> Case:
    """核实: what happened, and whether the complaint holds."""
    if finding not in Finding.values:
        raise Unprocessable(f"核实结果无效: {finding!r}（可选 {', '.join(Finding.values)}）")
    text = _note(note, "核实情况")
    with transaction.atomic(durable=True):
        case = _locked(case_id)
        _manager(user, case)
        _need(case, Step.VERIFY, "核实")
        case.verified_at, case.finding, case.verify_note, case.step = (
            clock.now(),
            finding,
            text,
            Step.CALLBACK,
        )
        case.save(update_fields=["verified_at", "finding", "verify_note", "step"])
    return case


def call_back(case_id: int, user: User, note: str) -> Case:
    """回访: the citizen was called and heard (due within one working day)."""
    text = _note(note, "回访情况")
    with transaction.atomic(durable=True):
        case = _locked(case_id)
        _manager(user, case)
        _need(case, Step.CALLBACK, "回访")
        case.called_back_at, case.callback_note, case.step = clock.now(), text, Step.RECTIFY
        case.save(update_fields=["called_back_at", "callback_note", "step"])
    return case


def rectify(case_id: int, user: User, note: str) -> Case:
    """整改: what was changed; the citizen is invited to rate again (the re-rating link)."""
    text = _note(note, "整改措施")
    with transaction.atomic(durable=True):
        case = _locked(case_id)
        _manager(user, case)
        _need(case, Step.RECTIFY, "整改")
        now = clock.now()
        days = settings_of(case.hall).rerate_days or 5
        due = (
            calendar_of(case.hall).deadline(clock.local(now, case.hall.timezone), days).astimezone(clock.UTC)
        )
        case.rectified_at, case.rectify_note, case.rerate_due, case.step = now, text, due, Step.RERATE
        case.save(update_fields=["rectified_at", "rectify_note", "rerate_due", "step"])
    return case


def file_appeal(
    case_id: int,
    user: User,
    text: str,
    *,
    file_name: str = "",
    content_type: str = "",
    data: bytes | None = None,
) -> Case:
    """申诉: the rated staff member (or a manager for them) contests the 差评, with evidence."""
    reason = _note(text, "申诉理由")
    if data is not None and len(data) > MAX_EVIDENCE_BYTES:
        raise Unprocessable("证据文件最大 2 MB")
    with transaction.atomic(durable=True):
        case = _locked(case_id)
        rank, hall_id = _rank(user)
        own = case.staff_id is not None and case.staff_id == user.pk and rank >= RANK[Role.STAFF]
        manager = rank >= RANK[Role.ADMIN] or (rank >= RANK[Role.MANAGER] and hall_id in (None, case.hall_id))
        if not (own or manager):
            raise Forbidden("只有被评价的工作人员或大厅负责人可以申诉")
        if case.step == Step.CLOSED:
            raise Conflict("工单已办结，不能申诉")
        if case.appeal:
            raise Conflict("每个工单只能申诉一次")
        case.appeal, case.appeal_text, case.appealed_at = Appeal.PENDING, reason, clock.now()
        case.appealed_by = user if getattr(user, "pk", None) else None  # type: ignore[assignment]
        fields = ["appeal", "appeal_text", "appealed_at", "appealed_by"]
        if data:
            case.evidence, case.evidence_name, case.evidence_type = data, file_name[:200], content_type[:100]
            fields += ["evidence", "evidence_name", "evidence_type"]
        case.save(update_fields=fields)
    return case


def decide_appeal(case_id: int, user: User, upheld: bool, note: str) -> Case:
    """The reviewer's decision: upheld → the rating leaves the figures and the case closes;
    rejected → the case goes on where it was."""
    text = _note(note, "审核意见")
    with transaction.atomic(durable=True):
        case = _locked(case_id)
        _manager(user, case)
        if case.appeal != Appeal.PENDING:
            raise Conflict("没有待审核的申诉")
        if case.appealed_by_id is not None and case.appealed_by_id == user.pk:
            raise Forbidden("申诉人不能审核自己的申诉")
        now = clock.now()
        case.appeal = Appeal.UPHELD if upheld else Appeal.REJECTED
        case.decided_at, case.decision_note = now, text
        case.decided_by = user if getattr(user, "pk", None) else None  # type: ignore[assignment]
        fields = ["appeal", "decided_at", "decided_by", "decision_note"]
        if upheld:
            case.step, case.closed_at, case.close_reason = Step.CLOSED, now, CloseReason.APPEAL_UPHELD
            fields += ["step", "closed_at", "close_reason"]
            Rating.objects.filter(pk=case.rating_id).update(excluded=True)
        case.save(update_fields=fields)
    return case


# --- periodic work: default ratings, overdue steps, expiry, delivery ----------------------

DEFAULT_HORIZON = dt.timedelta(days=60)  # older unrated tickets are left alone


def apply_defaults(now: dt.datetime) -> int:
    """Rate 基本满意 the served tickets still unrated N days after service, in halls that chose N."""
    made = 0
    for conf in HallSettings.objects.filter(default_after_days__isnull=False).select_related("hall"):
        days = int(conf.default_after_days or 0)
        cutoff = now - dt.timedelta(days=days)
        tickets = list(
            Ticket.objects.filter(
                hall=conf.hall,
                status=Status.SERVED,
                finished_at__lte=cutoff,
                finished_at__gte=cutoff - DEFAULT_HORIZON,
            )
            .exclude(Exists(Rating.objects.filter(ticket_id=OuterRef("pk"))))
            .values("id", "zone_id", "window_id", "window_code", "matter_code", "number", "service_day")[
                :5000
            ]
        )
        if not tickets:
            continue
        finishers = dict(
            TicketEvent.objects.filter(ticket_id__in=[t["id"] for t in tickets], action="finish")
            .exclude(actor__isnull=True)
            .values_list("ticket_id", "actor_id")
        )
        rows = [
            Rating(
                ticket_id=t["id"],
                hall_id=conf.hall_id,
                zone_id=t["zone_id"],
                window_id=t["window_id"],
                window_code=t["window_code"],
                staff_id=finishers.get(t["id"]),
                matter_code=t["matter_code"],
                ticket_number=t["number"],
                service_day=t["service_day"],
                level=Level.FAIR,
                channel=Channel.AUTO,
                rated_at=now,
            )
            for t in tickets
        ]
        with transaction.atomic(durable=True):
            made += len(Rating.objects.bulk_create(rows, ignore_conflicts=True))
    return made


def _recipients(case: Case) -> list[Any]:
    from govhall.monitor.models import Recipient

    found = Recipient.objects.filter(hall_id=case.hall_id, level=0, active=True).filter(
        Q(zone__isnull=True) | Q(zone_id=case.rating.zone_id)
    )
    return [r for r in found if r.wants(CASE_KIND)]


def notice_text(case: Case, step: str, due: dt.datetime) -> str:
    names: dict[str, str] = {Step.CALLBACK: "回访", Step.RECTIFY: "整改"}
    what = names.get(step, step)
    rating = case.rating
    return (
        f"【差评工单超期】{case.hall.name} 工单{case.pk} 票号{rating.ticket_number} "
        f"{rating.get_level_display()} 未按时{what}（时限 {clock.iso(due, case.hall.timezone)}）"
    )


def _raise_overdue(case: Case, step: str, due: dt.datetime, now: dt.datetime) -> int:
    with transaction.atomic(durable=True):
        _, created = Overdue.objects.get_or_create(
            case=case, step=step, defaults={"due": due, "noticed_at": now}
        )
        if not created:
            return 0
        text = notice_text(case, step, due)
        payload = {
            "event": "rating.case_overdue",
            "text": text,
            "case": {
                "id": case.pk,
                "hall": case.hall.code,
                "step": step,
                "due": clock.iso(due, case.hall.timezone),
                "ticket": case.rating.ticket_number,
                "level": case.rating.level,
            },
        }
        rows = [
            Notice(
                key=f"govhall-case-{case.pk}-{step}-r{r.pk}",
                case=case,
                step=step,
                recipient=r,
                payload=payload,
                next_attempt_at=now,
                created_at=now,
            )
            for r in _recipients(case)
        ]
        Notice.objects.bulk_create(rows, ignore_conflicts=True)
        log.info("%s", text)
    return 1


def escalate_overdue(now: dt.datetime) -> int:
    """Record each step past its deadline once and queue its notices; close expired invitations."""
    raised = 0
    open_cases = Case.objects.exclude(step=Step.CLOSED).select_related("hall", "rating")
    for case in open_cases.filter(step__in=[Step.VERIFY, Step.CALLBACK], callback_due__lt=now).exclude(
        Exists(Overdue.objects.filter(case=OuterRef("pk"), step=Step.CALLBACK))
    ):
        raised += _raise_overdue(case, Step.CALLBACK, case.callback_due, now)
    for case in open_cases.filter(
        step__in=[Step.VERIFY, Step.CALLBACK, Step.RECTIFY], rectify_due__lt=now
    ).exclude(Exists(Overdue.objects.filter(case=OuterRef("pk"), step=Step.RECTIFY))):
        raised += _raise_overdue(case, Step.RECTIFY, case.rectify_due, now)
    Case.objects.filter(step=Step.RERATE, rerate_due__lt=now).update(
        step=Step.CLOSED, closed_at=now, close_reason=CloseReason.NO_RERATING
    )
    return raised


def _free(now: dt.datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def deliver_notices(now: dt.datetime, *, limit: int = 50, budget_seconds: float = 10.0) -> int:
    """Send due notices through the monitor's notifiers and its leased outbox (claim by
    compare-and-swap on `attempts`, backoff, attempt limit); any notifier failure is retried."""
    from govhall.monitor.outbox import LEASE, deliver_rows

    return deliver_rows(
        Notice,
        now,
        target=lambda row: (row.recipient, row.payload),
        retry_on=(Exception,),  # DeliveryError, or a notifier that can't render this payload
        hold=LEASE,
        related=("recipient",),
        limit=limit,
        budget_seconds=budget_seconds,
    )


def update_settings(
    hall: Hall, user: User, default_after_days: str, workdays: str, rerate_days: str
) -> HallSettings:
    """A manager sets the hall's rules; bad input is refused whole (nothing changes)."""
    rank, hall_id = _rank(user)
    if not (rank >= RANK[Role.ADMIN] or (rank >= RANK[Role.MANAGER] and hall_id in (None, hall.pk))):
        raise Forbidden(f"设置需要本大厅负责人权限 (hall {hall.code})")
    days: int | None = None
    if default_after_days.strip():
        if not default_after_days.strip().isdigit() or not 1 <= int(default_after_days) <= 60:
            raise Unprocessable("默认好评天数须为 1–60 的整数，留空表示不默认评价")
        days = int(default_after_days)
    dates = []
    for part in workdays.replace("，", ",").replace("\n", ",").split(","):
        if not part.strip():
            continue
        try:
            dates.append(dt.date.fromisoformat(part.strip()).isoformat())
        except ValueError:
            raise Unprocessable(f"调休上班日 {part.strip()!r} 不是 YYYY-MM-DD 日期")
    if not rerate_days.strip().isdigit() or not 1 <= int(rerate_days) <= 30:
        raise Unprocessable("再评价邀请有效期须为 1–30 个工作日")
    with transaction.atomic(durable=True):
        conf, _ = HallSettings.objects.update_or_create(
            hall=hall,
            defaults={
                "default_after_days": days,
                "workdays": sorted(set(dates)),
                "rerate_days": int(rerate_days),
            },
        )
    return conf
