"""HTTP API of reminders (mounted under /api/v1/reminders by govhall.api).

Managers with city scope (token or session) import records, preview the next batch, send and read
the log and figures. The SMS gateway calls two webhooks: `gateway/reply` (a holder's reply, TD or
退订 opts out) and `gateway/report` (a delivery receipt); they are signed with the gateway secret
(`X-Govhall-Signature: sha256=HMAC(secret, timestamp.body)`), or, with no secret configured, taken
from loopback only. Every answer is masked; clear numbers never leave the server.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import asdict
from typing import Any, Literal

from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from govhall.accounts.auth import staff_auth
from govhall.accounts.models import RANK, Role
from govhall.accounts.services import role_of
from govhall.apischema import ERRORS, Detail
from govhall.importing import ImportFailed
from govhall.monitor.notifiers import sign
from govhall.queueing.errors import Forbidden, NotFound, QueueError
from govhall.reminders import queries, services, sms

router = Router(tags=["reminders"])
LOOPBACK = {"127.0.0.1", "::1"}
MAX_SKEW_SECONDS = 300


class ReminderOut(Schema):
    id: int
    key: str
    holder: str
    type: str
    number: str
    phone: str
    expires_on: str
    step_days: int
    due_at: str
    state: str
    state_label: str
    attempts: int
    online: bool
    note: str
    last_error: str
    text: str


class BatchOut(Schema):
    due: int
    next_7_days: int
    planned: int
    rows: list[ReminderOut]


class SendOut(Schema):
    sent: int
    delivered: int
    failed: int
    deferred: int
    opted_out: int
    cancelled: int
    skipped: int
    errors: list[str]


class DeliveryOut(Schema):
    at: str
    finished_at: str
    key: str
    attempt: int
    outcome: str
    outcome_label: str
    detail: str
    holder: str
    type: str
    number: str
    phone: str
    step_days: int
    reminder_state: str


class MonthOut(Schema):
    month: str
    type: str
    sent: int
    delivered: int
    failed: int
    opted_out: int
    reminded: int
    renewed: int
    renewal_rate: float | None


class OptOutOut(Schema):
    id: int
    phone: str
    source: str
    at: str
    type: str


class LineErrorOut(Schema):
    line: int | None
    field: str | None
    reason: str


class ImportErrorOut(Schema):
    detail: str
    errors: list[LineErrorOut]


class ImportOut(Schema):
    rows: int
    created: int
    updated: int
    expiry_changed: int
    planned: int
    dry_run: bool


class ReplyIn(Schema):
    phone: str
    text: str


class ReplyOut(Schema):
    opted_out: bool


class ReportIn(Schema):
    request_id: str
    status: Literal["delivered", "failed"]
    detail: str = ""


class ReportOut(Schema):
    ok: bool


def _manager(request: HttpRequest) -> None:
    role, hall_id = role_of(request.user)
    if role is None or RANK[Role(role)] < RANK[Role.MANAGER] or hall_id is not None:
        raise Forbidden("certificate reminders need a manager or administrator with city scope")


def _gateway(request: HttpRequest) -> None:
    """Webhooks from the SMS gateway: a valid signature, or loopback when no secret is set."""
    secret = sms.gateway_secret()
    if not secret:
        if request.META.get("REMOTE_ADDR") not in LOOPBACK:
            raise Forbidden("set GOVHALL_SMS_GATEWAY_SECRET to accept gateway callbacks from other hosts")
        return
    timestamp = request.headers.get("X-Govhall-Timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_SKEW_SECONDS:
        raise QueueError("missing or stale X-Govhall-Timestamp")
    expected = "sha256=" + sign(secret, timestamp, request.body)
    if not hmac.compare_digest(request.headers.get("X-Govhall-Signature", ""), expected):
        raise Forbidden("bad signature")


@router.get(
    "/batch", auth=staff_auth, response={200: BatchOut, **ERRORS}, summary="Preview the next batch (masked)"
)
def batch(request: HttpRequest, limit: int = 50) -> Any:
    _manager(request)
    return queries.next_batch(limit=max(1, min(limit, 500)))


@router.post(
    "/send", auth=staff_auth, response={200: SendOut, **ERRORS}, summary="Plan and send what is due now"
)
def send(request: HttpRequest) -> Any:
    _manager(request)
    services.plan_reminders()
    return asdict(services.send_due(budget_seconds=20.0))


@router.post(
    "/import",
    auth=staff_auth,
    response={200: ImportOut, 422: ImportErrorOut, 400: Detail, 401: Detail, 403: Detail},
    summary="Import certificate records (.csv/.xlsx), all or nothing",
)
def import_records(
    request: HttpRequest,
    file: UploadedFile = File(...),  # noqa: B008
    dry_run: bool = Form(False),
) -> Any:
    _manager(request)
    try:
        report = services.import_records(file.name or "", file.read(), dry_run=dry_run)
    except ImportFailed as exc:
        errors = [{"line": e.line, "field": e.field, "reason": e.reason} for e in exc.errors[:500]]
        return Status(
            422, {"detail": f"导入失败，未做任何修改（{len(exc.errors)} 处错误）", "errors": errors}
        )
    return {
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "expiry_changed": report.expiry_changed,
        "planned": report.planned,
        "dry_run": dry_run,
    }


@router.get(
    "/deliveries", auth=staff_auth, response={200: list[DeliveryOut], **ERRORS}, summary="The delivery log"
)
def deliveries(request: HttpRequest, limit: int = 200, outcome: str = "") -> Any:
    _manager(request)
    return queries.delivery_log(limit=max(1, min(limit, 5000)), state=outcome)


@router.get(
    "/figures", auth=staff_auth, response={200: list[MonthOut], **ERRORS}, summary="Monthly figures per type"
)
def figures(request: HttpRequest) -> Any:
    _manager(request)
    return queries.monthly_figures()


@router.get(
    "/opt-outs", auth=staff_auth, response={200: list[OptOutOut], **ERRORS}, summary="Phones that opted out"
)
def opt_outs(request: HttpRequest) -> Any:
    _manager(request)
    return queries.opt_outs()


@router.post(
    "/gateway/reply",
    response={200: ReplyOut, **ERRORS},
    summary="An SMS reply from a holder (TD/退订 opts out)",
)
def reply(request: HttpRequest, payload: ReplyIn) -> Any:
    _gateway(request)
    return {"opted_out": services.handle_reply(payload.phone, payload.text)}


@router.post(
    "/gateway/report", response={200: ReportOut, **ERRORS}, summary="A delivery receipt from the gateway"
)
def report(request: HttpRequest, payload: ReportIn) -> Any:
    _gateway(request)
    if not services.record_report(payload.request_id, payload.status, payload.detail):
        raise NotFound(f"no reminder with request id {payload.request_id!r}")
    return {"ok": True}
