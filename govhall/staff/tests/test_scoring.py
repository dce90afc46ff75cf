"""The monthly score, pure: weights, normalisation, ranks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govhall.staff.scoring import COMPONENTS, Figures, WeightError, check_weights, compute

W = {"attendance": 30, "honours": 10, "ratings": 20, "volume": 25, "speed": 15}


def test_breakdown_by_hand() -> None:
    a = Figures(
        1,
        "甲",
        due_days=20,
        absent=1,
        late=2,
        handled=100,
        handling_seconds=30000,
        expected_seconds=36000,
        honour_points=10,
        ratings_good=9,
        ratings_total=10,
    )
    b = Figures(
        2, "乙", due_days=20, handled=50, handling_seconds=18000, expected_seconds=18000, honour_points=5
    )
    scores = compute([a, b], W)
    first, second = scores
    assert (first.name, first.rank, second.rank) == ("甲", 1, 2)
    parts = {c.key: c for c in first.components}
    # attendance: 1 − (1 + ½·2)/20 = 0.9 → 27 points
    assert parts["attendance"].normalised == 0.9 and parts["attendance"].points == 27.0
    assert parts["honours"].normalised == 1.0 and parts["honours"].points == 10.0
    assert parts["ratings"].normalised == 0.9 and parts["ratings"].points == 18.0
    assert parts["volume"].points == 25.0
    # speed ratio 36000/30000 = 1.2, the best in the hall → 1
    assert parts["speed"].raw == pytest.approx(1.2) and parts["speed"].points == 15.0
    assert first.score == 95.0
    other = {c.key: c for c in second.components}
    # nobody rated 乙 → the hall's mean share (0.9); speed 1.0/1.2
    assert other["ratings"].normalised == 0.9 and other["ratings"].raw is None
    assert other["speed"].normalised == pytest.approx(1 / 1.2, abs=1e-4)
    assert second.score == pytest.approx(30 + 5 + 18 + 12.5 + 15 / 1.2, abs=0.02)


def test_without_ratings_the_other_weights_are_scaled_to_100() -> None:
    only = Figures(1, "甲", due_days=10, handled=1, handling_seconds=60, expected_seconds=60, honour_points=1)
    score = compute([only], W, ratings_available=False)[0]
    assert "ratings" not in {c.key for c in score.components}
    assert sum(c.weight for c in score.components) == pytest.approx(100, abs=0.05)
    assert score.score == pytest.approx(100, abs=0.05)


def test_a_month_nobody_was_rated_leaves_ratings_out() -> None:
    scores = compute([Figures(1, "甲", due_days=4), Figures(2, "乙", due_days=4, absent=4)], W)
    assert all("ratings" not in {c.key for c in s.components} for s in scores)
    assert scores[0].score == pytest.approx(30 * 100 / 80, abs=0.01)  # attendance 1 × weight 30/80·100


def test_ties_share_a_rank() -> None:
    same = [Figures(i, n, due_days=5) for i, n in ((1, "丙"), (2, "甲"), (3, "乙"))]
    better = Figures(4, "丁", due_days=5, handled=3, handling_seconds=10, expected_seconds=10)
    ranks = [(s.name, s.rank) for s in compute([*same, better], W)]
    assert ranks == [("丁", 1), *sorted((n, 2) for n in ("丙", "甲", "乙"))]


def test_weights_must_sum_to_100() -> None:
    check_weights(W)
    with pytest.raises(WeightError, match="合计须为 100"):
        check_weights({**W, "speed": 16})
    with pytest.raises(WeightError):
        check_weights({**W, "luck": 0})
    with pytest.raises(WeightError):
        check_weights({**W, "speed": -5, "volume": 45})


people = st.builds(
    Figures,
    user_id=st.integers(1, 10_000),
    name=st.text("甲乙丙丁", min_size=1, max_size=3),
    due_days=st.integers(0, 23),
    absent=st.integers(0, 23),
    late=st.integers(0, 23),
    early=st.integers(0, 23),
    honour_points=st.integers(-20, 20),
    ratings_good=st.integers(0, 5),
    ratings_total=st.integers(0, 5),
    handled=st.integers(0, 300),
    handling_seconds=st.floats(0, 1e6),
    expected_seconds=st.floats(0, 1e6),
)


@given(st.lists(people, min_size=1, max_size=8), st.booleans())
def test_scores_are_sums_of_points_within_0_and_100(group: list[Figures], ratings: bool) -> None:
    group = [Figures(**{**f.__dict__, "ratings_good": min(f.ratings_good, f.ratings_total)}) for f in group]
    scores = compute(group, W, ratings_available=ratings)
    assert [s.score for s in scores] == sorted((s.score for s in scores), reverse=True)
    for s in scores:
        assert 0 <= s.score <= 100.05
        assert s.score == pytest.approx(sum(c.points for c in s.components), abs=0.01)
        for c in s.components:
            assert 0 <= c.normalised <= 1 and c.key in COMPONENTS
    assert scores[0].rank == 1
