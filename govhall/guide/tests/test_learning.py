"""问题转知识: recording unanswered questions (masked, never raising), grouping them, and a manager's
decision turning a group into a keyword or scenario that the next search finds."""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction
from django.test import Client

from govhall import clock
from govhall.accounts.services import create_token
from govhall.catalog.models import Matter
from govhall.catalog.queries import catalog_version
from govhall.catalog.services import upsert_matters
from govhall.guide import demo, learning, services
from govhall.guide.learning import Item, LearningError, cluster, decide, record_unanswered
from govhall.guide.models import Decision, Question
from govhall.queueing.subjects import mask_text
from govhall.testing import matter

STALL = "330000-ZF-0001"
FAMILY = "330000-YB-0107"
ID_CARD = "330000-GA-0001"
UNFOUND = "摆地摊卖红薯"
AT = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fresh_index() -> Iterator[None]:
    services.reset_index()
    yield
    services.reset_index()


@pytest.fixture(autouse=True)
def _quick_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def catalogue(db: None) -> None:
    upsert_matters(
        [
            matter(STALL, "个体工商户设立登记", department="市场监管局"),
            matter(FAMILY, "基本医疗保险参保人员历年账户家庭共济备案", department="医保局"),
            matter(ID_CARD, "居民身份证补领"),
            matter("330000-NY-0001", "犬只登记", department="农业农村局"),
        ]
    )


def person(username: str, role: str) -> Any:
    create_token(username, role=role)
    user = get_user_model().objects.get(username=username)
    user.set_password("pw-learning-1")
    user.save()
    return user


@pytest.fixture
def manager_wang(catalogue: None) -> Any:
    return person("manager_wang", "manager")


@pytest.fixture
def staff_li(catalogue: None) -> Any:
    return person("staff_li", "staff")


def ask(text: str, source: str = "search", times: int = 1) -> list[int]:
    for _ in range(times):
        record_unanswered(text, source=source)
    return list(Question.objects.filter(text=text).values_list("id", flat=True))


# ---------------------------------------------------------------- masking and recording


@pytest.mark.parametrize(
    ("said", "stored"),
    [
        ("我手机13812345678办不了", "我手机138****5678办不了"),
        ("电话 138-1234-5678 打不通", "电话 138****5678 打不通"),
        ("身份证330102199001011234查不到", "身份证330***********1234查不到"),
        ("证号33010219900101123X", "证号330***********123X"),
        ("老证号330102900101123还能用吗", "老证号330********1123还能用吗"),
        ("卡号6222 0212 3456 7890 123", "卡号622************0123"),
        ("2024年交了12000元社保", "2024年交了12000元社保"),
    ],
)
def test_phone_id_and_card_numbers_are_masked(said: str, stored: str) -> None:
    assert mask_text(said) == stored


def test_an_unanswered_question_is_kept_masked_with_its_key_source_and_conversation(db: None) -> None:
    record_unanswered("  我电话13812345678，摆地摊卖红薯要办啥 ", source="assistant", conversation="c-42")
    row = Question.objects.get()
    assert row.text == "我电话138****5678，摆地摊卖红薯要办啥"
    assert "13812345678" not in row.key and "红薯" in row.key.split()
    assert (row.source, row.conversation, row.decision) == ("assistant", "c-42", None)
    assert abs((row.at - clock.now()).total_seconds()) < 60


@pytest.mark.parametrize(
    ("text", "source"),
    [(None, "search"), (42, "search"), ("摆地摊", "chat"), ("", "search"), ("   ？！", "handoff")],
)
def test_bad_input_stores_nothing_and_never_raises(db: None, text: Any, source: str) -> None:
    record_unanswered(text, source=source)
    assert not Question.objects.exists()


def test_a_storage_failure_is_logged_and_leaves_the_callers_transaction_usable(
    db: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self: Question, *args: Any, **kwargs: Any) -> None:
        raise DatabaseError("disk full")

    monkeypatch.setattr(Question, "save", broken)
    with caplog.at_level(logging.ERROR, logger="govhall.guide.learning"), transaction.atomic():
        record_unanswered("摆地摊卖红薯", source="search")
        assert Matter.objects.count() == 0  # the caller's transaction still works
    assert "could not store" in caplog.text and "disk full" in caplog.text


def test_the_search_endpoint_records_only_what_it_could_not_answer(catalogue: None) -> None:
    client = Client()
    assert client.get("/api/v1/guide/search", {"q": UNFOUND}).json()["results"] == []
    assert client.get("/api/v1/guide/search", {"q": "居民身份证补领"}).json()["results"][0]["code"] == ID_CARD
    client.get("/api/v1/guide/search", {"q": "  "})
    assert list(Question.objects.values_list("text", "source")) == [(UNFOUND, "search")]


# ---------------------------------------------------------------- grouping


def items(*texts: str, source: str = "search") -> list[Item]:
    from govhall.guide.feedback import query_key

    return [Item(i, t, query_key(t), source, AT + dt.timedelta(minutes=i)) for i, t in enumerate(texts, 1)]


def test_near_duplicate_phrasings_form_one_group_with_counts_phrase_and_sources(db: None) -> None:
    found = items(
        "路边摆个摊需要啥手续",
        "路边摆个摊需要啥手续？",
        "在路边摆摊要什么手续",
        "路边摆摊需要办啥手续吗",
        "老爸住院能不能刷我的卡",
        "我爸住院能刷我的卡吗",
        "今天天气怎么样",
    )
    groups = cluster([*found, Item(99, "我爸住院能刷我的卡吗", found[5].key, "handoff", AT)])
    assert [g.count for g in groups] == [4, 3, 1]
    stall, card, weather = groups
    assert stall.phrase == "路边摆个摊需要啥手续"  # the most asked wording, trailing ？ dropped
    assert stall.ids == [1, 2, 3, 4] and stall.newest.id == 4
    assert card.phrase == "我爸住院能刷我的卡吗" and card.sources == {"search": 2, "handoff": 1}
    assert [i.text for i in card.examples()] == ["我爸住院能刷我的卡吗", "老爸住院能不能刷我的卡"]
    assert weather.phrase == "今天天气怎么样"
    assert cluster([]) == []


def test_grouping_hundreds_of_questions_keeps_variants_together(db: None) -> None:
    rng = random.Random(7)
    wordings = [w for w, _, _ in demo.QUESTIONS]
    texts = [rng.choice(wordings) for _ in range(600)]
    groups = cluster(items(*texts))
    assert sum(g.count for g in groups) == 600
    by_text = {i.text: n for n, g in enumerate(groups) for i in g.items}
    assert by_text["路边摆个摊需要啥手续"] == by_text["在路边摆摊要什么手续"]
    assert by_text["老人坐公交免费的卡在哪办"] == by_text["老年人坐公交的免费卡怎么弄"]
    assert by_text["路边摆个摊需要啥手续"] != by_text["老爸住院能不能刷我的卡"]


def test_the_list_shows_open_groups_with_the_searchs_current_best_guess(catalogue: None) -> None:
    ask(UNFOUND, times=2)
    ask("我想摆地摊卖红薯")
    ask("居民身份证丢了补办", source="handoff")
    old = ask("很久以前的问题补办身份证")
    Question.objects.filter(pk__in=old).update(at=clock.now() - dt.timedelta(days=learning.WINDOW_DAYS + 1))
    listing = learning.open_groups()
    assert (listing.total_questions, listing.total_groups) == (4, 2)
    stall, card = listing.groups
    assert stall.group.count == 3 and stall.guess is None  # the search finds nothing for it yet
    assert card.guess is not None and card.guess["code"] == ID_CARD
    assert card.sources == [("转人工", 1)]
    assert learning.open_groups(source="handoff").total_questions == 1


# ---------------------------------------------------------------- decisions


def test_adopting_a_scenario_makes_the_next_search_find_the_matter_first(
    manager_wang: Any, django_capture_on_commit_callbacks: Any
) -> None:
    assert services.search_catalog(UNFOUND)["results"] == []  # the index is built and cached
    ids = ask(UNFOUND, times=3)
    before = catalog_version()
    with django_capture_on_commit_callbacks(execute=True):
        outcome = decide(ids, "scenario", manager_wang, matter_code=STALL, phrase=f" {UNFOUND} ")
    assert outcome.fresh
    decision = outcome.decision
    assert (decision.action, decision.matter_code, decision.phrase) == ("scenario", STALL, UNFOUND)
    assert (decision.added, decision.questions, decision.user) == (True, 3, manager_wang)
    assert Matter.objects.get(code=STALL).scenarios == [UNFOUND]
    assert catalog_version() != before  # other processes rebuild within CHECK_SECONDS
    assert set(Question.objects.values_list("decision", flat=True)) == {decision.pk}
    assert services.search_catalog(UNFOUND)["results"][0]["code"] == STALL
    assert learning.open_groups().total_questions == 0


def test_a_taught_question_is_not_recorded_again_even_when_it_still_scores_low(manager_wang: Any) -> None:
    ids = ask(UNFOUND)
    decide(ids, "scenario", manager_wang, matter_code=STALL, phrase=UNFOUND)
    weak = {"results": [{"code": STALL, "name": "个体工商户设立登记", "score": 0.2}]}
    learning.record_search(f"{UNFOUND}？", weak)
    learning.record_search(UNFOUND, {"results": [{"code": ID_CARD, "name": "居民身份证补领", "score": 0.2}]})
    learning.record_search(
        "犬只登记", {"results": [{"code": "330000-NY-0001", "name": "犬只登记", "score": 0.9}]}
    )
    assert list(Question.objects.filter(decision=None).values_list("text", flat=True)) == [UNFOUND]


def test_adopting_again_changes_nothing_and_names_the_earlier_decision(manager_wang: Any) -> None:
    ids = ask(UNFOUND, times=2)
    first = decide(ids, "keyword", manager_wang, matter_code=STALL, phrase="摆地摊")
    again = decide(ids, "keyword", manager_wang, matter_code=STALL, phrase="摆地摊")
    assert not again.fresh and again.decision.pk == first.decision.pk
    assert Matter.objects.get(code=STALL).keywords == ["摆地摊"]
    assert Decision.objects.count() == 1
    later = ask("摆个地摊")
    third = decide(later, "keyword", manager_wang, matter_code=STALL, phrase="摆地摊")
    assert third.fresh and not third.decision.added  # no duplicate phrase
    assert Matter.objects.get(code=STALL).keywords == ["摆地摊"]


def test_a_bad_matter_code_is_a_clear_error_and_changes_nothing(manager_wang: Any) -> None:
    ids = ask(UNFOUND)
    before = catalog_version()
    with pytest.raises(LearningError) as failure:
        decide(ids, "scenario", manager_wang, matter_code="NO-SUCH", phrase=UNFOUND)
    assert failure.value.status == 404 and "NO-SUCH" in failure.value.detail
    assert catalog_version() == before
    assert not Decision.objects.exists() and Question.objects.get().decision is None


@pytest.mark.parametrize(
    ("ids", "action", "phrase", "reason"),
    [
        (None, "scenario", UNFOUND, "integers"),
        ([], "scenario", UNFOUND, "没有选择"),
        ([10**9], "scenario", UNFOUND, "没有这些问题"),
        ([10**30], "ignore", "", "没有这些问题"),  # beyond any database integer: a 404, not a 500
        ([-1], "ignore", "", "没有这些问题"),
        ("own", "delete", UNFOUND, "unknown action"),
        ("own", "keyword", "   ", "请填写"),
        ("own", "scenario", "长" * 201, "太长"),
    ],
)
def test_bad_decisions_are_refused_and_change_nothing(
    manager_wang: Any, ids: Any, action: str, phrase: str, reason: str
) -> None:
    own = ask(UNFOUND)
    with pytest.raises(LearningError, match=reason):
        decide(own if ids == "own" else ids, action, manager_wang, matter_code=STALL, phrase=phrase)
    assert Matter.objects.get(code=STALL).scenarios == [] and not Decision.objects.exists()


def test_ignoring_hides_the_group_and_leaves_the_catalogue_alone(manager_wang: Any) -> None:
    ids = ask("今天天气怎么样", times=2)
    before = catalog_version()
    outcome = decide(ids, "ignore", manager_wang, matter_code="anything")
    assert (outcome.decision.action, outcome.decision.questions, outcome.decision.phrase) == ("ignore", 2, "")
    assert catalog_version() == before
    assert learning.open_groups().groups == []


def test_a_phrase_with_a_phone_number_is_masked_before_it_reaches_the_catalogue(manager_wang: Any) -> None:
    ids = ask(UNFOUND)
    decide(ids, "scenario", manager_wang, matter_code=STALL, phrase="打13812345678问摆地摊")
    assert Matter.objects.get(code=STALL).scenarios == ["打138****5678问摆地摊"]


# ---------------------------------------------------------------- the manage page


def test_the_page_needs_a_manager(staff_li: Any) -> None:
    client = Client()
    assert client.get("/manage/guide/questions")["Location"].startswith("/accounts/login/")
    client.force_login(staff_li)
    assert client.get("/manage/guide/questions").status_code == 403
    assert client.post("/manage/guide/questions/decide", {"ids": "1", "action": "ignore"}).status_code == 403


def test_a_manager_adopts_a_group_through_the_page(manager_wang: Any) -> None:
    ids = ask(UNFOUND, times=2)
    ask("居民身份证丢了补办")
    client = Client()
    client.force_login(manager_wang)
    page = client.get("/manage/guide/questions").content.decode()
    assert "问题转知识" in page and UNFOUND in page and "当前搜索首位：居民身份证补领" in page
    assert f'value="{ids[0]},{ids[1]}"' in page
    bad = client.post(
        "/manage/guide/questions/decide",
        {"ids": f"{ids[0]},{ids[1]}", "action": "scenario", "matter": "NO-SUCH", "phrase": UNFOUND},
        follow=True,
    )
    assert "未处理" in bad.content.decode() and Matter.objects.get(code=STALL).scenarios == []
    done = client.post(
        "/manage/guide/questions/decide",
        {
            "ids": f"{ids[0]},{ids[1]}",
            "action": "scenario",
            "matter": "个体工商户设立登记",
            "phrase": UNFOUND,
        },
        follow=True,
    )
    text = done.content.decode()
    assert "已加为「个体工商户设立登记」的办事场景，2 个问题已处理" in text
    assert Matter.objects.get(code=STALL).scenarios == [UNFOUND]
    assert 'data-action="scenario"' in text and "manager_wang" in text  # the audit row


# ---------------------------------------------------------------- demo


def test_demo_questions_load_once_masked_and_grouped(db: None) -> None:
    demo.load(random.Random(1), clock.now())
    count = Question.objects.count()
    demo.load(random.Random(2), clock.now())
    assert Question.objects.count() == count == sum(n for _, _, n in demo.QUESTIONS)
    texts = " ".join(Question.objects.values_list("text", flat=True))
    assert "13812345678" not in texts and "330299199001011234" not in texts
    groups = learning.cluster(learning.open_items())
    assert groups[0].count >= 7 and len(groups) < len(demo.QUESTIONS)


# ---------------------------------------------------------------- the manager API


def test_the_api_lists_groups_and_decides_for_managers_only(manager_wang: Any, staff_li: Any) -> None:
    ids = ask(UNFOUND, times=2)
    manager = {"HTTP_AUTHORIZATION": f"Bearer {create_token('manager_wang', role='manager')}"}
    staff = {"HTTP_AUTHORIZATION": f"Bearer {create_token('staff_li', role='staff')}"}
    client = Client()
    assert client.get("/api/v1/guide/questions").status_code == 401
    assert client.get("/api/v1/guide/questions", **staff).status_code == 403
    assert client.get("/api/v1/guide/questions", {"source": "chat"}, **manager).status_code == 422
    listing = client.get("/api/v1/guide/questions", **manager).json()
    assert listing["total_questions"] == 2
    group = listing["groups"][0]
    assert (group["ids"], group["phrase"], group["sources"]) == (sorted(ids), UNFOUND, {"search": 2})

    def post(body: dict[str, Any], who: dict[str, str]) -> Any:
        return client.post("/api/v1/guide/questions/decide", body, content_type="application/json", **who)

    body = {"ids": group["ids"], "action": "keyword", "matter": STALL, "phrase": group["phrase"]}
    assert post(body, staff).status_code == 403
    missing = post({**body, "matter": "NO-SUCH"}, manager)
    assert missing.status_code == 404 and "NO-SUCH" in missing.json()["detail"]
    assert post({**body, "ids": []}, manager).status_code == 422
    done = post(body, manager)
    assert done.status_code == 201
    assert done.json() | {"id": 0, "at": ""} == {
        "id": 0,
        "action": "keyword",
        "matter": STALL,
        "phrase": UNFOUND,
        "added": True,
        "questions": 2,
        "fresh": True,
        "by": "manager_wang",
        "at": "",
    }
    assert post(body, manager).status_code == 200  # again: nothing changes
    assert Matter.objects.get(code=STALL).keywords == [UNFOUND]
