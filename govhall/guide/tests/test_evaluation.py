"""The frozen evaluation set over the demo catalogue: its shape, and the accuracy targets."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from govhall.guide.engine import SearchIndex
from govhall.guide.evaluation import (
    DATA,
    DEVELOPMENT,
    FROZEN,
    HELDOUT2,
    HELDOUT3,
    HELDOUT4,
    HELDOUT5,
    LATER_BLIND,
    TUNING,
    demo_catalogue,
    evaluate,
    load_jsonl,
)

KINDS = {
    "everyday",
    "dialect",
    "typo",
    "homophone",
    "traditional",
    "pinyin",
    "initials",
    "two-character",
    "long",
    "english",
    "near-duplicate",
}


def test_the_frozen_set_is_frozen_sized_and_covers_every_kind() -> None:
    with open(FROZEN, encoding="utf-8") as handle:
        header = json.loads(handle.readline())
    assert header["_frozen"].startswith("2026-11-23")
    questions = load_jsonl(FROZEN)
    assert len(questions) >= 300
    kinds = Counter(q["kind"] for q in questions)
    assert set(kinds) == KINDS
    assert min(kinds.values()) >= 15
    codes = {m["code"] for m in demo_catalogue()}
    for q in questions:
        assert q["expected"] and set(q["expected"]) <= codes, q
    # the tuning split shares no question with the frozen set
    assert not {q["query"] for q in questions} & {q["query"] for q in load_jsonl(TUNING)}
    # questions are not catalogue text
    names = {m["name"] for m in demo_catalogue()}
    assert not [q["query"] for q in questions if q["query"] in names]


def test_the_frozen_set_meets_the_targets(demo_index: SearchIndex) -> None:
    result = evaluate(demo_index, load_jsonl(FROZEN))
    n = result["all"]["n"]
    top1, top3 = result["all"]["top1"] / n, result["all"]["top3"] / n
    assert top1 >= 0.90, result["misses"]
    assert top3 >= 0.97, result["misses"]


def test_the_spent_held_out_set_does_not_fall_back(demo_index: SearchIndex) -> None:
    """heldout_demo.jsonl was measured once blind (86.5% / 93.2%) and has since been used for tuning:
    a regression guard, not a measurement."""
    result = evaluate(demo_index, load_jsonl(DATA / "heldout_demo.jsonl"))
    n = result["all"]["n"]
    assert n >= 130
    assert result["all"]["top1"] / n >= 0.92, result["misses"]
    assert result["all"]["top3"] / n >= 0.97, result["misses"]


def test_the_spent_second_held_out_set_does_not_fall_back(demo_index: SearchIndex) -> None:
    """heldout2_demo.jsonl was measured once blind (74.4% / 92.5%), then its misses were read to fix
    structural causes (83.1% / 95.6% after): a regression guard, not a measurement."""
    with open(HELDOUT2, encoding="utf-8") as handle:
        assert json.loads(handle.readline())["note"].startswith("SPENT")
    questions = load_jsonl(HELDOUT2)
    assert len(questions) == 160
    codes = {m["code"] for m in demo_catalogue()}
    assert all(q["expected"] and set(q["expected"]) <= codes for q in questions)
    result = evaluate(demo_index, questions)
    assert result["all"]["top1"] / 160 >= 0.91, result["misses"]  # 93.8% / 98.8% on 2026-11-24
    assert result["all"]["top3"] / 160 >= 0.96, result["misses"]


@pytest.mark.parametrize(
    ("path", "top1", "top3"), [(HELDOUT3, 0.93, 0.97), (HELDOUT4, 0.93, 0.98), (HELDOUT5, 0.93, 0.97)]
)
def test_the_later_blind_sets_hold_their_blind_figures(
    demo_index: SearchIndex, path: Path, top1: float, top3: float
) -> None:
    """heldout3, heldout4 and heldout5 were each run blind (85.6% / 98.8%, 86.2% / 97.5%,
    89.4% / 96.2%), their misses read afterwards; guards from now on (96.2% / 99.4%, 95.6% / 100%,
    96.2% / 99.4% with the semantic re-ranking, 2026-11-24)."""
    with open(path, encoding="utf-8") as handle:
        assert json.loads(handle.readline())["note"].startswith("SPENT")
    questions = load_jsonl(path)
    assert len(questions) == 160
    assert all(set(q["expected"]) <= {m["code"] for m in demo_catalogue()} for q in questions)
    result = evaluate(demo_index, questions)
    assert result["all"]["top1"] / 160 >= top1, result["misses"]
    assert result["all"]["top3"] / 160 >= top3, result["misses"]


# Hits (top-1, top-3) of 160 on 2026-11-24 with the semantic re-ranking and lexicon round 3; the guard
# allows three questions fewer. The blind figures are in each file's header note and docs/guide.md.
LATER_BLIND_HITS = {6: (141, 156), 7: (127, 153), 8: (139, 154), 9: (141, 154), 10: (134, 151)}
DEVELOPMENT_HITS = {
    "A": (191, 199),
    "B": (216, 238),
    "C": (225, 237),
    "D": (231, 238),
    "E": (217, 237),
    "F": (232, 240),
}


def assert_holds(index: SearchIndex, questions: list[dict], hits: tuple[int, int]) -> None:
    """Every expected code is a demo matter, and top-1 / top-3 hits are at most 3 below `hits`."""
    codes = {m["code"] for m in demo_catalogue()}
    assert all(q["expected"] and set(q["expected"]) <= codes for q in questions)
    result = evaluate(index, questions)
    assert result["all"]["top1"] >= hits[0] - 3, result["misses"]
    assert result["all"]["top3"] >= hits[1] - 3, result["misses"]


@pytest.mark.parametrize("number", sorted(LATER_BLIND))
def test_the_blind_sets_of_the_semantic_round_do_not_fall_back(demo_index: SearchIndex, number: int) -> None:
    with open(LATER_BLIND[number], encoding="utf-8") as handle:
        header = json.loads(handle.readline())
    assert header["_frozen"].startswith("2026-11-24") and header["note"].startswith("SPENT")
    questions = load_jsonl(LATER_BLIND[number])
    assert len(questions) == 160
    assert_holds(demo_index, questions, LATER_BLIND_HITS[number])


@pytest.mark.parametrize("name", sorted(DEVELOPMENT))
def test_the_development_sets_do_not_fall_back(demo_index: SearchIndex, name: str) -> None:
    questions = load_jsonl(DEVELOPMENT[name])
    assert len(questions) >= 200
    assert_holds(demo_index, questions, DEVELOPMENT_HITS[name])
