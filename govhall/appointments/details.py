"""What a ticket or booking carries besides the queue core, validated and masked before it is stored:
a phone for notices, an e-certificate / data-sharing reference (无证办理), a green-channel kind
with the proof the window checks, and a proxy acting for a principal (亲友代办 / 授权代理)."""

from __future__ import annotations

import re
from typing import Any

from govhall.appointments.models import TicketDetail
from govhall.catalog.queries import matters_by_code
from govhall.halls.models import Hall
from govhall.queueing import policy as calling
from govhall.queueing.errors import Unprocessable
from govhall.queueing.models import Ticket
from govhall.queueing.subjects import mask_id, mask_phone

PHONE = re.compile(r"^1[3-9]\d{9}$")
IDENTITY_KINDS = {"e_certificate": "电子证照", "data_sharing": "数据共享核验"}
# What an e-certificate reference stands for when the issuing system does not say.
DEFAULT_COVERS = {"e_certificate": ["居民身份证"], "data_sharing": ["居民身份证", "户口簿"]}
RELATIONS = ("配偶", "父母", "子女", "其他亲属", "授权代理人")


def clean_phone(phone: str | None) -> str:
    value = re.sub(r"[\s-]", "", phone or "")
    if value and not PHONE.match(value):
        raise Unprocessable("手机号格式不正确：请填写11位手机号 (phone must be an 11-digit mobile number)")
    return value


def mask_name(name: str) -> str:
    text = name.strip()
    return (text[0] + "*" * max(1, len(text) - 1)) if text else ""


def _text(value: Any, field: str, *, low: int = 1, high: int = 64) -> str:
    if not isinstance(value, str) or not low <= len(value.strip()) <= high:
        raise Unprocessable(f"{field} must be text of {low}–{high} characters")
    return value.strip()


def clean_extras(
    hall: Hall,
    *,
    identity: dict[str, Any] | None = None,
    green_kind: str | None = None,
    proxy: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The masked extras to store, or Unprocessable; nothing raw survives this function."""
    extras: dict[str, Any] = {}
    if identity:
        kind = identity.get("kind")
        if kind not in IDENTITY_KINDS:
            raise Unprocessable("identity.kind must be e_certificate or data_sharing")
        reference = _text(identity.get("reference"), "identity.reference", low=6)
        covers = identity.get("covers") or DEFAULT_COVERS[kind]
        if not isinstance(covers, list) or not all(isinstance(c, str) and 0 < len(c) <= 40 for c in covers):
            raise Unprocessable("identity.covers must be a list of material names")
        extras["identity"] = {"kind": kind, "reference_masked": mask_id(reference), "covers": covers[:20]}
    if green_kind:
        rules = calling.settings_of(hall.policy)
        kinds = list(rules["priority_kinds"])
        if green_kind not in kinds:
            raise Unprocessable(f"绿色通道类别须为：{'、'.join(kinds)} (unknown priority kind)")
        extras["green"] = {
            "kind": green_kind,
            "proof": str((rules["priority_proofs"] or {}).get(green_kind, "")),
        }
    if proxy:
        relation = proxy.get("relation") or "其他亲属"
        if relation not in RELATIONS:
            raise Unprocessable(f"proxy.relation must be one of {', '.join(RELATIONS)}")
        extras["proxy"] = {
            "proxy_name": mask_name(_text(proxy.get("proxy_name"), "proxy.proxy_name", high=40)),
            "proxy_id": mask_id(_text(proxy.get("proxy_id"), "proxy.proxy_id", low=6, high=40)),
            "principal_name": mask_name(_text(proxy.get("principal_name"), "proxy.principal_name", high=40)),
            "principal_id": mask_id(_text(proxy.get("principal_id"), "proxy.principal_id", low=6, high=40)),
            "relation": relation,
        }
    return extras


def attach(
    ticket: Ticket, extras: dict[str, Any], phone: str = "", booking: Any = None, request_key: str = ""
) -> TicketDetail:
    """Store the (already masked) extras on the ticket; idempotent (the first request's extras
    stay; a client key is recorded when the ticket has none yet)."""
    identity = extras.get("identity") or {}
    green = extras.get("green") or {}
    proxy = extras.get("proxy") or {}
    detail, _ = TicketDetail.objects.get_or_create(
        ticket=ticket,
        defaults={
            "booking": booking,
            "phone": phone,
            "phone_masked": mask_phone(phone) if phone else "",
            "identity_kind": identity.get("kind", ""),
            "identity_ref_masked": identity.get("reference_masked", ""),
            "identity_covers": identity.get("covers", []),
            "green_kind": green.get("kind", ""),
            "green_proof": green.get("proof", ""),
            "proxy_name_masked": proxy.get("proxy_name", ""),
            "proxy_id_masked": proxy.get("proxy_id", ""),
            "principal_name_masked": proxy.get("principal_name", ""),
            "principal_id_masked": proxy.get("principal_id", ""),
            "relation": proxy.get("relation", ""),
            "request_key": request_key,
        },
    )
    if request_key and not detail.request_key:
        TicketDetail.objects.filter(pk=detail.pk, request_key="").update(request_key=request_key)
    return detail


def view(ticket: Ticket) -> dict[str, Any]:
    """Everything staff need to see of a ticket's extras, masked; the matter's materials are marked
    covered when the e-certificate reference stands for them (the window asks for no paper)."""
    detail = TicketDetail.objects.filter(ticket=ticket).select_related("booking").first()
    matter = matters_by_code([ticket.matter_code]).get(ticket.matter_code)
    materials: list[str] = list(matter.materials) if matter else []
    out: dict[str, Any] = {
        "ticket": ticket.id,
        "number": ticket.number,
        "channel": ticket.channel,
        "matter": ticket.matter_code,
        "matter_name": matter.name if matter else "",
        "booking": None,
        "phone_masked": "",
        "identity": None,
        "green": None,
        "proxy": None,
        "materials": [{"name": m, "covered": False} for m in materials],
    }
    if detail is None:
        return out
    covers = set(detail.identity_covers or [])
    out["booking"] = detail.booking.code if detail.booking else None
    out["phone_masked"] = detail.phone_masked
    if detail.identity_kind:
        out["identity"] = {
            "kind": detail.identity_kind,
            "kind_label": IDENTITY_KINDS.get(detail.identity_kind, detail.identity_kind),
            "reference_masked": detail.identity_ref_masked,
            "covers": sorted(covers),
        }
        out["materials"] = [{"name": m, "covered": m in covers} for m in materials]
    if detail.green_kind:
        out["green"] = {"kind": detail.green_kind, "proof": detail.green_proof}
    if detail.proxy_name_masked:
        out["proxy"] = {
            "proxy_name": detail.proxy_name_masked,
            "proxy_id": detail.proxy_id_masked,
            "principal_name": detail.principal_name_masked,
            "principal_id": detail.principal_id_masked,
            "relation": detail.relation,
        }
    return out
