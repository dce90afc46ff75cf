"""The window-review model: each verdict for the reason it names."""

from __future__ import annotations

from govhall.insights import review
from govhall.insights.tests.builders import ticket


def test_each_matter_gets_the_verdict_its_figures_call_for() -> None:
    rows = (
        [
            ticket("2026-11-02T09:00", called="2026-11-02T09:05", handling=600, matter="BIG")
            for _ in range(150)
        ]
        + [
            ticket("2026-11-02T09:00", called="2026-11-02T09:05", handling=120, matter="WEB")
            for _ in range(30)
        ]
        + [
            ticket("2026-11-02T09:00", called="2026-11-02T09:05", handling=200, matter="APPROVE")
            for _ in range(20)
        ]
        + [ticket("2026-11-02T09:00", called="2026-11-02T09:05", handling=900, matter="RARE")]
    )
    facts = [
        review.MatterFacts("BIG", "不动产登记", ("hall",), 1, 0),
        review.MatterFacts("WEB", "社保证明打印", ("app", "web", "hall"), 0, 0),
        review.MatterFacts("APPROVE", "食品经营许可", ("web", "hall"), 1, 10),
        review.MatterFacts("RARE", "犬只登记", ("hall",), 1, 0),
    ]
    verdicts = {r.matter: r for r in review.recommend(rows, facts)}
    assert [r.matter for r in review.recommend(rows, facts)] == ["BIG", "WEB", "APPROVE", "RARE"]
    assert verdicts["BIG"].action == review.KEEP
    assert verdicts["WEB"].action == review.CUT and "到现场0次" in verdicts["WEB"].reasons[0]
    assert verdicts["APPROVE"].action == review.BACK_OFFICE
    assert any("引导网办" in reason for reason in verdicts["APPROVE"].reasons)
    assert verdicts["RARE"].action == review.JOIN and verdicts["RARE"].tickets == 1
    assert verdicts["RARE"].share == 1 / 201
    assert review.online_plan(list(verdicts.values())) == {"WEB": 1.0}


def test_a_matter_missing_from_the_catalogue_is_judged_on_its_figures_alone() -> None:
    rows = [ticket("2026-11-02T09:00", matter="X")]
    (only,) = review.recommend(rows, [])
    assert only.action == review.KEEP and only.name == "X" and only.mean_handling_seconds is None
