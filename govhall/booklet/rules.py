"""The booklet's rules, without Django: what counts as online, the life-event groups, the one-line
plain description, the online link and the ranking.

They are tables and small functions on purpose: a hall that disagrees with where a matter landed
edits a word list here (documented in docs/booklet.md), not the page code.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from govhall.web.qr import MAX_BYTES

ONLINE_CHANNELS = frozenset({"app", "web"})
# A 一件事 is "online" when at least this share of its matters can be done on the phone or the web:
# 军人退役 (6 of 7: only the archive transfer needs a visit) is in, 结婚生育 (the marriage
# registration needs both partners at the window) is out.
BUNDLE_ONLINE_SHARE = 0.75
LINE_CAP = 30
# Matter.extra keys that may carry the matter's own online entry, first found wins.
ENTRY_KEYS = ("online_url", "entry_url", "url")
DEFAULT_MATTER_ENTRY = "https://zwfw.example.gov.cn/matter/{code}"
DEFAULT_BUNDLE_ENTRY = "https://zwfw.example.gov.cn/yjs/{code}"


def is_online(channels: Iterable[str]) -> bool:
    return not ONLINE_CHANNELS.isdisjoint(channels)


def bundle_is_online(online: int, total: int) -> bool:
    return total > 0 and online >= math.ceil(BUNDLE_ONLINE_SHARE * total)


def handled_at(levels: Sequence[str], level: str | None) -> bool:
    """Whether a hall of `level` handles the matter; None is the city-wide booklet, and a matter
    without levels (the field is optional) is taken as handled everywhere."""
    return level is None or not levels or level in levels


# --- life events ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LifeEvent:
    key: str
    label: str
    words: tuple[str, ...]


# Tried top to bottom, so the specific events come before the broad ones: 住房公积金提取(职工死亡)
# is 身后事, not 住房; 企业职工基本养老保险 is 养老, not 企业.
LIFE_EVENTS: tuple[LifeEvent, ...] = (
    LifeEvent(
        "after-death", "身后事", ("死亡", "去世", "离世", "丧葬", "殡葬", "火化", "遗产", "继承", "身后")
    ),
    LifeEvent("birth", "出生", ("出生", "新生儿", "婴儿", "宝宝", "接种", "母婴", "生孩子")),
    LifeEvent("marriage", "婚育", ("结婚", "离婚", "婚姻", "收养", "生育", "怀孕", "孕")),
    LifeEvent("school", "上学", ("入学", "上学", "学籍", "学校", "学生", "助学", "幼儿园", "学历", "招生")),
    LifeEvent("old-age", "养老", ("养老", "退休", "离休", "老年", "高龄", "老人")),
    LifeEvent(
        "support",
        "救助帮扶",
        ("残疾", "低保", "最低生活保障", "救助", "特困", "困难", "优抚", "抚恤", "退役", "军人"),
    ),
    LifeEvent("identity", "户籍证件", ("身份证", "户口", "户籍", "居住证", "居住登记", "落户")),
    LifeEvent(
        "travel",
        "出行/车驾",
        (
            "驾驶",
            "驾照",
            "机动车",
            "车辆",
            "号牌",
            "车牌",
            "违章",
            "违法处理",
            "出入境",
            "护照",
            "港澳",
            "台湾",
            "通行证",
            "签注",
            "出国",
            "船舶",
            "道路运输",
            "出租车",
        ),
    ),
    LifeEvent(
        "housing",
        "住房",
        (
            "住房",
            "房屋",
            "不动产",
            "房产",
            "存量房",
            "商品房",
            "公积金",
            "租赁",
            "租房",
            "买房",
            "二手房",
            "燃气",
            "用水",
            "用电",
            "水电",
            "物业",
        ),
    ),
    LifeEvent(
        "insurance",
        "社保医保",
        ("社保", "社会保险", "医保", "医疗", "参保", "报销", "就医", "社会保障卡", "工伤", "门诊"),
    ),
    LifeEvent(
        "work",
        "就业创业",
        ("就业", "失业", "招聘", "招用", "求职", "创业", "技能", "培训", "人才", "劳动", "职称", "执业"),
    ),
    LifeEvent(
        "business",
        "企业开办/经营",
        ("企业", "公司", "个体工商户", "营业执照", "经营", "发票", "刻章", "印章", "商标", "许可"),
    ),
)
OTHER = LifeEvent("other", "其他", ())
_BY_KEY = {event.key: event for event in (*LIFE_EVENTS, OTHER)}
# When no word matches: the department, tried in order (traffic police before the police).
DEPARTMENT_EVENTS: tuple[tuple[str, str], ...] = (
    ("交通警察", "travel"),
    ("出入境", "travel"),
    ("交通运输", "travel"),
    ("公安", "identity"),
    ("教育", "school"),
    ("医疗保障", "insurance"),
    ("人力资源", "work"),
    ("公积金", "housing"),
    ("不动产", "housing"),
    ("住房", "housing"),
    ("残疾人", "support"),
    ("退役军人", "support"),
    ("民政", "support"),
    ("市场监督", "business"),
)


@dataclass(frozen=True)
class MatterText:
    """What the rules read of a matter."""

    code: str
    name: str
    department: str = ""
    audience: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    scenarios: tuple[str, ...] = ()
    description: str = ""


def _first_event(text: str) -> LifeEvent | None:
    return next((e for e in LIFE_EVENTS if any(word in text for word in e.words)), None)


def life_event(matter: MatterText) -> LifeEvent:
    """Enterprise-only matters all go to 企业开办/经营: the life events are a family's. Otherwise
    the name first (the most precise text), then keywords and scenarios, then the department; else
    其他."""
    if set(matter.audience) == {"enterprise"}:
        return _BY_KEY["business"]
    found = _first_event(matter.name) or _first_event(" ".join((*matter.keywords, *matter.scenarios)))
    if found:
        return found
    return next((_BY_KEY[key] for part, key in DEPARTMENT_EVENTS if part in matter.department), OTHER)


def event_order() -> list[LifeEvent]:
    """The booklet's section order: the table's, 其他 last."""
    return [*LIFE_EVENTS, OTHER]


# --- the one-line description ------------------------------------------------------------

_CLAUSE_ENDS = "，,；;。！？!?：:"
_SENTENCE_ENDS = "。！？!?；;"


def shorten(text: str, cap: int = LINE_CAP) -> str:
    """At most `cap` characters: cut at the last clause mark within the cap when that keeps at least
    half of it, else hard with an ellipsis."""
    text = " ".join(text.split()).rstrip(_SENTENCE_ENDS)
    if len(text) <= cap:
        return text
    head = text[:cap]
    cut = max(head.rfind(mark) for mark in _CLAUSE_ENDS)
    if cut >= cap // 2:
        return head[:cut]
    return head[: cap - 1] + "…"


def plain_line(matter: MatterText, cap: int = LINE_CAP) -> str:
    """How a citizen would say it, not the formal name: the first scenario (the people's own words);
    else the first three keywords; else the description's first sentence; else the name."""
    if matter.scenarios and matter.scenarios[0].strip():
        return shorten(matter.scenarios[0], cap)
    words = [k.strip() for k in matter.keywords if k.strip()]
    if words:
        return shorten("、".join(words[:3]), cap)
    description = matter.description.strip()
    if description:
        first = next((i for i, ch in enumerate(description) if ch in _SENTENCE_ENDS), len(description))
        return shorten(description[:first] or description, cap)
    return shorten(matter.name, cap)


# --- the online link ---------------------------------------------------------------------


def _usable(value: Any) -> bool:
    return (
        isinstance(value, str)
        and value.startswith(("https://", "http://"))
        and len(value.encode("utf-8")) <= MAX_BYTES
        and not any(ch.isspace() for ch in value)
    )


def online_link(code: str, extra: Mapping[str, Any], template: str) -> str:
    """The catalogue's own link (an http(s) URL in Matter.extra under ENTRY_KEYS) when it carries
    one that fits a QR code; else the stable deep link `template` with the code, URL-quoted."""
    own = next((extra[key] for key in ENTRY_KEYS if _usable(extra.get(key))), None)
    return own if own is not None else template.format(code=quote(code, safe=""))


# --- ranking -----------------------------------------------------------------------------


def rank(codes: Iterable[str], demand: Mapping[str, int], bundled: Mapping[str, int], top: int) -> list[str]:
    """The `top` codes by demand; ties go to matters in more 一件事 (they are what people do
    together), then to the code, so the same data always prints the same booklet."""
    ordered = sorted(codes, key=lambda c: (-demand.get(c, 0), -bundled.get(c, 0), c))
    return ordered[: max(top, 0)]
