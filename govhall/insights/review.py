"""The window-review model (撤减模型): per matter, cut, join, move to the back office, or keep.

Binjiang reviewed its windows weekly: matters that can be done fully online lose their window,
rare matters join a comprehensive window, matters that are mostly approval (long promised time,
a short exchange at the counter) move to the back office so the window only receives papers.
Each recommendation carries its reasons in figures, so a manager can argue with the data rather
than with the verdict. Pure: no Django.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from govhall.ticketlog import LogRow

CUT, JOIN, BACK_OFFICE, KEEP = "cut", "join", "back_office", "keep"
LABELS = {
    CUT: "撤减窗口（全程网办）",
    JOIN: "并入综合窗口",
    BACK_OFFICE: "前台收件、后台审批",
    KEEP: "保留窗口",
}
ONLINE = {"app", "web"}
RARE_SHARE = 0.01  # below 1% of the hall's tickets a dedicated window idles
APPROVAL_DAYS = 5
SHORT_COUNTER_SECONDS = 300.0


@dataclass(frozen=True)
class MatterFacts:
    """What the catalogue says about a matter."""

    code: str
    name: str = ""
    channels: tuple[str, ...] = ()
    max_visits: int = 1
    promised_days: int = 0


@dataclass
class Recommendation:
    matter: str
    name: str
    action: str
    tickets: int
    share: float
    mean_handling_seconds: float | None
    reasons: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return LABELS[self.action]

    def as_dict(self) -> dict[str, object]:
        return {
            "matter": self.matter,
            "name": self.name,
            "action": self.action,
            "label": self.label,
            "tickets": self.tickets,
            "share": round(self.share, 4),
            "mean_handling_seconds": None
            if self.mean_handling_seconds is None
            else round(self.mean_handling_seconds, 1),
            "reasons": self.reasons,
        }


def recommend(rows: Sequence[LogRow], facts: Iterable[MatterFacts]) -> list[Recommendation]:
    """One recommendation per matter with tickets in `rows`, most tickets first."""
    catalogue = {f.code: f for f in facts}
    tickets: dict[str, int] = defaultdict(int)
    handling: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        tickets[r.matter] += 1
        if r.handling_seconds is not None:
            handling[r.matter].append(r.handling_seconds)
    total = sum(tickets.values()) or 1
    out = []
    for matter, n in sorted(tickets.items(), key=lambda kv: (-kv[1], kv[0])):
        fact = catalogue.get(matter, MatterFacts(matter))
        served = handling.get(matter, [])
        mean = sum(served) / len(served) if served else None
        share = n / total
        rec = Recommendation(matter, fact.name or matter, KEEP, n, share, mean)
        online = sorted(ONLINE & set(fact.channels))
        if online and fact.max_visits == 0:
            rec.action = CUT
            rec.reasons.append(f"可全程网办（{'、'.join(online)}），到现场0次")
            rec.reasons.append(f"本期仍有{n}张窗口票：引导网办即可撤减")
        elif fact.promised_days >= APPROVAL_DAYS and mean is not None and mean <= SHORT_COUNTER_SECONDS:
            rec.action = BACK_OFFICE
            rec.reasons.append(f"承诺时限{fact.promised_days}个工作日，以审批为主")
            rec.reasons.append(f"窗口平均办理{mean / 60:.1f}分钟：窗口只需收件")
        elif share < RARE_SHARE:
            rec.action = JOIN
            rec.reasons.append(f"仅占本厅取号量{share:.1%}（{n}张）：专窗闲置")
        else:
            rec.reasons.append(f"占本厅取号量{share:.1%}，需窗口当面办理")
        if online and rec.action != CUT:
            rec.reasons.append(f"已可网上申请（{'、'.join(online)}）：引导网办可减少排队")
        out.append(rec)
    return out


def online_plan(recommendations: Sequence[Recommendation]) -> dict[str, float]:
    """The what-if `online` shares if every matter recommended for cutting moved online."""
    return {r.matter: 1.0 for r in recommendations if r.action == CUT}
