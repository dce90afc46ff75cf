"""The bot's decisions, over hand-made search results (no database)."""

from __future__ import annotations

from typing import Any

from govhall.assistant import bot

BIRTH = {
    "name": "出生登记（新生儿落户）",
    "department": "市公安局",
    "materials": ["出生医学证明", "父母户口簿"],
    "fee": 0,
    "promised_days": 0,
    "situations": [],
}
ROUTE = {
    "channel": "hall",
    "channel_label": "窗口办",
    "howto": "需要到窗口办理：可远程取号或预约后前往下列大厅",
    "hall_needed": True,
    "halls": [{"hall": "qiao", "name": "桥头街道便民服务中心", "waiting": 2, "estimated_wait_seconds": 400}],
}


def hit(code: str, score: float, name: str = "", route: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "name": name or code, "score": score, "route": route}


def test_a_clear_winner_gets_an_answer_card_with_materials_fee_time_limit_and_hall() -> None:
    found = {"results": [hit("B", 0.92, BIRTH["name"], ROUTE), hit("X", 0.8)]}
    answer = bot.reply("孩子刚出生怎么上户口", found, {"B": BIRTH, "X": {**BIRTH, "name": "X"}})
    assert answer.kind == "answer"
    assert answer.payload["matter"]["code"] == "B"
    assert answer.payload["matter"]["materials"] == ["出生医学证明", "父母户口簿"]
    assert "出生登记（新生儿落户）" in answer.text and "出生医学证明、父母户口簿" in answer.text
    assert "不收费" in answer.text and "即办" in answer.text
    assert "桥头街道便民服务中心" in answer.text and "2 人等候" in answer.text and "约 7 分钟" in answer.text


def test_near_duplicates_become_a_follow_up_question_with_the_search_options() -> None:
    ask = {
        "question": "您要办理的是以下哪一种情形？",
        "options": [
            {"code": "F", "name": "首次申领", "label": "首次申领"},
            {"code": "L", "name": "补领", "label": "补领"},
        ],
    }
    found = {"results": [hit("F", 0.8), hit("L", 0.79)], "ask": ask}
    answer = bot.reply("身份证", found, {"F": BIRTH, "L": BIRTH})
    assert answer.kind == "ask"
    assert [o["matter"] for o in answer.payload["options"]] == ["F", "L"]
    assert [o["label"] for o in answer.payload["options"]] == ["首次申领", "补领"]


def test_two_close_guesses_are_asked_not_answered() -> None:
    found = {"results": [hit("A", 0.80), hit("B", 0.78), hit("C", 0.6)]}
    answer = bot.reply("办个证", found, {c: BIRTH for c in "ABC"})
    assert answer.kind == "ask" and [o["matter"] for o in answer.payload["options"]] == ["A", "B", "C"]


def test_nothing_confident_says_so_and_offers_a_person() -> None:
    for found in ({"results": []}, {"results": [hit("A", 0.4)]}):
        answer = bot.reply("今天天气怎么样", found, {"A": BIRTH})
        assert answer.kind == "unsure" and answer.payload["handoff"] is True
        assert "转人工" in answer.text


def test_asking_for_a_person_hands_over_whatever_the_search_found() -> None:
    for words in ("转人工", "我要找客服", "能不能让真人来回答", "人工"):
        assert bot.reply(words, {"results": [hit("A", 0.95)]}, {"A": BIRTH}).kind == "handoff"
    assert not bot.wants_person("孩子刚出生怎么上户口")


def test_a_matter_with_several_situations_asks_which_and_the_choice_narrows_the_materials() -> None:
    info = {
        **BIRTH,
        "situations": [
            {"name": "父母双方为本市户籍", "conditions": "", "materials": ["出生医学证明"]},
            {"name": "父母一方为外地户籍", "conditions": "", "materials": ["出生医学证明", "结婚证"]},
        ],
    }
    results = [hit("B", 0.92, BIRTH["name"], ROUTE)]
    question = bot.reply("上户口", {"results": results}, {"B": info})
    assert question.kind == "ask"
    assert [o["situation"] for o in question.payload["options"]] == [
        "父母双方为本市户籍",
        "父母一方为外地户籍",
    ]
    answer = bot.choose("B", results, {"B": info}, situation="父母一方为外地户籍")
    assert answer.kind == "answer"
    assert answer.payload["matter"]["materials"] == ["出生医学证明", "结婚证"]
    assert "（父母一方为外地户籍）" in answer.text and "结婚证" in answer.text


def test_the_chosen_matter_goes_first_and_an_online_matter_names_no_hall() -> None:
    online = {
        **ROUTE,
        "channel": "app",
        "channel_label": "掌上办",
        "howto": "在App办理",
        "hall_needed": False,
    }
    results = [hit("A", 0.9), hit("B", 0.8, "公积金提取", online)]
    answer = bot.choose("B", results, {"A": BIRTH, "B": {**BIRTH, "fee": 20, "promised_days": 3}})
    assert [r["code"] for r in answer.payload["results"]] == ["B", "A"]
    assert "推荐掌上办" in answer.text and "收费 20 元" in answer.text and "3 个工作日" in answer.text
    assert "推荐去" not in answer.text


def test_a_weak_best_match_is_the_answer_only_when_it_stands_far_ahead() -> None:
    details = {"A": BIRTH, "B": {**BIRTH, "code": "B"}}
    far_ahead = {"results": [hit("A", 0.42), hit("B", 0.18)]}  # raw 5.8 against 1.8: 3.3×
    assert bot.reply("孩子上户口", far_ahead, details).kind == "answer"
    close = {"results": [hit("A", 0.42), hit("B", 0.35)]}
    assert bot.reply("孩子上户口", close, details).kind == "unsure"
    below_the_floor = {"results": [hit("A", 0.31), hit("B", 0.05)]}
    assert bot.reply("今天天气怎么样", below_the_floor, details).kind == "unsure"
