"""The bot of 政小云: pure decisions over a search result and the catalogue, no Django.

`reply(text, found, details)` answers a citizen's words: an answer card when the best match is
clear, a follow-up question with buttons when several matters (or several 办事情形 of one matter)
fit, and a plain "I don't know, ask a person" otherwise. `found` is what
`govhall.guide.services.search_catalog(..., routes=True)` returns; `details` maps matter codes to
`{"name", "department", "materials", "fee", "promised_days", "situations": [{"name",
"conditions", "materials"}]}`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Scores are s / (s + 8) of the engine's raw score (see guide.engine.SCORE_SCALE). Calibrated on
# the demo catalogue (hundreds of matters): good answers score 0.75–0.95, chit-chat below 0.45.
# A small catalogue scores lower, so a weaker best match still counts when it stands far ahead.
SCORE_SCALE = 8.0
SURE = 0.7  # a best match this good needs only a modest lead
MARGIN = 1.25  # … of this much (raw score of the best over the second)
GUESS = 0.45  # below this only a wide lead makes an answer (a small catalogue scores low) …
FLOOR = 0.35  # … and below this we do not even guess ("今天天气怎么样" scores ~0.31 on the demo)
WIDE_MARGIN = 3.0  # a guess this far ahead of the rest is still the answer
ASK_MIN = 0.2  # the search's own follow-up question (near-duplicate matters) counts from here
MAX_OPTIONS = 4
HANDOFF = re.compile(r"(转)?人工|找客服|真人|人工客服|工作人员|找个人|活人")


@dataclass
class Reply:
    kind: str  # answer | ask | unsure | handoff
    text: str
    payload: dict[str, Any] = field(default_factory=dict)


FILLER = re.compile(
    r"[\s\W_]|[我你您请帮给让要想找来吧呢啊吗的了能不可以麻烦谢回答一下个好现在直接马上和跟说话聊问]"
)


def wants_person(text: str) -> bool:
    return bool(HANDOFF.search(text or ""))


def asks_too(text: str) -> bool:
    """A handover that also says what it is about ("我想办出生登记，转人工"): once the handover
    words and filler are gone, at least two characters are left."""
    return len(FILLER.sub("", HANDOFF.sub("", text or ""))) >= 2


def raw(score: float) -> float:
    return SCORE_SCALE * score / (1 - score) if score < 1 else float("inf")


def confident(results: list[dict[str, Any]]) -> bool:
    """The first result is good enough and far enough ahead of the second."""
    if not results or results[0]["score"] < FLOOR:
        return False
    if results[0]["score"] < GUESS and len(results) < 2:  # a lone weak match leads nothing
        return False
    lead = raw(results[0]["score"]) / raw(results[1]["score"]) if len(results) > 1 else float("inf")
    return lead >= (MARGIN if results[0]["score"] >= SURE else WIDE_MARGIN)


def reply(text: str, found: dict[str, Any], details: dict[str, dict[str, Any]]) -> Reply:
    """What the bot says to a new question."""
    if wants_person(text):
        return Reply("handoff", "好的，正在为您转接人工客服，请稍候。")
    results = [r for r in found.get("results", []) if r["code"] in details]
    ask = found.get("ask")
    if not results:
        return unsure(results)
    if ask and len(ask.get("options", [])) >= 2 and results[0]["score"] >= ASK_MIN:
        options = [
            {"matter": o["code"], "name": o["name"], "label": o.get("label") or o["name"]}
            for o in ask["options"][:MAX_OPTIONS]
        ]
        return Reply(
            "ask",
            ask.get("question") or "您要办理的是以下哪一种情形？",
            {"kind": "ask", "options": options, "results": results},
        )
    if results[0]["score"] < GUESS and not confident(results):
        return unsure(results)
    if not confident(results):
        options = [{"matter": r["code"], "name": r["name"], "label": r["name"]} for r in results[:3]]
        return Reply(
            "ask",
            "我不太确定您要办哪一项，请选一下（都不是可以点“转人工”）：",
            {"kind": "ask", "options": options, "results": results},
        )
    return choose(results[0]["code"], results, details)


def unsure(results: list[dict[str, Any]]) -> Reply:
    return Reply(
        "unsure",
        "抱歉，这个问题我还答不好。您可以换个说法说说遇到的情况，或者点“转人工”，由在线工作人员为您解答。",
        {"kind": "unsure", "results": results[:3], "handoff": True},
    )


def choose(
    code: str, results: list[dict[str, Any]], details: dict[str, dict[str, Any]], situation: str | None = None
) -> Reply:
    """The answer for one matter (the citizen's choice, or the clear winner): its situations are
    asked first when it has several and none was chosen."""
    info = details[code]
    ordered = sorted(results, key=lambda r: r["code"] != code)
    situations = info.get("situations") or []
    names = [s["name"] for s in situations]
    if situation is None and len(situations) >= 2:
        options = [
            {"matter": code, "name": info["name"], "label": s["name"], "situation": s["name"]}
            for s in situations[: MAX_OPTIONS + 2]
        ]
        return Reply(
            "ask",
            f"「{info['name']}」分几种情形，您属于哪一种？",
            {"kind": "ask", "options": options, "results": ordered},
        )
    chosen = next((s for s in situations if s["name"] == situation), None)
    if chosen is None and len(situations) == 1:
        chosen = situations[0]
    route = ordered[0].get("route") if ordered and ordered[0]["code"] == code else None
    matter = {
        "code": code,
        "name": info["name"],
        "department": info.get("department") or "",
        "materials": list((chosen or {}).get("materials") or info.get("materials") or []),
        "fee": info.get("fee") or 0,
        "promised_days": info.get("promised_days"),
        "situation": chosen["name"] if chosen else None,
        "conditions": chosen.get("conditions", "") if chosen else "",
        "situations": names,
    }
    return Reply(
        "answer", answer_text(matter, route), {"kind": "answer", "matter": matter, "results": ordered}
    )


def fee_text(fee: Any) -> str:
    value = float(fee or 0)
    return "不收费" if value <= 0 else f"收费 {value:g} 元"


def promise_text(days: Any) -> str:
    if days is None:
        return ""
    return "即办，当场办结" if int(days) == 0 else f"承诺 {int(days)} 个工作日内办结"


def wait_text(seconds: Any) -> str:
    minutes = -(-int(seconds or 0) // 60)
    return "基本不用等" if minutes <= 0 else f"预计等候约 {minutes} 分钟"


def answer_text(matter: dict[str, Any], route: dict[str, Any] | None) -> str:
    """Short and concrete: the matter, how (the lightest channel), materials, fee and time limit,
    and where (the best hall with its live wait) when a window is needed."""
    head = f"您要办的是「{matter['name']}」"
    if matter.get("situation"):
        head += f"（{matter['situation']}）"
    parts = [head + "。"]
    if route:
        parts.append(f"推荐{route['channel_label']}：{route['howto']}。")
    materials = matter.get("materials") or []
    parts.append("需要材料：" + "、".join(materials) + "。" if materials else "材料以窗口一次性告知为准。")
    parts.append(
        "，".join(t for t in (fee_text(matter.get("fee")), promise_text(matter.get("promised_days"))) if t)
        + "。"
    )
    halls = (route or {}).get("halls") or []
    if route and route.get("hall_needed") and halls:
        best = halls[0]
        parts.append(
            f"推荐去{best['name']}，现在 {best['waiting']} 人等候，{wait_text(best['estimated_wait_seconds'])}。"
        )
    return "".join(parts)
