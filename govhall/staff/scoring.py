"""The monthly performance score — pure, no Django.

Each component turns a raw figure into a normalised value in [0, 1]; points = normalised ×
effective weight, the score is the sum of points (0–100). Weights are integers that sum to 100;
ratings without a data source (no ratings module, or nobody in the hall rated that month) are
left out and the other weights are scaled up so they still sum to 100.

- attendance: 1 − (absences + ½ × (late days + early-leave days)) ÷ due days, at least 0;
  a month with no due day (all leave or rest) counts as 1.
- honours: the month's honour points (negative for reprimands) ÷ the hall's best positive total.
- ratings: good ratings (满意 and better) ÷ all ratings; nobody rated → the hall's mean share.
- volume: tickets handled ÷ the hall's most.
- speed: the hall's mean handling time for the same matters ÷ the person's (>1 is faster than
  the hall on the same mix), ÷ the hall's best such ratio; no tickets → 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

COMPONENTS: dict[str, str] = {
    "attendance": "考勤",
    "honours": "荣誉表彰",
    "ratings": "好差评",
    "volume": "办件量",
    "speed": "办理效率",
}


@dataclass(frozen=True)
class Figures:
    """One person's raw figures for one month."""

    user_id: int
    name: str
    due_days: int = 0
    absent: int = 0
    late: int = 0
    early: int = 0
    honour_points: int = 0
    ratings_good: int = 0
    ratings_total: int = 0
    handled: int = 0
    handling_seconds: float = 0.0  # sum over handled tickets
    expected_seconds: float = 0.0  # sum of the hall's mean handling time of each ticket's matter


@dataclass(frozen=True)
class Component:
    key: str
    label: str
    raw: float | None
    raw_text: str
    normalised: float
    weight: float
    points: float


@dataclass
class Score:
    user_id: int
    name: str
    score: float
    rank: int = 0
    components: list[Component] = field(default_factory=list)


class WeightError(ValueError):
    pass


def check_weights(weights: dict[str, int]) -> None:
    unknown = set(weights) - set(COMPONENTS)
    if unknown:
        raise WeightError(f"未知的评分项：{', '.join(sorted(unknown))}")
    for key, value in weights.items():
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
            raise WeightError(f"{COMPONENTS[key]}权重须为 0–100 的整数")
    if sum(weights.get(k, 0) for k in COMPONENTS) != 100:
        raise WeightError(f"各项权重合计须为 100（现为 {sum(weights.values())}）")


def effective_weights(weights: dict[str, int], *, ratings_available: bool) -> dict[str, float]:
    used = {k: float(weights.get(k, 0)) for k in COMPONENTS if ratings_available or k != "ratings"}
    total = sum(used.values())
    if total <= 0:
        return dict.fromkeys(used, 0.0)
    return {k: v * 100.0 / total for k, v in used.items()}


def attendance_value(f: Figures) -> float:
    if f.due_days <= 0:
        return 1.0
    return max(0.0, 1.0 - (f.absent + 0.5 * (f.late + f.early)) / f.due_days)


def speed_ratio(f: Figures) -> float:
    if f.handled <= 0 or f.handling_seconds <= 0:
        return 0.0
    return f.expected_seconds / f.handling_seconds


def _share(part: float, best: float) -> float:
    return min(1.0, max(0.0, part / best)) if best > 0 else 0.0


def compute(people: list[Figures], weights: dict[str, int], *, ratings_available: bool = True) -> list[Score]:
    """Scores best first with competition ranks (1, 2, 2, 4); ties ordered by name."""
    rated = [f for f in people if f.ratings_total > 0]
    # a month in which nobody of the hall was rated has no ratings data: left out like a missing source
    ratings_available = ratings_available and bool(rated)
    eff = effective_weights(weights, ratings_available=ratings_available)
    best_honours = max((f.honour_points for f in people), default=0)
    best_volume = max((f.handled for f in people), default=0)
    best_speed = max((speed_ratio(f) for f in people), default=0.0)
    mean_good = sum(f.ratings_good / f.ratings_total for f in rated) / len(rated) if rated else 0.0

    scores: list[Score] = []
    for f in people:
        values: dict[str, tuple[float | None, str, float]] = {
            "attendance": (
                attendance_value(f),
                f"应出勤{f.due_days}天，缺勤{f.absent}，迟到{f.late}，早退{f.early}",
                attendance_value(f),
            ),
            "honours": (
                float(f.honour_points),
                f"{f.honour_points}分",
                _share(f.honour_points, best_honours),
            ),
            "volume": (float(f.handled), f"办结{f.handled}件", _share(f.handled, best_volume)),
        }
        if ratings_available:
            if f.ratings_total:
                share = f.ratings_good / f.ratings_total
                values["ratings"] = (share, f"好评{f.ratings_good}/{f.ratings_total}", share)
            else:
                values["ratings"] = (None, "本月无评价，按全厅平均", mean_good)
        ratio = speed_ratio(f)
        if f.handled:
            mean = f.handling_seconds / f.handled
            expected = f.expected_seconds / f.handled
            text = f"平均{mean / 60:.1f}分钟/件，同类事项全厅{expected / 60:.1f}分钟"
        else:
            text = "本月无办件"
        values["speed"] = (ratio, text, _share(ratio, best_speed))
        components = []
        for key, label in COMPONENTS.items():
            if key not in values:
                continue
            raw, raw_text, norm = values[key]
            weight = eff[key]
            components.append(
                Component(
                    key, label, raw, raw_text, round(norm, 4), round(weight, 2), round(norm * weight, 2)
                )
            )
        total = round(sum(c.points for c in components), 2)
        scores.append(Score(f.user_id, f.name, total, components=components))
    scores.sort(key=lambda s: (-s.score, s.name, s.user_id))
    for i, s in enumerate(scores):
        s.rank = scores[i - 1].rank if i and scores[i - 1].score == s.score else i + 1
    return scores
