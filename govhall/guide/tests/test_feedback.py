"""Learned ranking from clicks and staff corrections: one user cannot poison it, many can lift a
matter, staff corrections act at once, and the frozen evaluation does not get worse with it."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client

from govhall.accounts.services import create_token
from govhall.catalog.services import import_catalog
from govhall.guide import feedback, services
from govhall.guide.models import Click, Correction
from govhall.testing import SAMPLE_CATALOG

ID_FIRST = "331082-GA-6737"  # 居民身份证首次申领
ID_RENEWAL = "331082-GA-4318"  # 居民身份证换领
ID_REISSUE = "331082-GA-8582"  # 居民身份证补领
DIVORCE = "331082-MZ-2986"
DEATH = "331082-GA-6680"  # 死亡人员户口注销
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
QUESTION = "身份证的事情"


@pytest.fixture(autouse=True)
def fresh_index() -> Iterator[None]:
    services.reset_index()
    yield
    services.reset_index()


@pytest.fixture
def catalogue(db: None) -> None:
    import_catalog(SAMPLE_CATALOG)


def codes(query: str) -> list[str]:
    return [r["code"] for r in services.search_catalog(query, top=3)["results"]]


def click(query: str, matter: str, session: str) -> int:
    return (
        Client()
        .post(
            "/api/v1/guide/feedback",
            {"query": query, "matter": matter, "session": session},
            content_type="application/json",
        )
        .status_code
    )


def correct(query: str, matter: str, token: str) -> Any:
    """A staff correction through the API."""
    return Client().post(
        "/api/v1/guide/corrections",
        {"query": query, "matter": matter},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


# ---------------------------------------------------------------- pure rules


def test_query_key_ignores_order_punctuation_and_script() -> None:
    assert feedback.query_key("身份证 丢了！") == feedback.query_key("丢了，身份證")
    assert feedback.query_key("？？") == ""


def test_one_subject_counts_once_however_often_it_clicks() -> None:
    many = [feedback.Click("k", "M", "one", NOW - dt.timedelta(minutes=i)) for i in range(500)]
    assert feedback.boosts(many, [], NOW) == {}
    two_more = many + [feedback.Click("k", "M", s, NOW) for s in ("two", "three")]
    boost = feedback.boosts(two_more, [], NOW)[("k", "M")]
    assert 0 < boost <= feedback.CLICK_CAP


def test_click_boost_is_capped_decays_and_stays_below_a_correction() -> None:
    crowd = [feedback.Click("k", "M", f"s{i}", NOW) for i in range(10_000)]
    assert feedback.boosts(crowd, [], NOW)[("k", "M")] == feedback.CLICK_CAP
    fresh = feedback.boosts(crowd[:5], [], NOW)[("k", "M")]
    old = feedback.boosts(
        [c.__class__(c.key, c.matter, c.subject, NOW - dt.timedelta(days=120)) for c in crowd[:5]], [], NOW
    )
    assert old[("k", "M")] < fresh
    gone = [feedback.Click("k", "M", f"s{i}", NOW - dt.timedelta(days=400)) for i in range(50)]
    assert feedback.boosts(gone, [], NOW) == {}
    fixed = feedback.boosts(crowd, [feedback.Correction("k", "N", NOW)], NOW)
    assert fixed[("k", "N")] > fixed[("k", "M")]


def test_a_subject_clicking_everything_is_split_between_them() -> None:
    spread = [feedback.Click("k", m, f"s{i}", NOW) for i in range(3) for m in "ABCDEF"]
    focused = [feedback.Click("k", "A", f"s{i}", NOW) for i in range(3)]
    assert feedback.boosts(spread, [], NOW)[("k", "A")] < feedback.boosts(focused, [], NOW)[("k", "A")]


def test_frozen_evaluation_is_not_worse_with_feedback_on() -> None:
    """Simulated traffic over the frozen set (its questions left out of the example bank): honest
    citizens (who click the right answer in the top 3 when they see it) plus a poisoner who clicks a
    wrong matter for every question 50 times."""
    from govhall.guide.evaluation import FROZEN, index_for, load_jsonl

    index = index_for(FROZEN)
    questions = load_jsonl(FROZEN)
    rng = random.Random(7)
    names = {d.code: d.name for d in index.docs}
    clicks, plain, learned = [], 0, 0
    answers = {}
    for q in questions:
        hits = index.search(q["query"], top=feedback_pool()).as_dict()["results"]
        answers[q["query"]] = hits
        key = feedback.query_key(q["query"])
        shown = [h["code"] for h in hits[:3]]
        wanted = [c for c in shown if c in q["expected"]]
        for person in range(rng.randint(0, 6)):
            if wanted:
                clicks.append(feedback.Click(key, wanted[0], f"p{person}", NOW))
        wrong = next(c for c in names if c not in q["expected"])
        clicks += [feedback.Click(key, wrong, "poisoner", NOW)] * 50
    table = feedback.boosts(clicks, [], NOW)
    for q in questions:
        key = feedback.query_key(q["query"])
        boost = {m: b for (k, m), b in table.items() if k == key}
        hits = answers[q["query"]]
        plain += bool(hits) and hits[0]["code"] in q["expected"]
        ranked = feedback.apply(hits, boost, names, 3)
        learned += bool(ranked) and ranked[0]["code"] in q["expected"]
    assert learned >= plain


def feedback_pool() -> int:
    return services.FEEDBACK_POOL


# ---------------------------------------------------------------- through the database and API


@pytest.mark.django_db
def test_many_clicks_from_one_session_change_nothing(catalogue: None) -> None:
    before = codes(QUESTION)
    target = next(c for c in (ID_REISSUE, ID_RENEWAL, ID_FIRST) if c != before[0])
    with time_machine.travel(NOW, tick=False) as traveller:
        for _ in range(30):
            assert click(QUESTION, target, "session-one-user") == 202
            traveller.shift(dt.timedelta(hours=2))
    assert Click.objects.count() == 30
    assert codes(QUESTION) == before


@pytest.mark.django_db
def test_repeated_clicks_within_the_hour_are_stored_once(catalogue: None) -> None:
    with time_machine.travel(NOW, tick=False):
        bodies = [
            Client()
            .post(
                "/api/v1/guide/feedback",
                {"query": QUESTION, "matter": ID_REISSUE, "session": "session-abcdef"},
                content_type="application/json",
            )
            .json()
            for _ in range(3)
        ]
    assert [b["recorded"] for b in bodies] == [True, False, False]
    assert Click.objects.count() == 1
    assert "session-abcdef" not in Click.objects.get().subject


@pytest.mark.django_db
def test_clicks_from_enough_distinct_citizens_lift_the_matter(catalogue: None) -> None:
    before = codes(QUESTION)
    target = before[1]
    with time_machine.travel(NOW, tick=False):
        for person in range(feedback.MIN_SUBJECTS - 1):
            click(QUESTION, target, f"citizen-{person:04d}")
        assert codes(QUESTION)[0] == before[0]  # below the minimum: nothing yet
        for person in range(feedback.MIN_SUBJECTS - 1, 12):
            click(QUESTION, target, f"citizen-{person:04d}")
        assert codes(QUESTION)[0] == target
        # the same words in another order count for the same question
        assert codes("的事情 身份证")[0] == target
        # other questions are untouched
        assert codes("护照过期了换新的")[0] == "331082-GA-9847"


@pytest.mark.django_db
def test_a_staff_correction_works_at_once_and_replaces_earlier_ones(catalogue: None) -> None:
    token = create_token("clerk", role="staff")
    question = "想和老伴分开过"
    assert DIVORCE not in codes(question)[:1]
    with time_machine.travel(NOW, tick=False):
        response = correct(question, DIVORCE, token)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["matter"] == DIVORCE and body["by"] == "clerk"
    assert codes(question)[0] == DIVORCE
    correct(question, ID_REISSUE, token)
    assert codes(question)[0] == ID_REISSUE
    assert list(Correction.objects.filter(active=True).values_list("matter_code", flat=True)) == [ID_REISSUE]


@pytest.mark.django_db
def test_feedback_refuses_bad_input_and_stores_nothing(catalogue: None) -> None:
    client = Client()
    post = client.post
    cases = [
        ({"query": "身份证", "matter": "NOPE-1", "session": "session-xyz1"}, 404),
        ({"query": "   ", "matter": ID_REISSUE, "session": "session-xyz1"}, 422),
        ({"query": "身份证", "matter": ID_REISSUE, "session": "short"}, 422),
        ({"query": "身份证", "matter": ID_REISSUE}, 422),
        ({"query": "护照过期了换新的", "matter": DIVORCE, "session": "session-xyz1"}, 422),  # not offered
    ]
    for payload, status in cases:
        response = post("/api/v1/guide/feedback", payload, content_type="application/json")
        assert response.status_code == status, payload
        assert "detail" in response.json()
    assert Click.objects.count() == 0
    anonymous = post(
        "/api/v1/guide/corrections",
        {"query": "身份证", "matter": ID_REISSUE},
        content_type="application/json",
    )
    assert anonymous.status_code == 401
    assert "detail" in anonymous.json()
    assert Correction.objects.count() == 0


@pytest.mark.django_db
def test_a_corrected_question_also_teaches_questions_worded_like_it(
    catalogue: None, django_capture_on_commit_callbacks: Any
) -> None:
    """The correction becomes an example of its matter (常见问法): another wording of the same
    need, which the correction's exact-question boost does not reach, finds the matter too."""
    question, reworded = "老爷子没了 户口本上他那页怎么办", "老爷子过世了 户口本上他那一页咋处理"
    assert feedback.query_key(question) != feedback.query_key(reworded)
    assert codes(reworded)[0] != DEATH
    token = create_token("clerk", role="staff")
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        response = correct(question, DEATH, token)
    assert response.status_code == 201, response.content
    assert question in services.current_index().examples
    assert codes(reworded)[0] == DEATH
