"""Text tools for guidance search: normalisation, jieba terms, pinyin readings (no Django).

jieba, pypinyin and opencc are imported inside the functions, on first use.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import defaultdict
from functools import lru_cache
from typing import Any

from govhall.guide import lexicon

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RUN = re.compile(f"[{_CJK}]+")
LATIN_RUN = re.compile(r"[a-z][a-z'’\-]*")
TOKEN_RUN = re.compile(f"[{_CJK}]+|[a-z]+|[0-9]+")
CLAUSE_BREAK = re.compile(r"[，。！？,.!?；;:：…~\s]+")
LONG_QUERY_CHARS = 20  # from this many characters a question is a story: its question part weighs more
FOCUS_BEFORE, FOCUS_AFTER = 12, 6  # characters read around a question word
_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"))
_FUZZY_FINALS = (("ing", "in"), ("eng", "en"), ("ang", "an"))

_lock = threading.Lock()
_ready = False


# ---------------------------------------------------------------- text tools (lazy libraries)


def init_libraries() -> None:
    """Load jieba quietly (its progress chatter must never reach stdout/stderr of the CLI)."""
    global _ready
    if _ready:
        return
    with _lock:
        if _ready:
            return
        import logging

        import jieba

        jieba.setLogLevel(logging.ERROR)
        jieba.dt.initialize()
        for term in lexicon_terms():
            if 2 <= len(term) <= 8 and CJK_RUN.fullmatch(term):
                jieba.add_word(term, freq=max(jieba.dt.FREQ.get(term, 0) or 0, 2000))
        _ready = True


@lru_cache(maxsize=1)
def _converter() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def lexicon_terms() -> tuple[str, ...]:
    """Every Chinese term of the lexicon: its formal side and the everyday phrases people say."""
    everyday: set[str] = set(lexicon.COLLOQUIAL)
    for spec in lexicon.INTENTS.values():
        everyday.update(spec["query"])  # type: ignore[arg-type]
    return tuple(sorted(formal_terms() | {t for t in everyday if CJK_RUN.fullmatch(t)}))


@lru_cache(maxsize=1)
def formal_terms() -> frozenset[str]:
    """The lexicon's formal side — synonym groups, what colloquial phrases and abbreviations stand for,
    the action words of matter names, English readings — without the everyday phrases themselves
    (报户口, 怎么领, 开了个): a typo is read as a word the catalogue would use, not as another
    everyday phrase one character away (把户口 is not 报户口)."""
    terms: set[str] = set()
    for group in lexicon.SYNONYMS:
        terms.update(group)
    for values in lexicon.COLLOQUIAL.values():
        terms.update(values)
    for spec in lexicon.INTENTS.values():
        terms.update(spec["name"])  # type: ignore[arg-type]
    for values in lexicon.ABBREVIATIONS.values():
        terms.update(values)
    for values in lexicon.ENGLISH.values():
        terms.update(values)
    return frozenset(t for t in terms if CJK_RUN.fullmatch(t))


@lru_cache(maxsize=1)
def _traditional_chars() -> frozenset[str]:
    """Characters that t2s changes: text without any of them needs no (slow) conversion."""
    from pathlib import Path

    import opencc

    chars: set[str] = set()
    folder = Path(opencc.__file__).resolve().parent / "dictionary"
    for fname in ("TSCharacters.txt", "TSPhrases.txt"):
        for line in (folder / fname).read_text(encoding="utf-8").splitlines():
            key, _, values = line.partition("\t")
            if fname == "TSCharacters.txt":
                if values.split(" ")[0] != key:
                    chars.add(key)
            else:
                chars.update(c for c, v in zip(key, values.split(" ")[0], strict=False) if c != v)
    return frozenset(chars)


def normalize(text: str) -> str:
    """NFKC (full-width → ASCII), lower case, traditional → simplified, single spaces."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    trad = _traditional_chars()
    if any(c in trad for c in text):
        text = _converter().convert(text)
    return " ".join(text.split())


def _cut(text: str) -> list[str]:
    import jieba

    # No HMM: new-word guessing is slow and unstable between documents and queries; character
    # bigrams already cover words the dictionary lacks.
    return [w for w in jieba.lcut_for_search(text, HMM=False) if w.strip()]


@lru_cache(maxsize=2048)
def word_spans(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of each word of the text as jieba reads it (no HMM, like `analyze`)."""
    import jieba

    spans = []
    at = 0
    for word in jieba.lcut(text, HMM=False):
        spans.append((at, at + len(word)))
        at += len(word)
    return tuple(spans)


def said_in(term: str, text: str) -> bool:
    """Whether the text says the term, not merely spells it across two of its words: 民政审批 does
    not say 政审 (民政|审批), while 上牌照 says 上牌 and 烧烤店 says 烧烤 (the term starts or ends
    where a word does, or lies inside one)."""
    start = text.find(term)
    if start < 0:
        return False
    spans = word_spans(text)
    while start >= 0:
        end = start + len(term)
        inside_start = any(a < start < b for a, b in spans)
        inside_end = any(a < end < b for a, b in spans)
        straddles = any(start < a < end for a, _ in spans)
        if not (inside_start and inside_end and straddles):
            return True
        start = text.find(term, start + 1)
    return False


def syllables(text: str) -> list[str]:
    from pypinyin import lazy_pinyin

    # Characters without pinyin stay themselves, one item each, so positions line up.
    keep: Any = list
    return list(lazy_pinyin(text, errors=keep))


@lru_cache(maxsize=20000)
def readings(char: str) -> frozenset[str]:
    from pypinyin import Style, pinyin

    return frozenset(pinyin(char, style=Style.NORMAL, heteronym=True)[0])


@lru_cache(maxsize=20000)
def reading(char: str) -> str:
    """The usual reading: what a pinyin input method would have offered for this character."""
    syl = syllables(char)
    return syl[0] if syl else char


def look_alike(a: str, b: str) -> bool:
    """Same initial and finals one letter apart (bo/bu): a typo by shape, not a different word."""
    from rapidfuzz.distance import Levenshtein

    ia, ib = initial(a), initial(b)
    return ia == ib and Levenshtein.distance(a[len(ia) :], b[len(ib) :]) <= 1


def fuzzy(syllable: str) -> str:
    """Dialect-close pinyin: zh/z, ch/c, sh/s, n/l, -ng/-n are not told apart."""
    for a, b in _FUZZY_INITIALS:
        if syllable.startswith(a):
            syllable = b + syllable[len(a) :]
            break
    if syllable.startswith("l"):
        syllable = "n" + syllable[1:]
    for a, b in _FUZZY_FINALS:
        if syllable.endswith(a):
            syllable = syllable[: -len(a)] + b
            break
    return syllable


def initial(syllable: str) -> str:
    for a, _ in _FUZZY_INITIALS:
        if syllable.startswith(a):
            return a
    return syllable[:1]


def analyze(text: str) -> dict[str, float]:
    """Index terms of a (normalised) text with counts: `w:` jieba words, `b:` bigrams, `u:` chars."""
    counts: dict[str, float] = defaultdict(float)
    for run in TOKEN_RUN.findall(text):
        if CJK_RUN.fullmatch(run):
            for word in _cut(run):
                if len(word) >= 2 or word not in lexicon.STOPWORDS:
                    counts["w:" + word] += 1
            for i in range(len(run) - 1):
                counts["b:" + run[i : i + 2]] += 1
            for ch in run:
                if ch not in lexicon.STOPWORDS:
                    counts["u:" + ch] += 1
        elif run not in lexicon.STOPWORDS:
            counts["w:" + run] += 1
    return counts


def focus_text(text: str) -> str:
    """The question part of a long, rambling question: around each question word (怎么, 能不能, 吗 …)
    the words just before it in its clause, and a few after. People tell the story first and ask last
    ("…现在想先弄清楚交税这一步怎么办"): what they ask about is what they want done. Empty for a short
    question (all of it is the question) or one without a question word."""
    if sum(len(run) for run in CJK_RUN.findall(text)) < LONG_QUERY_CHARS:
        return ""
    spans = []
    for clause in CLAUSE_BREAK.split(text):
        for marker in lexicon.QUESTION_MARKERS:
            at = clause.find(marker)
            if at >= 0:
                spans.append(clause[max(0, at - FOCUS_BEFORE) : at + len(marker) + FOCUS_AFTER])
    return " ".join(spans)


@lru_cache(maxsize=8192)
def analyze_phrase(text: str) -> dict[str, float]:
    """`analyze` of a lexicon phrase, remembered: the same few thousand phrases come back in every
    query's expansion. The answer is shared: do not change it."""
    return analyze(text)


@lru_cache(maxsize=1)
def _dialect_pattern() -> re.Pattern[str]:
    return re.compile("|".join(re.escape(k) for k in sorted(lexicon.DIALECT, key=len, reverse=True)))


def standardize(text: str) -> str:
    """A (normalised) question with its dialect words read as standard ones (lexicon.DIALECT):
    阿拉屋里厢 → 我们家里, 攞出嚟 → 取出来. Questions only: the catalogue speaks the standard."""
    return _dialect_pattern().sub(lambda m: lexicon.DIALECT[m.group(0)], text)
