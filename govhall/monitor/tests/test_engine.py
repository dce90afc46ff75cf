"""The alert rules of CONTRACTS section 7, by hand-computed examples, on the pure engine."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from govhall.monitor.engine import (
    Fact,
    FlowRule,
    WaitRule,
    ZoneRules,
    crossings,
    evaluate,
    flows,
    moment_of,
    overtime,
    policy_rules,
    second_of,
    waits,
)

CST = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=CST)
RULES = {("city", "A"): ZoneRules(15, 2, 3)}


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def ticket(name: str, issued: float, end: float | None, zone: str = "A") -> Fact:
    return Fact(name, "city", zone, at(issued), None if end is None else at(end))


def kinds(alerts: list) -> list[tuple[str, float, str | None]]:
    return [(a.kind, (a.at - T0).total_seconds(), a.ticket_id) for a in alerts]


def test_overtime_is_strictly_after_the_deadline() -> None:
    facts = [
        ticket("exactly-15-min", 0, 900),
        ticket("one-second-more", 0, 901),
        ticket("a-microsecond-more", 0, 900.000001),
        ticket("never-called", 10, None),
        ticket("quick", 0, 60),
    ]
    assert kinds(overtime(facts, RULES)) == [
        ("overtime", 900, "one-second-more"),
        ("overtime", 900, "a-microsecond-more"),
        ("overtime", 910, "never-called"),
    ]


def test_overtime_at_keeps_the_tickets_own_offset_and_fraction() -> None:
    fact = Fact("t", "city", "A", dt.datetime(2026, 3, 2, 1, 0, 0, 500000, tzinfo=dt.UTC), None)
    (alert,) = overtime([fact], RULES)
    assert alert.as_json()["at"] == "2026-03-02T01:15:00.500000+00:00"
    assert alert.as_json("Asia/Shanghai")["at"] == "2026-03-02T09:15:00.500000+08:00"


def test_zones_missing_from_the_halls_raise_nothing() -> None:
    facts = [ticket(f"t{i}", 0, None, zone="Z") for i in range(5)]
    assert evaluate(facts, RULES) == []


def test_yellow_then_red_then_rearmed_only_after_falling_below() -> None:
    facts = [
        ticket("a", 0, 100),  # count 1 at 0
        ticket("b", 10, 50),  # 2 at 10 → yellow
        ticket("c", 20, 30),  # 3 at 20 → red
        ticket("d", 40, 200),  # c left at 30 (2), d → 3 at 40: red again (it fell below 3); yellow not
        # b leaves at 50 (2), a at 100 (1): yellow re-armed
        ticket("e", 120, 300),  # 2 at 120 → yellow
    ]
    assert kinds(crossings(facts, RULES)) == [
        ("yellow", 10, None),
        ("red", 20, None),
        ("red", 40, None),
        ("yellow", 120, None),
    ]


def test_a_jump_past_both_raises_both_at_the_same_moment_yellow_first() -> None:
    facts = [ticket(f"t{i}", 5, None) for i in range(3)]
    alerts = crossings(facts, RULES)
    assert kinds(alerts) == [
        ("yellow", 5, None),
        ("red", 5, None),
    ]
    assert [a.waiting for a in alerts] == [3, 3]


def test_events_of_one_second_are_netted() -> None:
    # two wait; within second 10 one more comes and another is called: the count stays 2 → no yellow
    three = {("city", "A"): ZoneRules(15, 3, None)}
    facts = [ticket("a", 0, None), ticket("b", 5, 10.9), ticket("c", 10.2, None)]
    assert crossings(facts, three) == []
    # the same with the call a second later: the count touches 3 during second 10
    facts = [ticket("a", 0, None), ticket("b", 5, 11.0), ticket("c", 10.2, None)]
    assert kinds(crossings(facts, three)) == [("yellow", 10, None)]
    # issued and called within one second (fractions): never waiting
    facts = [ticket("a", 0, None), ticket("flash", 20.1, 20.8)]
    assert crossings(facts, RULES) == []
    # called in the next second: it waited through second 20
    facts = [ticket("a", 0, None), ticket("slow", 20.9, 21.0)]
    assert kinds(crossings(facts, RULES)) == [("yellow", 20, None)]


def test_crossing_at_is_the_whole_second_of_the_events() -> None:
    facts = [ticket("a", 0.4, None), ticket("b", 7.6, None)]
    (alert,) = crossings(facts, RULES)
    assert alert.at == at(7) and alert.as_json("Asia/Shanghai")["at"] == "2026-03-02T09:00:07+08:00"


def test_no_threshold_no_alert_and_zero_never_rises() -> None:
    facts = [ticket(f"t{i}", i, None) for i in range(5)]
    assert crossings(facts, {("city", "A"): ZoneRules(15, None, None)}) == []
    assert crossings(facts, {("city", "A"): ZoneRules(15, 0, None)}) == []


def test_sorted_by_at_then_kind_hall_zone_ticket() -> None:
    rules = {("city", "A"): ZoneRules(1, 1, None), ("city", "B"): ZoneRules(1, 1, None)}
    facts = [
        Fact("t2", "city", "B", at(0), None),
        Fact("t1", "city", "A", at(0), None),
        Fact("t3", "city", "A", at(60), None),  # deadline 120 … no: 60 + 60
    ]
    assert [(a.kind, a.zone, a.ticket_id) for a in evaluate(facts, rules)] == [
        ("yellow", "A", None),
        ("yellow", "B", None),
        ("overtime", "A", "t1"),
        ("overtime", "B", "t2"),
        ("overtime", "A", "t3"),
    ]


def test_whole_seconds_are_exact() -> None:
    moment = dt.datetime(2026, 3, 2, 9, 0, 0, 999999, tzinfo=CST)
    assert moment_of(second_of(moment)) == moment.replace(microsecond=0)


facts_strategy = st.lists(
    st.tuples(
        st.sampled_from(["A", "B"]),
        st.integers(0, 3000),  # issued, in tenths of a second
        st.one_of(st.none(), st.integers(0, 14000)),  # wait in tenths of a second
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(facts_strategy, st.lists(st.integers(1, 4000), min_size=1, max_size=6))
def test_windows_of_any_size_add_up_to_the_whole(raw: list, cuts: list[int]) -> None:
    """The live path judges consecutive windows; together they must give what replay gives."""
    rules = {("city", "A"): ZoneRules(1, 2, 3), ("city", "B"): ZoneRules(2, 1, None)}
    facts = [
        Fact(f"t{i}", "city", z, at(issued / 10), None if wait is None else at((issued + wait) / 10))
        for i, (z, issued, wait) in enumerate(raw)
    ]
    end = at(2000)  # later than every event and deadline
    bounds = [at(-5), *sorted({at(c / 2) for c in cuts}), end]
    windowed = []
    for since, until in itertools.pairwise(bounds):
        since_whole = moment_of(second_of(since))
        until_whole = moment_of(second_of(until))
        if until_whole > since_whole:
            windowed += evaluate(facts, rules, since=since_whole, until=until_whole)
    whole = evaluate(facts, rules)
    key = lambda a: a.sort_key()  # noqa: E731
    assert sorted(set(windowed), key=key) == whole


# --- configurable rules: flow (arrivals in N minutes) and estimated wait, off unless configured ---

FLOW = {("city", "A"): ZoneRules(15, None, None, flow=FlowRule(minutes=1, arrivals=3))}
WAIT = {("city", "A"): ZoneRules(15, None, None, wait=WaitRule(minutes=10, rate_minutes=5))}


def test_flow_rises_to_the_arrivals_in_the_last_minutes_and_rearms_when_one_leaves_the_window() -> None:
    facts = [ticket("a", 0, 1), ticket("b", 10, 11), ticket("c", 50, 51), ticket("d", 65, 66)]
    # at 50: 0, 10, 50 → 3 arrivals; at 60 the one of 0 leaves the minute (2); at 65: 10, 50, 65 → 3
    assert [(a.kind, (a.at - T0).total_seconds(), a.waiting, a.threshold) for a in evaluate(facts, FLOW)] == [
        ("flow", 50, 3, 3),
        ("flow", 65, 3, 3),
    ]
    # every arrival counts, even one issued and called in the same second (it never waited)
    assert kinds(flows([ticket("x", 0, 0.5), ticket("y", 1, 1.2), ticket("z", 2, 2.1)], FLOW)) == [
        ("flow", 2, None)
    ]


def test_estimated_wait_is_waiting_over_the_drain_rate_of_the_last_minutes() -> None:
    facts = [
        ticket("a", 0, 30),  # the line drains 1 in 5 minutes from second 30
        ticket("b", 10, None),
        ticket("c", 20, None),
        ticket(
            "d", 400, 401
        ),  # 3 waiting at 400 with nothing drained since 330; at 401: 2 waiting, 1 drained
    ]
    # at 30: 2 waiting × 300 s ÷ 1 = 600 s = 10 min ≥ 10: raised; at 330 the call of 30 leaves the
    # window (no estimate, so below); at 401 it is 10 min again
    assert [(a.kind, (a.at - T0).total_seconds(), a.waiting, a.threshold) for a in waits(facts, WAIT)] == [
        ("wait", 30, 10, 10),
        ("wait", 401, 10, 10),
    ]
    # nothing drained yet: no estimate, no alert, however long the line
    assert waits([ticket(f"t{i}", i, None) for i in range(30)], WAIT) == []


def test_policy_rules_hall_wide_with_zone_overrides_and_clear_errors() -> None:
    policy = {
        "monitor": {
            "flow": {"minutes": 10, "arrivals": 30},
            "wait": {"minutes": 20},
            "zones": {"B": {"flow": {"minutes": 5, "arrivals": 8}, "wait": None}},
        }
    }
    assert policy_rules(policy, "A") == (FlowRule(10, 30), WaitRule(20, 15))
    assert policy_rules(policy, "B") == (FlowRule(5, 8), None)
    assert policy_rules({}, "A") == (None, None) == policy_rules({"priority_first": True}, "A")
    for bad, where in (
        ({"monitor": {"flow": {"minutes": 0, "arrivals": 3}}}, "policy.monitor.flow.minutes"),
        ({"monitor": {"wait": {"minutes": "ten"}}}, "policy.monitor.wait.minutes"),
        ({"monitor": {"zones": ["A"]}}, "policy.monitor.zones"),
    ):
        try:
            policy_rules(bad, "A")
        except ValueError as exc:
            assert where in str(exc)
        else:
            raise AssertionError(f"accepted {bad}")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 600), st.one_of(st.none(), st.integers(0, 400))), max_size=25),
    st.integers(0, 900),
    st.integers(1, 300),
)
def test_flow_and_wait_in_windows_add_up_to_the_whole_log(tickets: list, start: int, span: int) -> None:
    rules = {
        ("city", "A"): ZoneRules(
            15, 2, 4, flow=FlowRule(minutes=2, arrivals=4), wait=WaitRule(minutes=2, rate_minutes=1)
        )
    }
    facts = [ticket(f"t{i}", s, None if w is None else s + w) for i, (s, w) in enumerate(tickets)]
    whole = [a for a in evaluate(facts, rules) if at(start) <= a.at < at(start + span)]
    assert evaluate(facts, rules, since=at(start), until=at(start + span)) == whole
