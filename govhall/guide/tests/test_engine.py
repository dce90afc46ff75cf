"""The retrieval engine alone: no database, sample catalogue and the project's own question sets."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govhall.guide.engine import SearchIndex, name_stem, normalize
from govhall.guide.evaluation import DATA, SHARED_SAMPLE, evaluate, load_jsonl
from govhall.guide.text import init_libraries, said_in


@pytest.fixture(scope="module")
def sample_index() -> SearchIndex:
    return SearchIndex(load_jsonl(SHARED_SAMPLE / "catalog.jsonl"))


@pytest.fixture(scope="module")
def wide_index() -> SearchIndex:
    """The sample catalogue plus 44 matters of other departments: more distractors."""
    return SearchIndex(load_jsonl(SHARED_SAMPLE / "catalog.jsonl") + load_jsonl(DATA / "catalog_extra.jsonl"))


def top(index: SearchIndex, query: str, n: int = 1) -> list[str]:
    return [h.code for h in index.search(query, top=n).results]


def test_normalize_folds_width_case_and_traditional_characters() -> None:
    assert normalize("  身分證　ＳＦＺ  戶口簿 ") == "身分证 sfz 户口簿"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("身粉证补办", "331082-GA-8582"),  # homophone typo
        ("结婚登纪", "331082-MZ-1343"),
        ("低保申清", "331082-MZ-4630"),
        ("身分證遺失", "331082-GA-8582"),  # traditional + Taiwan wording
        ("sfz丢了", "331082-GA-8582"),  # initials
        ("shebaoka shenling", "331082-RS-8361"),  # full pinyin
        ("gjj提取 租房", "331082-GJJ-3210"),
        ("passport renewal", "331082-GA-9847"),  # English
        ("ID card lost", "331082-GA-8582"),
    ],
)
def test_understands_typos_scripts_and_languages(sample_index: SearchIndex, query: str, code: str) -> None:
    assert top(sample_index, query) == [code]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("头一回办身份证", "331082-GA-6737"),
        ("身份证不见了", "331082-GA-8582"),
        ("身份证过期了", "331082-GA-4318"),
        ("个体户不干了", "331082-SJ-1673"),
        ("开个体户", "331082-SJ-9567"),
        ("个体户改经营地址", "331082-SJ-9719"),
    ],
)
def test_the_words_for_the_action_pick_among_near_duplicates(
    sample_index: SearchIndex, query: str, code: str
) -> None:
    assert top(sample_index, query) == [code]


def test_an_open_question_over_near_duplicates_asks_which_one(sample_index: SearchIndex) -> None:
    result = sample_index.search("护照", top=5)
    codes = [h.code for h in result.results]
    assert set(codes[:3]) == {"331082-GA-9580", "331082-GA-9847", "331082-GA-6601"}
    assert result.ask is not None
    assert {o["code"] for o in result.ask["options"]} >= {"331082-GA-9847", "331082-GA-6601"}
    assert all(o["label"] for o in result.ask["options"])


def test_no_question_when_the_query_already_names_the_action(sample_index: SearchIndex) -> None:
    assert sample_index.search("护照丢了补办", top=5).ask is None


def test_results_are_ranked_limited_and_scored(sample_index: SearchIndex) -> None:
    result = sample_index.search("公积金", top=3)
    scores = [h.score for h in result.results]
    assert len(scores) == 3
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s < 1 for s in scores)
    assert result.as_dict()["query"] == "公积金"


@pytest.mark.parametrize("query", ["", "   ", "？？？", "zzzzqqq", "😀"])
def test_empty_or_meaningless_queries_give_empty_or_few_results(
    sample_index: SearchIndex, query: str
) -> None:
    result = sample_index.search(query, top=5)
    assert result.query == query.strip()
    if not query.strip():
        assert result.results == []


def test_retrieval_works_from_name_and_description_alone() -> None:
    index = SearchIndex(
        [
            {
                "code": "A",
                "name": "建设工程规划许可证核发",
                "description": "在城市规划区内新建房屋须申请许可。",
            },
            {"code": "B", "name": "犬只登记", "description": "养狗的居民为犬只办理登记和免疫。"},
            {"code": "C", "name": "燃气经营许可证核发"},
        ]
    )
    assert top(index, "养狗要登记吗") == ["B"]
    assert top(index, "盖房子规划许可") == ["A"]
    assert top(index, "燃气") == ["C"]


def test_an_empty_catalogue_answers_nothing() -> None:
    assert SearchIndex([]).search("身份证").results == []


def test_name_stem_drops_the_variant_words() -> None:
    assert name_stem("居民身份证首次申领") == name_stem("居民身份证补领") == name_stem("居民身份证换领")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60))
def test_any_text_gets_a_well_formed_answer(sample_index: SearchIndex, text: str) -> None:
    result = sample_index.search(text, top=4)
    assert len(result.results) <= 4
    scores = [h.score for h in result.results]
    assert scores == sorted(scores, reverse=True)
    assert all(h.why and len(h.why) <= 30 and h.department for h in result.results)


@pytest.mark.parametrize(
    ("query", "said", "source"),
    [
        ("身份证丢了", ["身份证", "丢了"], ""),
        ("老爷子走了 户口怎么办", ["走了→死亡", "户口"], "事项名称"),  # lexicon reading shown
        ("身粉证补办", ["身粉证→身份证"], ""),  # spelling fix shown
        ("孩子刚生下来怎么上户口", ["上户口"], "报户口"),  # the matching keyword is quoted
    ],
)
def test_why_names_the_words_that_matched_and_where(
    sample_index: SearchIndex, query: str, said: list[str], source: str
) -> None:
    hit = sample_index.search(query, top=1).results[0]
    assert all(part in hit.why for part in said), hit.why
    assert source in hit.why, hit.why
    assert len(hit.why) <= 30
    assert hit.department == "公安局"


def test_a_long_story_is_read_for_what_it_asks() -> None:
    """The question part of a story (the words before 怎么办) outweighs what it tells on the way."""
    index = SearchIndex(
        [
            {"code": "TAX", "name": "存量房交易税费申报", "keywords": ["二手房交税"], "department": "税务局"},
            {"code": "DEED", "name": "房屋转移登记", "keywords": ["二手房过户", "买房办证"]},
            {"code": "SIGN", "name": "存量房买卖合同网签备案", "keywords": ["二手房网签"]},
        ]
    )
    story = "我在这边买了套二手房，中介说要先网签再过户，办证的事以后再说，我想先弄清楚交税这一步怎么办"
    assert top(index, story) == ["TAX"]
    assert top(index, "二手房过户要带什么") == ["DEED"]


def test_pinyin_initials_combine_known_abbreviations_and_catalogue_words() -> None:
    index = SearchIndex(
        [
            {"code": "DB", "name": "最低生活保障申请", "keywords": ["低保"]},
            {"code": "TK", "name": "特困人员救助供养申请"},
            {"code": "GJJ", "name": "住房公积金提取(租赁住房)"},
        ]
    )
    assert top(index, "dbsq") == ["DB"]  # db (低保) + sq (申请)
    assert top(index, "gjjtq") == ["GJJ"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("阿拉爷爷走脱了户口哪能弄", "331082-GA-6680"),  # a dialect word of the death family
        ("爷爷过辈了户口要销掉", "331082-GA-6680"),
        ("replace a lost ID card", "331082-GA-8582"),  # "replace" alone does not mean renewal
    ],
)
def test_lexicon_families_reach_the_matter(sample_index: SearchIndex, query: str, code: str) -> None:
    assert top(sample_index, query) == [code]


def test_a_lexicon_reading_does_not_overrule_the_question_s_own_words() -> None:
    """单位 is a word the catalogue uses; its lexicon readings (用人单位 …, and 没单位 → 灵活就业) may
    tip a close call but not outweigh 失业 + 登记 said outright."""
    index = SearchIndex(
        [
            {
                "code": "LOST",
                "name": "失业登记",
                "keywords": ["失业"],
                "description": "失业人员到街道办理失业登记。",
            },
            {
                "code": "HIRED",
                "name": "就业登记",
                "keywords": ["用人单位招用"],
                "description": "用人单位招用人员后办理。",
            },
            {
                "code": "FREE",
                "name": "灵活就业人员参保登记",
                "keywords": ["灵活就业"],
                "description": "没有单位的人个人参保。",
            },
        ]
    )
    assert top(index, "没单位了要做失业登记吗") == ["LOST"]
    assert top(index, "打零工的自由职业怎么参保") == ["FREE"]  # a word the catalogue lacks: read freely


def test_an_alternative_phrasing_weighs_no_more_than_twice_the_phrase_said(sample_index: SearchIndex) -> None:
    q = sample_index.understand("没收入")
    said = sum(q.concepts[0][0].values())
    for concept in q.concepts[1:]:
        for alternative in concept:
            assert sum(alternative.values()) <= 2 * said + 1e-9


def test_a_word_the_catalogue_never_uses_counts_through_its_characters() -> None:
    """回族 and 汉族 appear in no matter; 族 does (民族)."""
    index = SearchIndex(
        [
            {
                "code": "NATION",
                "name": "民族成分变更登记",
                "description": "父母民族成分不同的，可申请变更民族成分。",
            },
            {
                "code": "FIX",
                "name": "更正登记",
                "keywords": ["户口信息写错"],
                "description": "户口登记项目有误的更正。",
            },
        ]
    )
    assert top(index, "汉族想改成回族") == ["NATION"]


@pytest.mark.parametrize(
    ("text", "term", "said"),
    [
        ("开发的楼盘取名字，需要民政审批吗", "政审", False),  # 民政|审批
        ("我妈眼睛基本看不见了", "看不见", True),
        ("新买的车怎么上牌照", "上牌", True),  # 上|牌照: starts where a word starts
        ("想开个烧烤店", "烧烤", True),  # inside one word
        ("身份证丢了", "丢了", True),
    ],
)
def test_a_phrase_is_said_only_as_words_of_the_question(text: str, term: str, said: bool) -> None:
    init_libraries()
    assert said_in(term, text) is said


def test_lexicon_phrases_spelt_across_two_words_are_not_read(sample_index: SearchIndex) -> None:
    expansions = sample_index.understand("开发的新楼盘要取个正式的名字，需要民政审批吗").info["expansions"]
    assert not [alts for _, alts in expansions if "无犯罪记录证明" in alts]  # 政审 is not said


@pytest.mark.parametrize(
    ("query", "fixes"),
    [
        ("户口薄丢了", [("户口薄", "户口簿")]),  # a look-alike typo
        ("医保异地就医被案", [("被案", "备案")]),  # a common character, but the very same sound
        ("准备买房，公积金能贷多少", []),  # 能 is a word of its own: not 公积金提
        ("想把户口迁过来", []),  # 把 is not 报 (报户口 is an everyday phrase, not a catalogue word)
        ("我老公是独子", []),  # 老公|是 is two words: not 公示
    ],
)
def test_only_a_misspelt_word_is_read_as_a_typo(
    sample_index: SearchIndex, query: str, fixes: list[tuple[str, str]]
) -> None:
    assert sample_index.understand(query).info["fixes"] == fixes


def test_a_typo_fix_reads_stray_characters_before_gluing_one_onto_a_word(demo_index: SearchIndex) -> None:
    """页登记 is one character off 已登记 (a catalogue word) and 失页 one off 失业: the fix that
    makes a word of characters nothing reads yet wins over the one that extends the known 登记."""
    assert demo_index.understand("失页登记在哪办").info["fixes"] == [("失页", "失业")]
    assert demo_index.search("失页登记在哪办", 1).results[0].name == "失业登记"


def test_pinyin_typed_a_syllable_at_a_time(demo_index: SearchIndex) -> None:
    q = demo_index.understand("yyzz diu le zenme bu")
    assert "丢了" in q.info["text"] and "reissue" in q.intents
    assert demo_index.understand("wo de shebaoka diule").info["text"] == "社保卡 丢了"  # de is not 定额


@pytest.mark.parametrize(
    ("catalogue", "queries"),
    [
        ("sample", SHARED_SAMPLE / "queries.jsonl"),
        ("sample", DATA / "queries_sample.jsonl"),
        ("wide", DATA / "queries_extra.jsonl"),
        ("wide", DATA / "queries_heldout.jsonl"),
    ],
)
def test_accuracy_on_the_question_sets(
    sample_index: SearchIndex, wide_index: SearchIndex, catalogue: str, queries: object
) -> None:
    """Regression guard: the figures in docs/guide.md must not silently fall."""
    index = sample_index if catalogue == "sample" else wide_index
    result = evaluate(index, load_jsonl(queries))  # type: ignore[arg-type]
    n = result["all"]["n"]
    assert n >= 20
    assert result["all"]["top1"] / n >= 0.85, result["misses"]
    assert result["all"]["top3"] / n >= 0.95, result["misses"]


def test_queries_are_fast(wide_index: SearchIndex) -> None:
    queries = [q["query"] for q in load_jsonl(DATA / "queries_extra.jsonl")]
    started = time.perf_counter()
    for q in queries:
        wide_index.search(q)
    per_query = (time.perf_counter() - started) / len(queries)
    assert per_query < 0.1  # generous: the benchmark in bench/guide measures the real figure


def test_an_action_word_re_ranks_the_topic_but_lifts_no_matter_alone() -> None:
    """第一次 matches a keyword of 普通护照首次申领 ("第一次出国"), but the question is about 税务:
    the action word only orders the matters the rest of the question speaks of."""
    index = SearchIndex(
        [
            {
                "code": "PASSPORT",
                "name": "普通护照首次申领",
                "keywords": ["第一次出国", "第一次办护照"],
                "description": "第一次出国的公民申领护照。",
            },
            {
                "code": "TAX",
                "name": "新办纳税人涉税事项套餐",
                "keywords": ["新公司报税", "税务报到"],
                "description": "新办企业到税务部门办理涉税事项。",
            },
            {"code": "ID_FIRST", "name": "居民身份证首次申领", "description": "公民第一次申领身份证。"},
            {"code": "ID_LOST", "name": "居民身份证补领", "description": "身份证丢失后补领。"},
        ]
    )
    assert top(index, "公司执照刚下来，第一次跟税务打交道要办什么") == ["TAX"]
    assert top(index, "第一次办身份证") == ["ID_FIRST"]  # among the matters it speaks of, the action decides
    assert top(index, "身份证丢了") == ["ID_LOST"]


def test_the_part_of_the_name_that_sets_siblings_apart_decides_between_them() -> None:
    """Three 住房公积金提取(…) siblings: 辞职 reads as 终止劳动关系, the part of one sibling's name
    that the others lack, and picks it although another sibling's keywords match more words."""
    index = SearchIndex(
        [
            {
                "code": "RETIRED",
                "name": "住房公积金提取(离休、退休)",
                "keywords": ["退休了公积金能取出来吗", "公积金取出来"],
                "description": "职工离休、退休的，可提取住房公积金。",
            },
            {
                "code": "QUIT",
                "name": "住房公积金提取(与单位终止劳动关系)",
                "keywords": ["离职提取"],
                "description": "职工与单位终止劳动关系的，可提取住房公积金。",
            },
            {
                "code": "HOME",
                "name": "住房公积金提取(购买自住住房)",
                "keywords": ["买房提公积金"],
                "description": "购买自住住房的，可提取住房公积金。",
            },
        ]
    )
    assert top(index, "我辞职了，公积金能取出来吗") == ["QUIT"]
    assert top(index, "退休了公积金能取出来吗") == ["RETIRED"]


def test_dialect_words_are_read_as_the_standard_ones() -> None:
    """Cantonese, Wu and Northern function words fall away and their everyday words reach the
    lexicon: 寻勿着 and 唔见咗 are 丢了, 攞出嚟 is 取出来, 阿拉/俺/咱 are 我们/我, traditional or not."""
    from govhall.guide.text import standardize

    assert standardize(normalize("我嘅身份證唔見咗")) == "我的身份证丢了了"
    assert standardize("阿拉屋里厢") == "我们家里"
    assert standardize("俺娃的户口咋整") == "我孩子的户口怎么办"
    assert standardize("整理金额") == "整理金额"  # standard words stay
    index = SearchIndex(
        [
            {"code": "ID_FIRST", "name": "居民身份证首次申领", "description": "公民第一次申领身份证。"},
            {"code": "ID_LOST", "name": "居民身份证补领", "description": "身份证丢失后补领。"},
            {"code": "FUND", "name": "住房公积金提取(租赁住房)", "keywords": ["公积金取出来交房租"]},
        ]
    )
    assert top(index, "阿拉身份证寻勿着了") == ["ID_LOST"]
    assert top(index, "我啲公積金可唔可以攞出嚟交租") == ["FUND"]


def test_english_words_are_read_by_their_plain_form_and_stop_words_drop() -> None:
    """retired → retire, first-time → first time; English stop words (she, we, our) are not read as
    pinyin."""
    index = SearchIndex(
        [
            {"code": "RETIRED", "name": "住房公积金提取(离休、退休)", "description": "职工退休提取公积金。"},
            {"code": "RENT", "name": "住房公积金提取(租赁住房)", "description": "租房提取公积金。"},
            {"code": "HK_FIRST", "name": "往来港澳通行证首次申领", "description": "首次申领港澳通行证。"},
            {"code": "HK_RENEW", "name": "往来港澳通行证换发、补发", "description": "换发、补发港澳通行证。"},
        ]
    )
    assert top(index, "withdraw my housing provident fund now that I have retired") == ["RETIRED"]
    assert top(index, "first-time application for a Hong Kong and Macau travel permit") == ["HK_FIRST"]
    assert index.understand("she says we need our travel permit").info["text"] == "通行证"
    assert "首次" in index.understand("first-time permit").info["text"]


def test_an_english_phrase_ending_in_a_number_is_not_read_inside_a_longer_number() -> None:
    """ "grade 1" (小学 新生入学) is said in "grade 1" and "grade 1," but not in "grade 10"."""
    index = SearchIndex([{"code": "SCHOOL", "name": "义务教育阶段新生入学登记"}])
    assert "新生入学" in index.understand("my son starts grade 1, what do we need").info["text"]
    assert "新生入学" not in index.understand("my son is in grade 10 now").info["text"]
    assert "新生入学" not in index.understand("she is in grade 1.5 of the program").info["text"]
    assert "新生入学" in index.understand("she starts grade 1. what now").info["text"]


def test_the_lexicon_gives_each_english_word_once() -> None:
    """ENGLISH is written in several blocks; a word given again in a later block would silently
    replace the earlier reading."""
    import ast
    from collections import Counter
    from pathlib import Path

    from govhall.guide import lexicon

    tree = ast.parse(Path(lexicon.__file__).read_text(encoding="utf-8"))
    blocks = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "ENGLISH"
    ] + [
        node.args[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "update"
        and getattr(node.func.value, "id", "") == "ENGLISH"
    ]
    words = [
        k.value
        for block in blocks
        if isinstance(block, ast.Dict)
        for k in block.keys
        if isinstance(k, ast.Constant)
    ]
    assert len(blocks) >= 2 and len(words) == len(lexicon.ENGLISH) > 500
    assert sorted(w for w, n in Counter(words).items() if n > 1) == []
