"""The booklet's rules alone: life events, the plain line, links, the bundle rule and the ranking."""

from __future__ import annotations

import pytest

from govhall.booklet import rules
from govhall.booklet.rules import MatterText


def event(name: str, **fields: object) -> str:
    return rules.life_event(MatterText("X", name, **fields)).label  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "fields", "label"),
    [
        ("出生登记", {}, "出生"),
        ("住房公积金提取(职工死亡或被宣告死亡)", {}, "身后事"),  # the specific event beats 住房
        ("企业职工基本养老保险待遇申领", {}, "养老"),  # beats 企业
        ("存量房交易税费申报", {}, "住房"),
        ("往来港澳通行证签注", {}, "出行/车驾"),
        ("义务教育阶段新生入学登记", {}, "上学"),
        ("失业保险金申领", {}, "就业创业"),
        ("基本医疗保险参保人员异地就医备案", {}, "社保医保"),
        ("生育登记", {"scenarios": ("怀孕了要不要办准生证",)}, "婚育"),
        ("残疾人证新办", {}, "救助帮扶"),
        ("居住证申领", {}, "户籍证件"),
    ],
)
def test_the_name_decides_first(name: str, fields: dict[str, object], label: str) -> None:
    assert event(name, **fields) == label


def test_keywords_and_scenarios_decide_when_the_name_says_nothing() -> None:
    assert event("特定情形备案", keywords=("公积金",)) == "住房"
    assert event("特定情形备案", scenarios=("孩子明年上学，要准备什么",)) == "上学"


def test_the_department_decides_when_no_word_matches() -> None:
    assert event("证明开具", department="公安局交通警察支队") == "出行/车驾"  # before 公安
    assert event("证明开具", department="公安局") == "户籍证件"
    assert event("证明开具", department="医疗保障局") == "社保医保"


def test_enterprise_only_matters_are_business_whatever_their_words() -> None:
    assert event("单位住房公积金缴存登记", audience=("enterprise",)) == "企业开办/经营"
    assert event("单位住房公积金缴存登记", audience=("person", "enterprise")) == "住房"


def test_what_matches_nothing_is_other() -> None:
    assert event("人民调解申请", department="司法局", audience=("person",)) == "其他"
    assert rules.event_order()[-1] is rules.OTHER


def test_the_line_is_the_first_scenario_in_plain_words() -> None:
    text = MatterText("X", "出生登记", keywords=("报户口",), scenarios=("宝宝刚出生，户口怎么上", "别的"))
    assert rules.plain_line(text) == "宝宝刚出生，户口怎么上"


def test_a_long_line_is_cut_at_a_clause_mark_else_with_an_ellipsis() -> None:
    clause = "退休后跟着儿子住到外省居住了好几年，看病怎么用江澜的医保，要不要先备案登记"
    assert rules.shorten(clause) == "退休后跟着儿子住到外省居住了好几年，看病怎么用江澜的医保"
    solid = "甲" * 40
    assert rules.shorten(solid) == "甲" * 29 + "…"
    assert all(len(rules.shorten(t)) <= rules.LINE_CAP for t in (clause, solid))
    assert rules.shorten("  短句。 ") == "短句"


def test_without_scenarios_the_line_falls_back_to_keywords_description_name() -> None:
    assert rules.plain_line(MatterText("X", "低压用电报装", keywords=("接电", "装电表"))) == "接电、装电表"
    described = MatterText("X", "某某许可", description="开店前申请。材料齐全当场办结。")
    assert rules.plain_line(described) == "开店前申请"
    assert rules.plain_line(MatterText("X", "某某许可")) == "某某许可"


def test_the_catalogue_link_wins_when_it_is_a_usable_url() -> None:
    template = "https://zwfw.example.gov.cn/matter/{code}"
    assert rules.online_link("A-1", {"online_url": "https://x.example/a"}, template) == "https://x.example/a"
    assert rules.online_link("A-1", {"url": "https://x.example/b"}, template) == "https://x.example/b"
    for bad in ("javascript:alert(1)", "https://x.example/a b", "https://x/" + "a" * 300, 42):
        assert rules.online_link("A-1", {"online_url": bad}, template) == template.format(code="A-1")


def test_the_built_link_quotes_the_opaque_code() -> None:
    link = rules.online_link("33/00 甲", {}, "https://e.example/m/{code}")
    assert link == "https://e.example/m/33%2F00%20%E7%94%B2"


@pytest.mark.parametrize(
    ("online", "total", "listed"),
    [(6, 6, True), (6, 7, True), (3, 4, True), (2, 3, False), (1, 3, False), (0, 0, False)],
)
def test_a_bundle_is_listed_when_three_quarters_of_it_is_online(
    online: int, total: int, listed: bool
) -> None:
    assert rules.bundle_is_online(online, total) is listed


def test_ranking_by_demand_then_bundles_then_code() -> None:
    codes = ["c", "a", "b", "d"]
    demand = {"a": 5, "b": 2, "c": 2}
    bundled = {"c": 1, "d": 3}
    assert rules.rank(codes, demand, bundled, top=10) == ["a", "c", "b", "d"]
    assert rules.rank(codes, demand, bundled, top=2) == ["a", "c"]
    assert rules.rank(codes, {}, {}, top=0) == []


def test_levels() -> None:
    assert rules.handled_at(["city"], None)
    assert rules.handled_at(["city", "town"], "town")
    assert not rules.handled_at(["city"], "town")
    assert rules.handled_at([], "village")
