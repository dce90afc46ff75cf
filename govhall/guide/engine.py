"""Guidance retrieval: colloquial Chinese (or pinyin, or English) in, ranked matters out.

Pure Python, no Django: `SearchIndex(matters)` takes catalogue dicts (CONTRACTS section 2) and
`index.search(text, top)` ranks them. The pipeline for a query:

1. normalise: NFKC, lower case, traditional → simplified (opencc); dialect words read as standard
   ones (阿拉 → 我们, 攞出嚟 → 取出来: lexicon.DIALECT);
2. rewrite Latin runs: English words and phrases, pinyin initials (sfz) and full pinyin (shebaoka,
   or a syllable at a time: diu le) become Chinese words;
3. correct typos and homophones: a window of the query that is not a known word but differs from a
   catalogue or formal lexicon word in one character with the same (or a dialect-close) pinyin is
   read as that word (身粉证 → 身份证, 登纪 → 登记, 户口薄 → 户口簿) — unless it cuts through the
   sentence's own words (老公|是 ≠ 公示) or changes a common one-character word (把户口 ≠ 报户口);
4. expand with the domain lexicon (govhall.guide.lexicon): synonyms and colloquial phrases, said as
   words of the question (民政审批 does not say 政审); an alternative weighs at most twice the
   phrase said, and the reading of a word the catalogue itself uses is capped against the best
   literal match, so the lexicon tips close calls instead of overruling the question's own words;
5. score with BM25 over jieba words, character bigrams and unigrams of weighted fields (name,
   keywords, scenarios, department, description, materials), query terms weighted by where they
   came from; in a long story the words of its question part (before 怎么办, 能不能 …) weigh double;
   a two-character word no matter uses passes its weight to its characters (回族 → 族);
6. re-rank by intent (first issue / reissue / renewal / establish / change / cancel / transfer):
   the word people use for the action decides between near-duplicate matters, but only among the
   matters the rest of the question speaks of (第一次 lifts no 首次申领 of another topic); among
   siblings (住房公积金提取(…)) the part of the name that sets one apart decides;
7. re-rank the best 20 by meaning (govhall.guide.semantic, when the index has its vectors): each
   score × exp(25 × (the matter's cosine to the question as read − the best cosine among them)),
   with multilingual-e5-small — it knows that 发票不够用了 is 发票领用 and 挂个招牌 is 店招店牌;
8. when the best matches are still near-duplicates, add a follow-up question (`ask`);
9. say for each result why it was offered (`why`: the words that matched, as the lexicon or the
   spelling fix read them, and the keyword or 办事情形 they matched) and its department.

Heavy libraries (jieba, pypinyin, opencc, rapidfuzz) are imported inside functions so importing
this module is free.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from govhall.guide import examples, lexicon, semantic
from govhall.guide.text import (
    CJK_RUN,
    LATIN_RUN,
    analyze,
    analyze_phrase,
    focus_text,
    formal_terms,
    fuzzy,
    init_libraries,
    lexicon_terms,
    look_alike,
    normalize,
    reading,
    readings,
    said_in,
    standardize,
    syllables,
    word_spans,
)

__all__ = ["Hit", "Result", "SearchIndex", "name_intents", "name_stem", "normalize"]

# Field weights (BM25F-style term frequency weights).
FIELD_WEIGHTS = {
    "name": 3.0,
    "keywords": 2.0,
    "scenarios": 1.5,
    "situations": 1.2,
    "department": 0.8,
    "description": 1.0,
    "materials": 0.3,
}
# Query term weights by token kind and by origin.
KIND_WEIGHTS = {"w": 1.0, "b": 0.55, "u": 0.12}
ORIGIN_WEIGHTS = {
    "query": 1.0,
    "corrected": 0.9,
    "latin": 0.95,
    "synonym": 0.6,
    "colloquial": 0.75,
    "intent": 0.5,
}
# Long questions: the words of the question part (text.focus_text) weigh more than the story.
FOCUS_WEIGHT = 2.0
STORY_INTENT = 0.5  # an action word outside the question part counts this much
WHY_CHARS = 30
K1 = 1.2
B = 0.4
INTENT_BOOST = 0.25  # modest: the action words are also searched for (the intent concept)
INTENT_PENALTY = 0.4
# An action word (第一次, 丢了, 重新补) re-ranks the matters the rest of the question speaks of; it
# does not lift a matter it alone matches (第一次 in 普通护照首次申领's keyword "第一次出国" for a
# question about 税务): the action terms and the intent concepts count in full for a matter whose
# score from the question's other words and readings is at least this share of the best such score,
# proportionally less below it.
ACTION_TOPIC = 0.3
ACTION_MARKER = 0.8  # the intent strength from which a marker is a plain action word
SCORE_SCALE = 8.0
MAX_QUERY_CHARS = 300  # a longer story is read up to here: it bounds the cost of typo look-ups
RERANK = 200  # at most this many ranked candidates are sorted
COMMON_WORD_FREQ = 50  # jieba frequency from which a two-character window is a word, not a typo
# jieba frequency from which a single character is a word of its own (把, 个, 能, 是, 上 …): only an
# exact homophone may replace it (被案 → 备案), not a dialect-close or look-alike one (把户口 ≠ 报户口)
COMMON_CHAR_FREQ = 40000
# fields whose words a typo may be read as (with the lexicon's formal side); description words
# (结果, 公示, 实行 …) are ordinary language, not what a misspelt question meant
TYPO_FIELDS = ("name", "keywords", "scenarios", "situations")
# Lexicon readings against literal evidence. An alternative phrasing weighs at most EXPANSION_MASS
# times the phrase said (最低生活保障 has many more terms than 没收入). When the catalogue itself uses
# the word said (单位, 医保卡, 水表), what its reading adds to any matter is capped at EXPANSION_SHARE
# × the word's share of the question × the best literal score: the lexicon may tip a close call, not
# overrule the question's own words. A word the catalogue never uses (过身, 滴滴) is read freely.
EXPANSION_MASS = 2.0
EXPANSION_SHARE = 3.0
# A two-character word of the question the catalogue never uses (回族, 汉族) passes this times its
# weight on to its characters, which the catalogue may use (族 of 民族), instead of counting for nothing.
UNKNOWN_BACKOFF = 2.0
COVERAGE_WEIGHT = 0.45
# Siblings (names that begin alike: 住房公积金提取(…)) are told apart by the rest of the name: the
# sibling whose distinguishing part the question speaks of most (辞职 → 终止劳动关系) keeps its score,
# the others are lowered by up to 1 / (1 + DISTINCT_WEIGHT); matters without siblings are unaffected.
DISTINCT_WEIGHT = 0.6
SIBLING_PREFIX = 3  # characters two names must share at the start to be siblings
COVERAGE_CREDIT = {"query": 1.0, "corrected": 0.9, "latin": 0.9, "synonym": 0.5, "colloquial": 0.7}
INTENT_WORDS = frozenset(m for spec in lexicon.INTENTS.values() for m in spec["query"])  # type: ignore[attr-defined]
# Words of matter names that say how, not what: left out of name coverage.
GENERIC_NAME_WORDS = ("登记", "申请", "办理", "服务", "审核", "确认", "备案", "核发", "签发", "申领")


def _mass(terms: Iterable[str]) -> float:
    """The weight a phrase's terms carry by kind alone (word 1, bigram 0.55, character 0.12)."""
    return sum(KIND_WEIGHTS[t[0]] for t in terms)


# ---------------------------------------------------------------- the index


@dataclass
class Doc:
    code: str
    name: str
    stem: str
    intents: frozenset[str]
    department: str = ""
    # normalised texts the `why` of a result quotes: (field label, text), keywords first
    quotes: tuple[tuple[str, str], ...] = ()
    core: dict[str, float] = field(default_factory=dict)


@dataclass
class Query:
    concepts: list[list[dict[str, float]]]
    intents: dict[str, float]
    covered: dict[str, float]
    info: dict[str, Any]
    labels: dict[str, str] = field(default_factory=dict)  # word term → how the why shows it
    # concept index → its share of the question: what it adds is capped at share × best literal score
    shares: dict[int, float] = field(default_factory=dict)
    # terms of the question that say the action (第一次, 丢了 …) and the intent concepts' indices:
    # they count in full only for matters the rest of the question speaks of (ACTION_TOPIC)
    actions: frozenset[str] = frozenset()
    intent_concepts: frozenset[int] = frozenset()
    # matter row → the example question (常见问法) that made it close in meaning (semantic stage)
    examples: dict[int, int] = field(default_factory=dict)


@dataclass
class Hit:
    code: str
    name: str
    score: float
    department: str = ""
    why: str = ""


@dataclass
class Result:
    query: str
    results: list[Hit]
    ask: dict[str, Any] | None = None
    debug: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "query": self.query,
            "results": [
                {"code": h.code, "name": h.name, "score": h.score, "department": h.department, "why": h.why}
                for h in self.results
            ],
        }
        if self.ask:
            out["ask"] = self.ask
        return out


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    out: list[str] = []
    for item in value:
        if isinstance(item, Mapping):  # situations: {"name", "conditions", …}
            out.extend(str(v) for k, v in item.items() if k in ("name", "conditions") and v)
        elif item:
            out.append(str(item))
    return out


def _situation_names(value: Any) -> list[str]:
    if not value or isinstance(value, str):
        return []
    return [str(item["name"]) for item in value if isinstance(item, Mapping) and item.get("name")]


@lru_cache(maxsize=1)
def _lexicon_entries() -> tuple[dict[str, list[int]], list[tuple[str, str, tuple[str, ...]]]]:
    """The lexicon as entries in order — ("synonym", "", group) and ("colloquial", phrase, readings) —
    and, per phrase that calls an entry, the entries it calls ("" for phrases longer than 8
    characters, looked for in the text): a query looks up only the phrases it contains."""
    entries: list[tuple[str, str, tuple[str, ...]]] = [("synonym", "", group) for group in lexicon.SYNONYMS]
    entries += [("colloquial", key, values) for key, values in lexicon.COLLOQUIAL.items()]
    triggers: dict[str, list[int]] = defaultdict(list)
    for i, (origin, key, alts) in enumerate(entries):
        for term in alts if origin == "synonym" else (key,):
            triggers[term if len(term) <= 8 else ""].append(i)
    return dict(triggers), entries


@lru_cache(maxsize=1)
def _english_phrases() -> list[tuple[re.Pattern[str], str]]:
    """English phrases of the lexicon, longest first, as patterns on word boundaries → Chinese (a digit
    is part of the word: "grade 1" is not said in "grade 10", "under 3" not in "under 3.5")."""
    phrases = sorted((p for p in lexicon.ENGLISH if " " in p), key=len, reverse=True)
    return [
        (
            re.compile(r"(?<![a-z0-9])" + re.escape(p) + r"(?![a-z0-9]|\.\d)"),
            " " + " ".join(lexicon.ENGLISH[p]) + " ",
        )
        for p in phrases
    ]


def _english_word(word: str) -> str | None:
    """The Chinese for an English word (" " for a stop word), by its plain form if need be (retired →
    retire, subsidies → subsidy, renewing → renew) and part by part if hyphenated (first-time → 首次); None
    when it is no English the lexicon knows (it may be pinyin)."""
    if word in lexicon.ENGLISH:
        return " " + " ".join(lexicon.ENGLISH[word]) + " "
    if word in lexicon.STOPWORDS and word.isascii():
        return " "
    if "-" in word:
        parts = [_english_word(part) for part in word.split("-") if part]
        return "".join(p or " " for p in parts) if any(parts) else None
    for suffix, plain in (
        ("ies", "y"),
        ("ied", "y"),
        ("ing", "e"),
        ("ing", ""),
        ("ed", "e"),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) + len(plain) >= 3:
            base = word[: len(word) - len(suffix)] + plain
            if base in lexicon.ENGLISH:
                return " " + " ".join(lexicon.ENGLISH[base]) + " "
    return None


NAME_MARKERS = frozenset(
    [m for spec in lexicon.INTENTS.values() for m in spec["name"]]  # type: ignore[attr-defined]
    + list(GENERIC_NAME_WORDS)
)


_LATIN_WORD = re.compile(r"[a-z]+(?:['-][a-z]+)*")


def is_english(text: str) -> bool:
    """Whether a question is asked in English: three Latin words or more, most of them English the
    lexicon knows (pinyin such as "shebaoka bu ban" is not)."""
    words = _LATIN_WORD.findall(text.lower())
    if len(words) < 3:
        return False
    known = sum(_english_word(w) is not None for w in words)
    return known >= 0.6 * len(words)


def name_intents(name: str) -> frozenset[str]:
    found = set()
    for intent, spec in lexicon.INTENTS.items():
        if any(marker in name for marker in spec["name"]):  # type: ignore[attr-defined]
            found.add(intent)
    return frozenset(found)


def name_stem(name: str) -> str:
    """The name without its variant words: near-duplicates share a stem."""
    stem = re.sub(r"[（()）《》“”\"、,，·\s]", "", name)
    for marker in sorted(lexicon.VARIANT_MARKERS, key=len, reverse=True):
        stem = stem.replace(marker, "")
    for tail in ("登记", "申请", "办理", "手续"):
        stem = stem.replace(tail, "")
    return stem


class SearchIndex:
    """BM25F over words, bigrams and characters, with lexicon expansion and intent re-ranking."""

    def __init__(self, matters: Iterable[Mapping[str, Any]]) -> None:
        init_libraries()
        self.docs: list[Doc] = []
        self.passages: list[str] = []  # per matter, the text the semantic model reads
        self._vectors: Any = None  # its unit vectors (attach_vectors), or None: no semantic re-ranking
        self.examples: list[str] = []  # questions people asked for the matters (常见问法) ...
        example_owner: list[int] = []  # ... and the matter row of each
        self._examples: Any = None  # (unit vectors, owner rows) once attach_examples gave them
        postings: dict[str, dict[int, float]] = defaultdict(dict)
        lengths: list[float] = []
        vocab: dict[str, int] = defaultdict(int)
        targets: set[str] = set()
        for matter in matters:
            doc_id = len(self.docs)
            name = str(matter.get("name") or "")
            fields = {
                "name": [name],
                "keywords": _as_list(matter.get("keywords")),
                "scenarios": _as_list(matter.get("scenarios")),
                "situations": _as_list(matter.get("situations")),
                "department": _as_list(matter.get("department")),
                "description": _as_list(matter.get("description")),
                "materials": _as_list(matter.get("materials")),
            }
            self.passages.append(semantic.passage_text(name, fields["keywords"], fields["scenarios"]))
            for example in dict.fromkeys(_as_list(matter.get("examples"))):
                self.examples.append(example)
                example_owner.append(doc_id)
            tf: dict[str, float] = defaultdict(float)
            length = 0.0
            normalised: dict[str, list[str]] = {}
            for fname, texts in fields.items():
                weight = FIELD_WEIGHTS[fname]
                normalised[fname] = [normalize(text) for text in texts]
                for text in normalised[fname]:
                    terms = analyze(text)
                    for term, count in terms.items():
                        tf[term] += weight * count
                        if term.startswith("w:"):
                            length += weight * count
                            if fname in ("name", "keywords", "scenarios", "situations", "description"):
                                vocab[term[2:]] += 1
                            if fname in TYPO_FIELDS:
                                targets.add(term[2:])
            for term, value in tf.items():
                postings[term][doc_id] = value
            lengths.append(length)
            norm_name = normalised["name"][0]
            situations = {normalize(n) for n in _situation_names(matter.get("situations"))}
            quotes = (
                [("关键词", t) for t in normalised["keywords"]]
                + [("情形", t) for t in normalised["situations"] if t in situations]
                + [("场景", t) for t in normalised["scenarios"]]
                + [("名称", norm_name)]
            )
            self.docs.append(
                Doc(
                    str(matter["code"]),
                    name,
                    name_stem(norm_name),
                    name_intents(norm_name),
                    str(matter.get("department") or ""),
                    tuple(quotes),
                )
            )
        self.n = len(self.docs)
        self._example_owner = np.asarray(example_owner, dtype=np.int64)
        avg = (sum(lengths) / self.n) if self.n else 1.0
        norm = np.array([K1 * (1 - B + B * (length / avg if avg else 1.0)) for length in lengths])
        self._postings: dict[str, tuple[Any, Any]] = {}
        for term, docs in postings.items():
            idf = math.log(1 + (self.n - len(docs) + 0.5) / (len(docs) + 0.5))
            ids = np.fromiter(docs.keys(), dtype=np.int64, count=len(docs))
            tfs = np.fromiter(docs.values(), dtype=np.float64, count=len(docs))
            self._postings[term] = (ids, idf * tfs * (K1 + 1) / (tfs + norm[ids]))
        self._build_factors()
        self._build_vocab(vocab, targets)

    def attach_vectors(self, vectors: Any) -> None:
        """Turn on the semantic re-ranking with one unit vector per matter (rows in index order, as
        `semantic.passage_vectors(index.passages)` gives them); None turns it off."""
        if vectors is not None and len(vectors) != self.n:
            raise ValueError(f"{len(vectors)} vectors for {self.n} matters")
        self._vectors = vectors

    def attach_examples(self, vectors: Any) -> None:
        """Let the semantic re-ranking compare questions with `examples` too: one unit vector per
        example (rows in order, as `semantic.example_vectors(index.examples)` gives them)."""
        if vectors is None:
            self._examples = None
            return
        if len(vectors) != len(self.examples):
            raise ValueError(f"{len(vectors)} vectors for {len(self.examples)} examples")
        self._examples = (vectors, self._example_owner) if len(vectors) else None

    @property
    def semantic(self) -> bool:
        """Whether the semantic re-ranking is on."""
        return self._vectors is not None

    def _build_factors(self) -> None:
        """Matrices for the re-ranking: name-core terms per matter, intents per matter."""
        from scipy.sparse import csr_matrix

        rows, cols, values = [], [], []
        self._core_columns: dict[str, int] = {}
        for d, doc in enumerate(self.docs):
            doc.core = self._name_core(doc.name)
            for term, idf in doc.core.items():
                rows.append(d)
                cols.append(self._core_columns.setdefault(term, len(self._core_columns)))
                values.append(idf)
        self._core = csr_matrix((values, (rows, cols)), shape=(self.n, max(1, len(self._core_columns))))
        self._core_total = np.asarray(self._core.sum(axis=1)).ravel()
        rows, cols, values = [], [], []
        families: dict[str, int] = {}
        self._family = np.full(self.n, -1, dtype=np.int64)
        for d, prefix in self._sibling_prefixes().items():
            self._family[d] = families.setdefault(prefix, len(families))
            shared = self._name_core(prefix)
            for term, idf in self.docs[d].core.items():
                if term not in shared:
                    rows.append(d)
                    cols.append(self._core_columns[term])
                    values.append(idf)
        self._families = len(families)
        self._distinct = csr_matrix((values, (rows, cols)), shape=self._core.shape)
        self._distinct_total = np.asarray(self._distinct.sum(axis=1)).ravel()
        self._intent_masks = {
            intent: np.array([intent in doc.intents for doc in self.docs], dtype=bool)
            for intent in lexicon.INTENTS
        }
        plain = {"first", "establish"}
        self._plain_mask = np.array([not (doc.intents - plain) for doc in self.docs], dtype=bool)

    def _sibling_prefixes(self) -> dict[int, str]:
        """Per matter whose name begins like another's (住房公积金提取(…), 社会保障卡…), the longest
        such beginning: matters with the same one are siblings, and the rest of the name tells them
        apart (与单位终止劳动关系)."""
        names = sorted((normalize(doc.name), d) for d, doc in enumerate(self.docs))
        shared = [0] * len(names)
        for i in range(1, len(names)):
            a, b = names[i - 1][0], names[i][0]
            k = 0
            while k < min(len(a), len(b)) and a[k] == b[k]:
                k += 1
            shared[i - 1] = max(shared[i - 1], k)
            shared[i] = max(shared[i], k)
        return {d: name[:k] for (name, d), k in zip(names, shared, strict=True) if k >= SIBLING_PREFIX}

    def _name_core(self, name: str) -> dict[str, float]:
        """The name's bigrams (characters for one-character pieces) less action words, with idf."""
        text = normalize(name)
        for marker in sorted(NAME_MARKERS, key=len, reverse=True):
            text = text.replace(marker, " ")
        core: dict[str, float] = {}
        for run in CJK_RUN.findall(text):
            grams = ["u:" + run] if len(run) == 1 else ["b:" + run[i : i + 2] for i in range(len(run) - 1)]
            for gram in grams:
                posting = self._postings.get(gram)
                df = len(posting[0]) if posting else 1
                core[gram] = math.log(1 + (self.n - df + 0.5) / (df + 0.5))
        return core

    # -- vocabulary for typo, homophone and pinyin look-ups

    def _build_vocab(self, catalogue_words: Mapping[str, int], typo_targets: set[str]) -> None:
        """Known words (never re-read as typos), the words a typo may be read as (`typo_targets`
        of TYPO_FIELDS and the lexicon's formal side, none holding a stop word such as 怎么), and
        their pinyin."""
        import jieba

        words = {w for w in catalogue_words if 2 <= len(w) <= 8 and CJK_RUN.fullmatch(w)}
        words.update(t for t in lexicon_terms() if 2 <= len(t) <= 8)
        self.vocab = frozenset(words)
        stops = [w for w in lexicon.STOPWORDS if len(w) > 1 and CJK_RUN.fullmatch(w)]
        targets = {w for w in typo_targets | formal_terms() if w in words and not any(s in w for s in stops)}
        self._common = jieba.dt.FREQ
        # Deletion neighbourhood: one character replaced by a hole → the words that fit.
        self._holes: dict[str, list[tuple[str, int]]] = defaultdict(list)
        self._full_pinyin: dict[str, list[str]] = defaultdict(list)
        self._initials: dict[str, list[str]] = defaultdict(list)
        self._word_pinyin: dict[str, tuple[str, ...]] = {}
        self._syllables: set[str] = set()
        for word in sorted(words):
            if word in targets:
                for i in range(len(word)):
                    self._holes[word[:i] + "?" + word[i + 1 :]].append((word, i))
            syl = tuple(syllables(word))
            if len(syl) != len(word):
                continue
            self._word_pinyin[word] = syl
            self._syllables.update(syl)
            self._full_pinyin["".join(syl)].append(word)
            self._initials["".join(s[0] for s in syl)].append(word)
        self._weight = {w: catalogue_words.get(w, 0) + 1 for w in words}

    # -- query understanding

    def _latin(self, text: str) -> tuple[str, list[tuple[str, str]]]:
        """Replace English, pinyin and initials with Chinese words; returns text and extra terms."""
        extra: list[tuple[str, str]] = []
        if not LATIN_RUN.search(text):
            return text, extra
        # English phrases, longest first, on word boundaries.
        for pattern, zh in _english_phrases():
            if " " in text and pattern.search(text):
                text = pattern.sub(zh, text)
        text = self._join_syllables(text)

        def replace(match: re.Match[str]) -> str:
            word = match.group(0).strip("'’-").replace("’", "'")
            english = _english_word(word)
            if english is not None:
                return english
            found = self._pinyin_words(word.replace("'", "").replace("’", "").replace("-", ""))
            if not found:
                return " "
            for alt in found[1:]:
                extra.append((alt, "latin"))
            return found[0]

        text = LATIN_RUN.sub(replace, text)
        return " ".join(text.split()), extra

    def _join_syllables(self, text: str) -> str:
        """Pinyin typed a syllable at a time: neighbouring words that together spell a known word are
        read together (diu le → diule → 丢了); a lone one- or two-letter syllable that is neither an
        abbreviation nor English (de, le, wo) is a particle, not a pair of initials (de ≠ 定额)."""
        words = text.split(" ")
        out: list[str] = []
        i = 0
        while i < len(words):
            for j in range(min(len(words), i + 4), i + 1, -1):
                piece = words[i:j]
                joined = "".join(piece)
                if joined in self._full_pinyin and all(w.isascii() and w.isalpha() for w in piece):
                    out.append(joined)
                    i = j
                    break
            else:
                word = words[i]
                particle = (
                    len(word) <= 2
                    and word in self._syllables
                    and word not in lexicon.ABBREVIATIONS
                    and word not in lexicon.ENGLISH
                )
                out.append("" if particle else word)
                i += 1
        return " ".join(out)

    def _pinyin_words(self, run: str) -> list[str]:
        """Chinese words for a run of pinyin or pinyin initials (best first)."""
        if run in lexicon.ABBREVIATIONS:
            return list(lexicon.ABBREVIATIONS[run])
        if run in self._full_pinyin:
            return self._ranked(self._full_pinyin[run])
        # Segment into whole-word pinyin, fewest pieces (dynamic programming).
        n = len(run)
        best: list[list[str] | None] = [None] * (n + 1)
        best[0] = []
        for i in range(n):
            if best[i] is None:
                continue
            for j in range(i + 2, min(n, i + 30) + 1):
                piece = run[i:j]
                if piece in self._full_pinyin:
                    cand = [*best[i], self._ranked(self._full_pinyin[piece])[0]]  # type: ignore[misc]
                    if best[j] is None or len(cand) < len(best[j]):  # type: ignore[arg-type]
                        best[j] = cand
        if best[n]:
            return ["".join(best[n])]  # type: ignore[arg-type]
        if len(run) >= 3 and run in self._initials:
            return self._ranked(self._initials[run])[:3]
        # Initials made of known abbreviations and word initials (sfzbl → 身份证 补领).
        pieces: list[str] = []
        i = 0
        while i < n:
            for j in range(n, i + 1, -1):
                piece = run[i:j]
                if piece in lexicon.ABBREVIATIONS:
                    pieces.append(lexicon.ABBREVIATIONS[piece][0])
                    i = j
                    break
                if piece in self._initials:  # catalogue words by their initials (2+ letters)
                    pieces.append(self._ranked(self._initials[piece])[0])
                    i = j
                    break
            else:
                return []
        return [" ".join(pieces)] if pieces else []

    def _ranked(self, words: list[str]) -> list[str]:
        return sorted(words, key=lambda w: (-self._weight.get(w, 0), -len(w), w))

    def _correct(self, text: str) -> tuple[str, list[tuple[str, str]]]:
        """Typos and homophones: windows that are not words but one character off a known word."""
        fixes: list[tuple[int, int, str, float, int]] = []
        for run_match in CJK_RUN.finditer(text):
            run = run_match.group(0)
            base = run_match.start()
            # Characters already read as part of a known word are not re-read as typos (过身了 is
            # not 过生了).
            known = [False] * len(run)
            for size in range(2, min(8, len(run)) + 1):
                for start in range(len(run) - size + 1):
                    if run[start : start + size] in self.vocab:
                        known[start : start + size] = [True] * size
            # Per character, the word jieba reads it in: a window whose unchanged characters belong
            # to a word reaching outside it cuts through the sentence's words (老公|是 → 公示, 租房|住 →
            # 房租), it is not one misspelt word.
            word_of: list[tuple[int, int]] = [
                span for span in word_spans(run) for _ in range(span[0], span[1])
            ]
            for size in range(min(8, len(run)), 1, -1):
                for start in range(len(run) - size + 1):
                    window = run[start : start + size]
                    if window in self.vocab:
                        continue
                    if size == 2 and (self._common.get(window) or 0) >= COMMON_WORD_FREQ:
                        continue  # a real word of its own (工商): only longer windows may fix it
                    best: tuple[float, str] | None = None
                    end = start + size
                    for i in range(size):
                        if known[start + i]:
                            continue
                        if size == 2 and window[1 - i] in lexicon.STOPWORDS:
                            continue  # 身了 ≠ 生了: a particle is no anchor for a correction
                        candidates = self._holes.get(window[:i] + "?" + window[i + 1 :])
                        if not candidates or any(
                            word_of[start + j][0] < start or word_of[start + j][1] > end
                            for j in range(size)
                            if j != i and word_of[start + j][1] - word_of[start + j][0] > 1
                        ):
                            continue
                        common = (self._common.get(window[i]) or 0) >= COMMON_CHAR_FREQ
                        for word, pos in candidates:
                            quality = self._sound_alike(window[pos], word, pos, size)
                            if common and quality < 1.0:
                                continue
                            if quality and (best is None or quality > best[0]):
                                best = (quality, word)
                    if best:
                        # how many of its characters no known word reads yet: 失页→失业 (2) beats
                        # 页登记→已登记 (1), which only glues a character onto the word 登记
                        fresh = sum(not k for k in known[start:end])
                        fixes.append((base + start, size, best[1], best[0], fresh))
        if not fixes:
            return text, []
        # The fixes that read most stray characters first, then the longest and best; no two overlap.
        fixes.sort(key=lambda f: (-f[4], -f[1], -f[3], f[0]))
        taken: list[tuple[int, int, str, float, int]] = []
        for fix in fixes:
            if all(fix[0] + fix[1] <= t[0] or t[0] + t[1] <= fix[0] for t in taken):
                taken.append(fix)
        corrected = text
        for start, size, word, _, _ in sorted(taken, reverse=True):
            corrected = corrected[:start] + word + corrected[start + size :]
        return corrected, [(text[t[0] : t[0] + t[1]], t[2]) for t in taken]

    def _sound_alike(self, char: str, word: str, pos: int, size: int) -> float:
        syl = self._word_pinyin.get(word)
        if not syl or char == word[pos]:
            return 0.0
        usual = reading(char)
        target = syl[pos]
        if usual == target:
            return 1.0
        if fuzzy(usual) == fuzzy(target):
            return 0.8
        if size >= 3 and any(look_alike(r, target) for r in readings(char)):
            return 0.5  # a look-alike typed by shape (户口薄 → 户口簿)
        return 0.0

    def _expand(self, texts: list[str], tokens: set[str]) -> list[tuple[str, str, tuple[str, ...]]]:
        """Lexicon concepts the query mentions: (origin, the phrase said, alternative phrasings not
        already said). An alternative offered by two phrases counts once (取出来, 提出来 → 提取)."""
        pieces = {t[i : i + k] for t in texts for i in range(len(t)) for k in range(2, 9)}

        def present(term: str) -> bool:
            if len(term) == 1:
                return term in tokens
            if len(term) <= 8 and term not in pieces:
                return False
            return any(said_in(term, t) for t in texts)

        triggers, entries = _lexicon_entries()
        hit: set[int] = set()
        for term in (pieces | tokens) & triggers.keys():
            hit.update(triggers[term])
        hit.update(triggers.get("", ()))  # phrases longer than any piece: checked below
        offered: set[str] = set()
        out = []
        for i in sorted(hit):
            origin, key, alts = entries[i]
            if origin == "synonym":
                said = [term for term in alts if present(term)]
                if not said:
                    continue
                key, alts = said[0], tuple(t for t in alts if t not in said)
            elif not present(key):
                continue
            fresh = tuple(a for a in alts if a not in offered)
            if fresh:
                offered.update(fresh)
                out.append((origin, key, fresh))
        return out

    def query_intents(self, texts: list[str]) -> dict[str, float]:
        intents: dict[str, float] = {}
        for intent, spec in lexicon.INTENTS.items():
            scan = texts
            for blocker in spec.get("not", ()):  # type: ignore[attr-defined]
                scan = [t.replace(blocker, " ") for t in scan]
            strength = max(
                (s for m, s in spec["query"].items() if any(m in t and said_in(m, t) for t in scan)),  # type: ignore[attr-defined]
                default=0.0,
            )
            if strength:
                intents[intent] = strength
        return intents

    def understand(self, query: str) -> Query:
        """The query as weighted concepts, each a set of alternative phrasings, plus its intents."""
        text = standardize(normalize(query))[:MAX_QUERY_CHARS]
        typed = text  # as typed (normalised), before English and pinyin are rewritten
        text, latin_extra = self._latin(text)
        corrected, fixes = self._correct(text)
        texts = [text] if corrected == text else [text, corrected]
        focus = focus_text(corrected)
        focused = set(analyze(focus)) if focus else set()
        labels: dict[str, str] = {}

        def terms(source: str, origin: str, label: str | None = None) -> dict[str, float]:
            factor = ORIGIN_WEIGHTS[origin]
            out = {}
            for t in analyze(source) if origin in ("query", "corrected") else analyze_phrase(source):
                if t[0] != "u" and t[2:] in lexicon.STOPWORDS:
                    continue
                stressed = t in focused and t[2:] not in lexicon.NARRATIVE
                weight = KIND_WEIGHTS[t[0]] * factor * (FOCUS_WEIGHT if stressed else 1.0)
                if t[0] != "u":
                    labels.setdefault(t, label or t[2:])
                out[t] = weight
            return out

        said = self._back_off(terms(text, "query"))
        said_mass = _mass(said)
        shares: dict[int, float] = {}
        concepts: list[list[dict[str, float]]] = [[said]]
        credit: dict[str, float] = dict.fromkeys(said, 1.0)

        def cover(alternatives: list[dict[str, float]], origin: str) -> None:
            for alt in alternatives:
                for term in alt:
                    credit[term] = max(credit.get(term, 0.0), COVERAGE_CREDIT[origin])

        if corrected != text:
            fixed = [{t: w for t, w in terms(corrected, "corrected").items() if t not in said}]
            for typo, word in fixes:
                for t in analyze(word):
                    labels[t] = f"{typo}→{word}"
            concepts.append(fixed)
            cover(concepts[-1], "corrected")
        if latin_extra:
            concepts.append([terms(word, origin) for word, origin in latin_extra])
            cover(concepts[-1], "latin")
        words = {t[2:] for t in said if t.startswith(("w:", "u:"))}
        expansions = self._expand(texts, words)
        for origin, key, alternatives in expansions:
            stress = FOCUS_WEIGHT if focus and key in focus else 1.0
            key_terms = analyze_phrase(key)
            concept = []
            for alt in alternatives:
                alt_terms = terms(alt, origin, f"{key}→{alt}")
                scale = stress * min(1.0, EXPANSION_MASS * _mass(key_terms) / max(_mass(alt_terms), 1e-9))
                concept.append({t: w * scale for t, w in alt_terms.items()})
            concepts.append(concept)
            if any(t[0] == "w" and t in self._postings for t in key_terms):  # the catalogue uses it
                share = _mass(key_terms) / max(said_mass, 1e-9)
                shares[len(concepts) - 1] = EXPANSION_SHARE * ORIGIN_WEIGHTS[origin] * share
            cover(concepts[-1], origin)
        mentioned = texts + [alt for _, _, alts in expansions for alt in alts if alt in INTENT_WORDS]
        intents = self.query_intents(mentioned)
        if focus:
            # in a story, an action told on the way (…网签再过户…) counts less than the one asked
            asked = self.query_intents(
                [focus]
                + [alt for _, key, alts in expansions if key in focus for alt in alts if alt in INTENT_WORDS]
            )
            intents = {i: max(asked.get(i, 0.0), STORY_INTENT * v) for i, v in intents.items()}
        actions = self._action_terms(mentioned, said)
        first_intent = len(concepts)
        for intent, strength in intents.items():
            # Say the action the way matter names do (不见了 → 补领, 补发 …).
            spec = lexicon.INTENTS[intent]
            said_as: dict[str, float] = spec["query"]  # type: ignore[assignment]
            named_as: tuple[str, ...] = spec["name"]  # type: ignore[assignment]
            spoken = next((m for m in said_as if any(m in t for t in mentioned)), "")
            concepts.append(
                [
                    {t: w * strength for t, w in terms(m, "intent", f"{spoken}→{m}" if spoken else m).items()}
                    for m in named_as
                ]
            )
        info = {
            "text": text,
            "corrected": corrected,
            "english": is_english(typed),
            "typed": typed,
            "fixes": fixes,
            "focus": focus,
            "expansions": [(origin, alts) for origin, _, alts in expansions],
        }
        return Query(
            concepts,
            intents,
            credit,
            info,
            labels,
            shares,
            actions,
            frozenset(range(first_intent, len(concepts))),
        )

    @staticmethod
    def _action_terms(texts: list[str], said: Mapping[str, float]) -> frozenset[str]:
        """The question's terms that lie inside a plain action word it says (第一次 → 第一次, 第一,
        一次, 第, 次 …): what the question asks to be done, not what about. Weak hints (十六了, 新生,
        办个) also say what about (十六周岁 of 居民身份证首次申领) and stay topic words."""
        markers = [
            m
            for spec in lexicon.INTENTS.values()
            for m, strength in spec["query"].items()  # type: ignore[attr-defined]
            if strength >= ACTION_MARKER and any(m in t and said_in(m, t) for t in texts)
        ]
        return frozenset(t for t in said if any(t[2:] in m for m in markers))

    def _split_said(self, q: Query) -> tuple[Any, Any]:
        """Per matter, the score of the question's own words (concept 0): the topic part and the
        action part (q.actions)."""
        topic, action = np.zeros(self.n), np.zeros(self.n)
        for term, weight in q.concepts[0][0].items():
            posting = self._postings.get(term)
            if posting is not None:
                (action if term in q.actions else topic)[posting[0]] += weight * posting[1]
        return topic, action

    def _back_off(self, said: dict[str, float]) -> dict[str, float]:
        """A two-character word of the question that the catalogue never uses, and that is not part
        of a longer word of the question, passes UNKNOWN_BACKOFF × its weight on to its two
        characters (回族 → 回, 族). Longer unknown words are left alone: their characters are mostly
        suffixes and particles (老爷子, 结过婚)."""
        out = dict(said)
        words = [t for t in said if t[0] == "w"]
        for t in words:
            if len(t) != 4 or t in self._postings or not CJK_RUN.fullmatch(t[2:]):
                continue
            if any(o != t and t[2:] in o[2:] for o in words):
                continue
            for ch in t[2:]:
                if "u:" + ch in out and "u:" + ch in self._postings:
                    out["u:" + ch] += UNKNOWN_BACKOFF * said[t] / 2
        return out

    # -- ranking

    def search(self, query: str, top: int = 5, explain: int | None = None) -> Result:
        """The `top` best matters; the first `explain` of them (default all) say why."""
        stripped = (query or "").strip()
        if not stripped or not self.n:
            return Result(stripped, [])
        q = self.understand(stripped)
        topic, action = self._split_said(q)
        literal = float((topic + action).max())  # the best score of the question's own words
        raw = topic
        for k, concept in enumerate(q.concepts[1:], start=1):
            share = q.shares.get(k)
            best = np.zeros(self.n)
            for alternative in concept:
                acc = best if len(concept) == 1 else np.zeros(self.n)
                for term, weight in alternative.items():
                    posting = self._postings.get(term)
                    if posting is not None:
                        acc[posting[0]] += weight * posting[1]
                if acc is not best:
                    np.maximum(best, acc, out=best)
            if share is not None:
                peak = float(best.max())
                if peak > 0 and literal > 0:
                    best *= min(1.0, share * literal / peak)
            if k in q.intent_concepts:
                action += best
            else:
                raw += best
        peak = float(raw.max())
        if peak > 0:  # the action re-ranks what the rest of the question speaks of
            action *= np.minimum(1.0, raw / (ACTION_TOPIC * peak))
        raw += action
        final = raw * self._intent_factors(q.intents) * self._coverages(q.covered)
        candidates = np.nonzero(final > 0)[0]
        if len(candidates) > RERANK:
            candidates = candidates[np.argpartition(-final[candidates], RERANK)[:RERANK]]
        scores = {int(d): float(final[d]) for d in candidates}
        order = sorted(scores, key=lambda d: (-scores[d], d))
        best_score = scores[order[0]] if order else 0.0
        # Drop the long tail that matched only a stray character.
        order = [d for d in order if scores[d] >= 0.08 * best_score]
        if self._vectors is not None:
            order = self._rerank_by_meaning(q, order, scores)
        shown = order[: max(1, top)]
        hits = [
            Hit(
                self.docs[d].code,
                self.docs[d].name,
                round(scores[d] / (scores[d] + SCORE_SCALE), 4),
                self.docs[d].department,
                why,
            )
            for d, why in zip(shown, self._whys(q, shown[:explain]) + [""] * len(shown), strict=False)
        ]
        ask = self._follow_up(order[:5], scores, q.intents)
        return Result(stripped, hits, ask, {"intents": q.intents, **q.info})

    def _rerank_by_meaning(self, q: Query, order: list[int], scores: dict[int, float]) -> list[int]:
        """The best `semantic.CANDIDATES` re-ordered by closeness in meaning to the question as read
        (pinyin and English rewritten, typos fixed; an English question also as typed: 91.9% top-1
        against 88.9% rewritten alone on 271 English questions); the rest keep their order below."""
        head = order[: semantic.CANDIDATES]
        said = q.info["corrected"]
        if q.info["english"]:  # the model reads English too: the words as typed and as rewritten
            said = f"{q.info['typed']} {said}"
        fresh = semantic.rerank(self._vectors, said, head, scores, self._examples, q.examples)
        if not fresh:
            return order
        floor = min(fresh[d] / scores[d] for d in head if scores[d] > 0)
        for d in order[semantic.CANDIDATES :]:
            scores[d] *= floor
        scores.update(fresh)
        ranked = sorted(head, key=lambda d: (-scores[d], d))
        # an example explains a matter only where it lifted it above where the words had put it
        before = {d: i for i, d in enumerate(head)}
        after = {d: i for i, d in enumerate(ranked)}
        q.examples = {d: e for d, e in q.examples.items() if after[d] < before[d]}
        return ranked + order[semantic.CANDIDATES :]

    # -- why a result was offered

    def _whys(self, q: Query, shown: list[int]) -> list[str]:
        """Per shown matter, in Chinese and at most `WHY_CHARS` characters: the question's words that
        matched it most (with the lexicon's or the spelling fix's reading: 走了→死亡) and where in
        the matter they matched (a keyword, a 办事情形, a scenario)."""
        if not shown:
            return []
        matched = self._matched(q, shown, "w")
        bare = [d for d, terms in zip(shown, matched, strict=True) if not terms]
        if bare:  # no word matched: the character pairs that did
            pairs = dict(zip(bare, self._matched(q, bare, "b"), strict=True))
            matched = [terms or pairs[d] for d, terms in zip(shown, matched, strict=True)]
        return [self._why(q, d, terms) for d, terms in zip(shown, matched, strict=True)]

    def _matched(self, q: Query, docs: list[int], kind: str) -> list[dict[str, float]]:
        """Per matter, the query terms of one kind (w words, b bigrams) it contains, with their score."""
        ids = np.asarray(docs, dtype=np.int64)
        weights: dict[str, float] = {}
        for concept in q.concepts:
            for alternative in concept:
                for term, weight in alternative.items():
                    if term[0] == kind and len(term) > 3 and weight > weights.get(term, 0.0):
                        weights[term] = weight
        out: list[dict[str, float]] = [{} for _ in docs]
        for term, weight in weights.items():
            posting = self._postings.get(term)
            if posting is None:
                continue
            at = np.minimum(np.searchsorted(posting[0], ids), len(posting[0]) - 1)
            for k in np.flatnonzero(posting[0][at] == ids):
                out[k][term] = weight * float(posting[1][at[k]])
        return out

    def _why(self, q: Query, d: int, matched: Mapping[str, float]) -> str:
        lifted = self._why_example(q, d)
        if lifted:
            return lifted
        ranked = sorted(matched, key=lambda t: (-matched[t], t))
        read = {f"{typo}→{word}": word for typo, word in q.info["fixes"]}
        # (word, label, what was said, said directly): 身份证 / 身粉证→身份证 are direct, 走了→死亡 not
        pairs = []
        for term in ranked[:12]:
            label = q.labels[term]
            pairs.append(
                (term[2:], label, read.get(label, label.split("→")[0]), "→" not in label or label in read)
            )
        # a word inside another matched one (公积 in 公积金) says nothing more, unless said directly
        pairs = [
            p for p in pairs if not any(p[0] != o[0] and p[0] in o[0] and (o[3] or not p[3]) for o in pairs)
        ]
        direct = {p[2] for p in pairs if p[3]}
        words: list[str] = []
        labels: list[str] = []
        shown: set[str] = set()
        for word, label, said, is_direct in pairs:
            if said in shown or (said in direct and not is_direct):
                continue
            shown.add(said)
            labels.append(label)
            words.append(word)
        if not labels:
            return "字面相近"
        source = ""
        for field_label, text in self.docs[d].quotes:
            found = [w for w in words if w in text]
            if found:
                if field_label == "名称":
                    source = "事项名称"
                elif field_label == "场景":
                    source = "常见情形相符"
                else:
                    source = f"{field_label}“{text}”"
                break
        for count in range(min(3, len(labels)), 0, -1):
            said = "、".join(labels[:count])
            for why in (f"{said}（{source}）" if source else said, said):
                if len(why) <= WHY_CHARS:
                    return why
        return labels[0][: WHY_CHARS - 1] + "…"

    def _why_example(self, q: Query, d: int) -> str | None:
        """For a matter an example question (常见问法) lifted above where the words put it: that
        example (`与常见问法“房本上押着的那条怎么去掉”相近`). Only the bank's questions are quoted; a staff
        correction's (a citizen's words) is not."""
        if d not in q.examples:
            return None
        said = self.examples[q.examples[d]]
        if said not in examples.published():
            return "与工作人员确认过的问法相近"
        room = WHY_CHARS - len("与常见问法“”相近")
        if len(said) > room:
            said = said[: room - 1] + "…"
        return f"与常见问法“{said}”相近"

    def _coverages(self, covered: Mapping[str, float]) -> Any:
        """Per matter: how much of its name (less its action words) the query speaks of; among
        siblings, those whose distinguishing part the query speaks of less than another's are
        lowered."""
        credit = np.zeros(self._core.shape[1])
        for term, value in covered.items():
            col = self._core_columns.get(term)
            if col is not None:
                credit[col] = value
        share = np.divide(
            self._core @ credit, self._core_total, out=np.ones(self.n), where=self._core_total > 0
        )
        distinct = np.divide(
            self._distinct @ credit,
            self._distinct_total,
            out=np.zeros(self.n),
            where=self._distinct_total > 0,
        )
        best = np.zeros(self._families + 1)  # the last slot: matters without siblings
        np.maximum.at(best, self._family, distinct)
        sibling = (1 + DISTINCT_WEIGHT * distinct) / (1 + DISTINCT_WEIGHT * best[self._family])
        return (1 - COVERAGE_WEIGHT + COVERAGE_WEIGHT * share) * sibling

    def _intent_factors(self, intents: Mapping[str, float]) -> Any:
        """Per matter: a boost when its name carries the action asked for, a penalty when it carries
        a conflicting one; with no action said, a slight preference for the plain matter."""
        if not intents:
            return np.where(self._plain_mask, 1.1, 1.0)
        boost = np.ones(self.n)
        matched = np.zeros(self.n, dtype=bool)
        for intent, strength in intents.items():
            mask = self._intent_masks[intent]
            boost += INTENT_BOOST * strength * mask
            matched |= mask
        done = matched.copy()
        for intent, strength in intents.items():
            conflict = np.zeros(self.n, dtype=bool)
            for other in lexicon.INTENT_CONFLICTS.get(intent, ()):
                conflict |= self._intent_masks[other]
            apply = conflict & ~done
            boost -= INTENT_PENALTY * strength * apply
            done |= apply
        return np.maximum(boost, 0.3)

    def _follow_up(
        self, order: list[int], scores: Mapping[int, float], intents: Mapping[str, float]
    ) -> dict | None:
        if len(order) < 2:
            return None
        from rapidfuzz import fuzz

        first = self.docs[order[0]]
        if not first.stem:
            return None
        group = [order[0]]
        for d in order[1:]:
            doc = self.docs[d]
            if scores[d] < 0.5 * scores[order[0]] or not doc.stem:
                continue
            if doc.stem == first.stem or fuzz.ratio(doc.stem, first.stem) >= 80:
                group.append(d)
        if len(group) < 2:
            return None
        # The query already named the action and it singles out the first match: no need to ask.
        decided = [i for i in intents if i in first.intents]
        if decided and not any(set(decided) & self.docs[d].intents for d in group[1:]):
            return None
        return {
            "question": "您要办理的是以下哪一种情形？",
            "options": [
                {"code": self.docs[d].code, "name": self.docs[d].name, "label": self._label(d, group)}
                for d in group
            ],
        }

    def _label(self, d: int, group: list[int]) -> str:
        """What sets this matter apart from the others of the group (首次申领 / 换领 / 补领 …)."""
        name = self.docs[d].name
        others = [self.docs[o].name for o in group if o != d]
        markers = [m for m in lexicon.VARIANT_MARKERS if m in name and not all(m in o for o in others)]
        # Keep the longest markers that are not part of another found one.
        markers = [m for m in markers if not any(m != o and m in o for o in markers)]
        return "、".join(markers) if markers else name
