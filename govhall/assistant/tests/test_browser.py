"""政小云 in the browser: a citizen's plain question answered by the bot on `/` (situation follow-up,
materials, a hall, a remote ticket), and a handover answered live by online staff in the inbox."""

from __future__ import annotations

from typing import Any

import pytest

from govhall.assistant.models import Conversation, Outcome, State
from govhall.assistant.tests.conftest import BIRTH, PASSWORD
from govhall.queueing.models import Ticket
from govhall.web.tests.browser import Pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844, "is_mobile": True, "has_touch": True}


def log_in(page: Any, username: str) -> None:
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_the_bot_answers_a_plain_question_with_the_matter_materials_and_a_hall(
    pages: Pages, town: Any
) -> None:
    phone = pages.open("/", **PHONE)
    phone.fill("#q", "孩子刚出生怎么上户口")
    phone.press("#q", "Enter")
    # 出生登记 has two 办事情形: the bot asks which one first
    phone.wait_for_selector("#followup button[data-situation='父母一方为外地户籍']", timeout=30000)
    assert "分几种情形" in (phone.text_content("#followup") or "")
    phone.click("#followup button[data-situation='父母一方为外地户籍']")
    phone.wait_for_selector("#chat li.msg.bot:has-text('结婚证')")
    said = phone.locator("#chat li.msg.bot").last.text_content() or ""
    assert "出生登记（新生儿落户）" in said and "即办" in said

    best = phone.locator("#results .guide-card").first
    assert best.get_attribute("data-code") == BIRTH
    facts = best.locator("dl.facts").text_content() or ""
    assert "出生医学证明" in facts and "结婚证" in facts and "不收费" in facts
    halls = best.locator(".hall-row")
    assert {halls.nth(i).get_attribute("data-hall") for i in range(halls.count())} == {"qiao", "city"}
    assert best.locator(".hall-row a.book").first.get_attribute("href").startswith("/book/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    halls.first.locator("button.take").click()
    halls.first.locator(".hall-result.ok a.my-ticket").wait_for()
    ticket = Ticket.objects.get(channel="remote")
    talk = Conversation.objects.get()
    assert (talk.state, talk.bot_answered, talk.ticket_id, talk.outcome) == (
        State.BOT,
        True,
        ticket.pk,
        Outcome.WINDOW,
    )
    pages.assert_no_console_errors()


def test_a_handover_is_claimed_in_the_inbox_and_answered_live(pages: Pages, town: Any, clerk_li: Any) -> None:
    phone = pages.open("/", **PHONE)
    phone.fill("#q", "隔壁邻居半夜唱卡拉OK太吵")
    phone.press("#q", "Enter")
    phone.wait_for_selector("#chat li.msg.bot button.handoff-inline", timeout=30000)
    phone.click("#handoff")
    phone.wait_for_selector("#chat-staff:has-text('正在为您转接人工客服')")
    assert phone.locator("#handoff").is_hidden()

    desk = pages.open("/manage/assistant/inbox")
    log_in(desk, "clerk_li")
    desk.wait_for_url("**/manage/assistant/inbox")
    desk.click("#inbox li[data-state=waiting] button:has-text('隔壁邻居半夜唱卡拉OK太吵')")
    desk.wait_for_selector("#transcript li.citizen:has-text('隔壁邻居半夜唱卡拉OK太吵')")
    assert desk.locator("#transcript li.bot").count() >= 2  # the greeting and the bot's "don't know"
    desk.click("#claim")
    desk.wait_for_selector("#reply:not([hidden])")

    # the citizen sees who answers, live
    phone.wait_for_selector("#chat-staff:has-text('工作人员 李** (工号 A017) 为您服务')")
    assert "李梅" not in (phone.content() or "")

    # a quick reply from the catalogue, then the staff member's own words
    desk.fill("#quick-q", "出生登记")
    desk.click("#quick-list button:has-text('出生登记（新生儿落户）')")
    assert "出生医学证明" in desk.input_value("#reply-text")
    desk.fill("#reply-text", "夜间噪音可以拨打110或12345反映，我们也会转给社区处理。")
    desk.press("#reply-text", "Enter")
    answer = phone.locator("#chat li.msg.staff")
    answer.wait_for()
    assert "12345" in (answer.text_content() or "") and "工作人员 李** (工号 A017)" in (
        answer.text_content() or ""
    )

    desk.select_option("#close-outcome", "staff")
    desk.click("#close-btn")
    phone.wait_for_selector("#chat li.msg.system:has-text('本次服务已结束')")
    talk = Conversation.objects.get()
    assert (talk.state, talk.outcome, talk.claimed_by_id) == (State.CLOSED, Outcome.STAFF, clerk_li.pk)
    pages.assert_no_console_errors()
