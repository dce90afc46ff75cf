"""政小云 end to end through the services: the bot answers from the catalogue, narrows with a
follow-up, hands over; staff claim (once), answer and close; tickets end at a window; idle
conversations close with the right outcome; the weekly shares count them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from govhall import clock
from govhall.assistant import queries, services
from govhall.assistant.models import Conversation, Message, Outcome, Sender, State
from govhall.assistant.tests.conftest import BIRTH, FUND, ID_LOST
from govhall.guide.models import Question
from govhall.queueing.errors import Conflict, Forbidden, Unprocessable
from govhall.queueing.models import Ticket

pytestmark = pytest.mark.django_db


def bot_says(conversation: Conversation) -> Message:
    return Message.objects.filter(conversation=conversation, sender=Sender.BOT).order_by("-id").first()  # type: ignore[return-value]


def test_a_plain_question_gets_the_matter_with_situations_then_materials_and_a_hall(town: Any) -> None:
    talk = services.start("browser-session-1")
    assert talk.subject and "browser-session-1" not in talk.subject
    services.say(talk, "孩子刚出生怎么上户口", lat=29.87, lon=121.55)
    question = bot_says(talk)
    assert question.payload["kind"] == "ask"  # 出生登记 has two 办事情形
    assert [o["situation"] for o in question.payload["options"]] == [
        "父母双方为本市户籍",
        "父母一方为外地户籍",
    ]
    services.say(talk, "父母一方为外地户籍", choice={"matter": BIRTH, "situation": "父母一方为外地户籍"})
    answer = bot_says(talk)
    card = answer.payload["matter"]
    assert (card["code"], card["situation"]) == (BIRTH, "父母一方为外地户籍")
    assert card["materials"] == ["出生医学证明", "父母户口簿", "结婚证"]
    assert answer.payload["results"][0]["route"]["halls"][0]["hall"] in ("qiao", "city")
    assert "结婚证" in answer.text and "即办" in answer.text
    talk.refresh_from_db()
    assert talk.bot_answered and talk.state == State.BOT
    # the choice is not the question: a later choice still searches the words first asked
    assert services.last_question(talk) == "孩子刚出生怎么上户口"


def test_near_duplicates_are_asked_and_an_online_matter_is_answered_at_once(town: Any) -> None:
    talk = services.start()
    services.say(talk, "身份证丢了")
    first = bot_says(talk)
    if first.payload["kind"] == "ask":
        assert ID_LOST in [o["matter"] for o in first.payload["options"]]
        services.say(talk, "补领", choice={"matter": ID_LOST})
    answer = bot_says(talk)
    assert answer.payload["kind"] == "answer" and answer.payload["matter"]["code"] == ID_LOST
    services.say(talk, "租房子想提取公积金")
    fund = bot_says(talk)
    assert fund.payload["matter"]["code"] == FUND
    assert "推荐掌上办" in fund.text and "3 个工作日" in fund.text and "租赁合同" in fund.text


def test_personal_data_is_masked_before_it_is_stored(town: Any) -> None:
    talk = services.start()
    services.say(talk, "我的电话13812345678，身份证330102199001011234，孩子刚出生怎么上户口")
    stored = Message.objects.get(conversation=talk, sender=Sender.CITIZEN).text
    assert "13812345678" not in stored and "330102199001011234" not in stored
    assert "138****5678" in stored and "330***********1234" in stored


def test_unknown_words_say_so_and_the_handoff_reaches_the_learning_list(town: Any) -> None:
    talk = services.start()
    services.say(talk, "隔壁邻居半夜唱卡拉OK太吵")
    assert bot_says(talk).payload["kind"] == "unsure"
    services.say(talk, "转人工")
    talk.refresh_from_db()
    assert talk.state == State.WAITING and talk.handed_over_at is not None
    assert talk.question == "隔壁邻居半夜唱卡拉OK太吵"
    system = Message.objects.filter(conversation=talk, sender=Sender.SYSTEM).get()
    assert "已为您转接在线人工客服" in system.text
    sources = sorted(Question.objects.filter(conversation=talk.token).values_list("source", flat=True))
    assert sources == ["assistant", "handoff"]
    # while a person is in charge the bot keeps quiet
    services.say(talk, "有人吗")
    assert Message.objects.filter(conversation=talk, sender=Sender.BOT).count() == 2


def test_only_one_staff_member_can_claim_and_only_the_claimer_answers(
    town: Any, clerk_li: Any, clerk_zhou: Any, manager_wang: Any
) -> None:
    talk = services.start()
    services.say(talk, "孩子刚出生怎么上户口")
    services.hand_over(talk)
    assert [c.token for c in services.inbox(clerk_li)] == [talk.token]
    services.claim(services.conversation_of(talk.token), clerk_li)
    with pytest.raises(Conflict):
        services.claim(services.conversation_of(talk.token), clerk_zhou)
    talk.refresh_from_db()
    assert (talk.state, talk.claimed_by_id, talk.staff_label) == (
        State.STAFF,
        clerk_li.pk,
        "李** (工号 A017)",
    )
    assert Message.objects.filter(conversation=talk, text="工作人员 李** (工号 A017) 为您服务").exists()
    with pytest.raises(Forbidden):
        services.reply(talk, clerk_zhou, "我来答")
    with pytest.raises(Unprocessable):
        services.reply(talk, clerk_li, "   ")
    message = services.reply(talk, clerk_li, "请带出生医学证明和户口簿到桥头街道便民服务中心办理")
    assert (message.sender, message.staff_label) == ("staff", "李** (工号 A017)")
    assert services.inbox(clerk_zhou) == []  # no longer waiting, and not Zhou's
    with pytest.raises(Forbidden):
        services.staff_close(talk, clerk_zhou)
    services.staff_close(talk, manager_wang)
    talk.refresh_from_db()
    assert (talk.state, talk.outcome) == (State.CLOSED, Outcome.STAFF)
    with pytest.raises(Conflict):
        services.say(talk, "还在吗")


def test_a_ticket_from_the_answer_ends_at_a_window(town: Any) -> None:
    talk = services.start()
    services.say(talk, "租房子想提取公积金")
    ticket = services.take_ticket(talk, "qiao", BIRTH, "key-1")
    again = services.take_ticket(talk, "qiao", BIRTH, "key-1")
    assert again.pk == ticket.pk and Ticket.objects.filter(channel="remote").count() == 1
    talk.refresh_from_db()
    assert (talk.ticket_id, talk.outcome) == (ticket.pk, Outcome.WINDOW)
    assert Message.objects.filter(conversation=talk, payload__kind="ticket").count() == 1
    services.end(talk)
    talk.refresh_from_db()
    assert (talk.state, talk.outcome) == (State.CLOSED, Outcome.WINDOW)


def test_idle_conversations_close_with_their_outcome_and_count_in_the_weekly_shares(
    town: Any, clerk_li: Any
) -> None:
    start = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in 江澜市, ISO week 2026-W10
    with time_machine.travel(start, tick=False):
        solved = services.start()
        services.say(solved, "租房子想提取公积金")
        silent = services.start()
        services.say(silent, "隔壁邻居半夜唱卡拉OK太吵")
        helped = services.start()
        services.say(helped, "转人工")
        services.claim(helped, clerk_li)
        services.reply(helped, clerk_li, "您好，请说说具体情况")
        ticket = services.start()
        services.say(ticket, "孩子刚出生怎么上户口")
        services.take_ticket(ticket, "qiao", BIRTH)
        unanswered = services.start()
        services.hand_over(unanswered)
    assert services.close_idle(start + dt.timedelta(minutes=20)) == 0
    later = start + dt.timedelta(hours=5)
    with time_machine.travel(later, tick=False):
        assert services.close_idle(later) == 5
        assert services.close_idle(later) == 0
    outcomes = {c.pk: c.outcome for c in Conversation.objects.all()}
    assert outcomes == {
        solved.pk: Outcome.BOT,
        silent.pk: Outcome.ABANDONED,
        helped.pk: Outcome.STAFF,
        ticket.pk: Outcome.WINDOW,
        unanswered.pk: Outcome.ABANDONED,
    }
    week = queries.weekly_shares(2, now=later)[0]
    assert (week["week"], week["bot"], week["staff"], week["window"], week["abandoned"]) == (
        "2026-W10",
        1,
        1,
        1,
        2,
    )
    assert week["shares"] == {"bot": 0.333, "staff": 0.333, "window": 0.333}
    assert queries.weekly_shares(2, now=later)[1]["solved"] == 0


def test_quick_replies_quote_the_catalogue(town: Any) -> None:
    found = services.quick_replies("公积金")
    assert found[0]["code"] == FUND
    assert "租赁合同" in found[0]["text"] and "3 个工作日" in found[0]["text"]


def test_staff_label_never_shows_the_full_name(town: Any, clerk_zhou: Any) -> None:
    assert services.staff_label(clerk_zhou) == f"周** (工号 {clerk_zhou.pk:04d})"
    assert clock.now()  # the clock is the project's
