from __future__ import annotations

import pytest

from govhall.insights import bundles
from govhall.insights.tests.builders import ticket


def done(subject: str, matter: str, day: str) -> object:
    return ticket(
        f"2026-03-{day}T09:00:00",
        called=f"2026-03-{day}T09:05:00",
        handling=300,
        subject=subject,
        matter=matter,
    )


def hand_log() -> list:
    return [
        done("li", "A", "02"),
        done("li", "B", "02"),  # same day
        done("wang", "A", "02"),
        done("wang", "B", "05"),  # three days apart
        done("zhao", "A", "02"),
        done("zhao", "B", "12"),  # ten days apart: not together
        done("chen", "C", "03"),
        done("sun", "A", "03"),
        done("sun", "B", "04"),
        done("sun", "C", "05"),
        ticket("2026-03-03T10:00:00", subject="zhou", matter="A", outcome="cancelled"),  # counts in N only
        done("", "A", "03"),
        done("", "B", "03"),  # empty subjects are ignored
    ]


def test_hand_computed_bundles() -> None:
    mining = bundles.mine(hand_log(), window_days=7)
    assert mining.subjects == 6
    got = {b.matters: b for b in mining.bundles}
    ab = got[("A", "B")]
    # A and B are each done by li, wang, zhao, sun (4 of 6); together within 7 days by li, wang, sun.
    assert ab.subjects == 3
    assert ab.support == pytest.approx(3 / 6)
    assert ab.confidence == pytest.approx(3 / 4)
    assert ab.lift == pytest.approx(3 / (6 * (4 / 6) * (4 / 6)))
    abc = got[("A", "B", "C")]
    assert abc.subjects == 1
    assert abc.confidence == pytest.approx(1 / 4)
    assert abc.lift == pytest.approx(1 / (6 * (4 / 6) * (4 / 6) * (2 / 6)))
    # Most subjects first, then lift: ABC (lift 1.125) before AC and BC (0.75).
    assert [b.matters for b in mining.bundles] == [("A", "B"), ("A", "B", "C"), ("A", "C"), ("B", "C")]
    assert [b.matters for b in bundles.mine(hand_log(), min_lift=1).bundles] == [("A", "B"), ("A", "B", "C")]


def test_window_days_is_inclusive_and_configurable() -> None:
    rows = [done("li", "A", "02"), done("li", "B", "09")]  # exactly 7 days apart
    assert [b.matters for b in bundles.mine(rows, window_days=7).bundles] == [("A", "B")]
    assert bundles.mine(rows, window_days=6).bundles == []


def test_min_subjects_and_closed() -> None:
    mining = bundles.mine(hand_log(), min_subjects=2)
    assert [b.matters for b in mining.bundles] == [("A", "B")]
    rows = [done(s, m, "02") for s in ("li", "wang") for m in ("A", "B", "C")]
    closed = bundles.closed_only(bundles.mine(rows).bundles)
    assert [b.matters for b in closed] == [("A", "B", "C")]
    # δ-closed: li did only A and B; the triple still has 2 of the pair's 3 subjects.
    rows.extend([done("zhou", "A", "02"), done("zhou", "B", "02")])
    found = bundles.mine(rows).bundles
    assert ("A", "B") in [b.matters for b in bundles.closed_only(found, 1.0)]
    assert ("A", "B") not in [b.matters for b in bundles.closed_only(found, 0.6)]


def test_agents_are_left_out() -> None:
    agent = [done("agent", f"X{i}", "02") for i in range(15)]
    mining = bundles.mine([*hand_log(), *agent], agent_tickets=10)
    assert mining.agents == ["agent"]
    assert all(not b.matters[0].startswith("X") for b in mining.bundles)
