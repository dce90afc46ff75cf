"""Putting a 家里办一本通 together: the most-requested matters that can be done online, grouped by
life event, and the 一件事 that can (mostly) be done online, each with its link and QR code.

Reads only; the rules it applies live in `rules.py`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from govhall import clock
from govhall.booklet import queries, rules
from govhall.catalog.models import CHANNEL_LABELS, Bundle, Matter
from govhall.halls.models import Hall
from govhall.web import qr

DEFAULT_TOP = 86  # what Jiangbei printed
DEFAULT_BUNDLES = 39
DEFAULT_DAYS = 90
MAX_TOP = 500
MAX_DAYS = 366
PAPERS = ("a5", "a4")
CITY = ""  # the scope of the city-wide booklet (a hall code otherwise)


class BookletError(ValueError):
    """Bad options or an unknown hall: said in Chinese, shown to whoever asked."""


@dataclass(frozen=True)
class Options:
    top: int = DEFAULT_TOP
    bundles: int = DEFAULT_BUNDLES
    days: int = DEFAULT_DAYS
    paper: str = "a5"

    def __post_init__(self) -> None:
        if not 1 <= self.top <= MAX_TOP:
            raise BookletError(f"事项数须在 1–{MAX_TOP} 之间")
        if not 0 <= self.bundles <= MAX_TOP:
            raise BookletError(f"一件事数须在 0–{MAX_TOP} 之间")
        if not 1 <= self.days <= MAX_DAYS:
            raise BookletError(f"统计天数须在 1–{MAX_DAYS} 之间")
        if self.paper not in PAPERS:
            raise BookletError("纸张须为 a5 或 a4")

    @classmethod
    def parse(cls, raw: Any) -> Options:
        """From a query string or form (a mapping of strings); absent fields keep their defaults."""
        values: dict[str, Any] = {}
        for name in ("top", "bundles", "days"):
            text = "" if raw.get(name) is None else str(raw.get(name)).strip()
            if text:
                try:
                    values[name] = int(text)
                except ValueError:
                    raise BookletError(f"参数 {name} 须为整数")
        if paper := str(raw.get("paper") or "").strip().lower():
            values["paper"] = paper
        return cls(**values)


@lru_cache(maxsize=4096)
def qr_svg(link: str) -> str:
    return qr.svg(link, module=3, title="扫码网上办")


@dataclass(frozen=True)
class Entry:
    code: str
    name: str
    line: str
    link: str
    demand: int
    channels: list[str]
    zero_visit: bool
    instant: bool

    @property
    def qr(self) -> str:
        return qr_svg(self.link)


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    entries: list[Entry]


@dataclass(frozen=True)
class BundleEntry:
    code: str
    name: str
    line: str
    link: str
    demand: int
    matters: list[str]
    offline: list[str] = field(default_factory=list)

    @property
    def qr(self) -> str:
        return qr_svg(self.link)


@dataclass(frozen=True)
class Booklet:
    scope: str  # CITY or the hall's code
    scope_name: str
    day: dt.date
    options: Options
    sections: list[Section]
    bundles: list[BundleEntry]

    @property
    def matter_count(self) -> int:
        return sum(len(s.entries) for s in self.sections)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["day"] = self.day.isoformat()
        return out


def entry_template(name: str, default: str) -> str:
    """A link template from the settings, else the environment, else the example domain."""
    template = str(getattr(settings, name, "") or os.environ.get(name, "") or default)
    if "{code}" not in template:
        raise ImproperlyConfigured(f"{name} must contain {{code}}: {template!r}")
    return template


def _text(matter: Matter) -> rules.MatterText:
    return rules.MatterText(
        code=matter.code,
        name=matter.name,
        department=matter.department.name if matter.department else "",
        audience=tuple(matter.audience),
        keywords=tuple(matter.keywords),
        scenarios=tuple(matter.scenarios),
        description=matter.description,
    )


def _entry(matter: Matter, demand: int, template: str) -> Entry:
    return Entry(
        code=matter.code,
        name=matter.name,
        line=rules.plain_line(_text(matter)),
        link=rules.online_link(matter.code, matter.extra or {}, template),
        demand=demand,
        channels=[CHANNEL_LABELS[c] for c in ("app", "web") if c in matter.channels],
        zero_visit=matter.max_visits == 0,
        instant=matter.promised_days == 0,
    )


def _sections(chosen: list[Matter], demand: Counter[str], template: str) -> list[Section]:
    grouped: dict[str, list[Entry]] = {}
    for matter in chosen:
        grouped.setdefault(rules.life_event(_text(matter)).key, []).append(
            _entry(matter, demand[matter.code], template)
        )
    return [Section(e.key, e.label, grouped[e.key]) for e in rules.event_order() if e.key in grouped]


def _bundles(
    bundles: list[Bundle], level: str | None, demand: Counter[str], top: int, template: str
) -> list[BundleEntry]:
    found = []
    for bundle in bundles:
        matters = list(bundle.matters.all())
        offline = [m.name for m in matters if not rules.is_online(m.channels)]
        if not rules.bundle_is_online(len(matters) - len(offline), len(matters)):
            continue
        if not any(rules.handled_at(m.levels, level) for m in matters):
            continue
        found.append(
            BundleEntry(
                code=bundle.code,
                name=bundle.name,
                line=rules.plain_line(
                    rules.MatterText(bundle.code, bundle.name, description=bundle.description)
                ),
                link=rules.online_link(bundle.code, {}, template),
                demand=sum(demand[m.code] for m in matters),
                matters=[m.name for m in matters],
                offline=offline,
            )
        )
    found.sort(key=lambda b: (-b.demand, -len(b.matters), b.code))
    return found[:top]


def find_hall(code: str | None) -> Hall | None:
    if not code:
        return None
    hall = Hall.objects.filter(code=code).first()
    if hall is None:
        raise BookletError(f"没有编码为 {code} 的中心")
    return hall


def build(hall: Hall | None = None, options: Options | None = None) -> Booklet:
    """The booklet of a hall (its tickets, the matters its level handles) or of the city (all)."""
    options = options or Options()
    now = clock.now()
    since = now - dt.timedelta(days=options.days)
    level = hall.level if hall is not None else None
    demand = queries.demand(since, now, hall)
    bundles = list(Bundle.objects.prefetch_related("matters"))
    bundled = Counter(m.code for b in bundles for m in b.matters.all())
    online = {
        m.code: m
        for m in Matter.objects.select_related("department")
        if rules.is_online(m.channels) and rules.handled_at(m.levels, level)
    }
    chosen = [online[c] for c in rules.rank(online, demand, bundled, options.top)]
    matter_template = entry_template("GOVHALL_ONLINE_ENTRY", rules.DEFAULT_MATTER_ENTRY)
    bundle_template = entry_template("GOVHALL_ONLINE_ENTRY_BUNDLE", rules.DEFAULT_BUNDLE_ENTRY)
    tz = hall.timezone if hall is not None else settings.TIME_ZONE
    return Booklet(
        scope=hall.code if hall is not None else CITY,
        scope_name=hall.name if hall is not None else "全市",
        day=clock.service_day(now, tz),
        options=options,
        sections=_sections(chosen, demand, matter_template),
        bundles=_bundles(bundles, level, demand, options.bundles, bundle_template),
    )
