"""问题转知识: questions nobody answered become keywords and scenarios of matters.

Jiangbei "translated" 600 colloquial needs into formal matters by hand; here every question the
search could not answer, the assistant was unsure of, or a citizen took to a person is kept
(`record_unanswered`, called on the request path: one insert, never an exception into the caller),
grouped by similarity for managers (`open_groups`), and one decision (`decide`) appends the
group's phrase to a matter's keywords or scenarios. The catalogue change moves `catalog_version()`,
so every process rebuilds its search index within `services.CHECK_SECONDS`; this process forgets
its index at once, so the very next search finds the new phrase.

The grouping (`cluster`) is plain Python over `Item`s, tested without the database: TF-IDF cosine
of character unigrams, bigrams and the query-key words, greedy leader clustering.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from django.db import transaction

from govhall import clock
from govhall.catalog.models import Matter
from govhall.guide.models import Decision, Question
from govhall.queueing.subjects import mask_text

log = logging.getLogger(__name__)

SOURCES = frozenset(Question.Source.values)
MAX_TEXT = 200
MAX_CONVERSATION = 64
# A search answer below this score is "not found" (engine scores are raw/(raw + 8): 0.5 is a raw
# score of 8, about one solid word of a matter's name; good answers score 0.6 to 0.95).
LOW_CONFIDENCE = 0.5
WINDOW_DAYS = 90  # open questions older than this leave the list (they stay in the table)
MAX_OPEN = 5000  # newest open questions grouped per page view
SIMILARITY = 0.4  # cosine at which a question joins a group's leader
PROBES = 8  # a question looks for leaders through its rarest shared features only
BUSY = 100  # ... skipping features so common that a hundred groups already have them
FIELDS = {Decision.Action.KEYWORD: "keywords", Decision.Action.SCENARIO: "scenarios"}

TRAILING = re.compile(r"[\s?？!！。.,，、~～…]+$")
STOP_CHARS = frozenset("的了吗呢吧啊呀么我你他她它是在要想能可以怎么办哪里什么请问一下个")


class LearningError(ValueError):
    def __init__(self, detail: str, status: int = 422) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status


# ---------------------------------------------------------------- recording


def is_unanswered(answer: dict[str, Any]) -> bool:
    """A `search_catalog` answer with no result, or whose best result is below `LOW_CONFIDENCE`."""
    results = answer.get("results") or []
    return not results or float(results[0].get("score", 0.0)) < LOW_CONFIDENCE


def record_unanswered(text: str, *, source: str, conversation: str | None = None) -> None:
    """Keep a question nobody answered (masked). Bad input is logged and dropped; a failure to
    store is logged with its traceback; nothing is ever raised into the caller."""
    try:
        if not isinstance(text, str) or source not in SOURCES:
            log.warning("record_unanswered: ignored bad input (source=%r, text type %s)", source, type(text))
            return
        question = build_question(text, source, conversation, clock.now())
        if question is None:
            return
        with transaction.atomic():  # a savepoint: a failure here never breaks the caller's transaction
            question.save()
    except Exception:
        log.exception("record_unanswered: could not store a question (source=%r)", source)


def build_question(text: str, source: str, conversation: str | None, at: datetime) -> Question | None:
    """An unsaved question, masked and keyed; None when the text has no words to learn from."""
    from govhall.guide.feedback import query_key

    clean = mask_text(" ".join(text[: MAX_TEXT * 5].split()))[:MAX_TEXT]
    key = query_key(clean) if clean else ""
    if not key:
        return None
    token = conversation[:MAX_CONVERSATION] if isinstance(conversation, str) else ""
    return Question(text=clean, key=key, source=source, conversation=token, at=at)


def record_search(query: str, answer: dict[str, Any]) -> None:
    """Keep a search the engine could not answer (called by the search endpoint), unless a manager
    already taught these words to the matter it now ranks first (a taught phrase may still score
    low in a small catalogue: it must not come back to the list)."""
    if not (query or "").strip() or not is_unanswered(answer):
        return
    results = answer.get("results") or []
    try:
        if results and _taught(query, str(results[0].get("code", ""))):
            return
    except Exception:
        log.exception("record_search: could not check earlier decisions")
        return
    record_unanswered(query, source=Question.Source.SEARCH)


def _taught(query: str, code: str) -> bool:
    from govhall.guide.feedback import query_key

    key = query_key(mask_text(query))
    adopted = Decision.objects.filter(key=key, matter_code=code).exclude(action=Decision.Action.IGNORE)
    return bool(key) and adopted.exists()


# ---------------------------------------------------------------- grouping (pure)


@dataclass(frozen=True)
class Item:
    id: int
    text: str
    key: str
    source: str
    at: datetime


@dataclass
class Group:
    items: list[Item] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def newest(self) -> Item:
        return max(self.items, key=lambda i: (i.at, i.id))

    @property
    def ids(self) -> list[int]:
        return sorted(i.id for i in self.items)

    @property
    def sources(self) -> dict[str, int]:
        return dict(Counter(i.source for i in self.items).most_common())

    @property
    def phrase(self) -> str:
        """The most asked wording (the newest on a tie), without trailing punctuation."""
        counts = Counter(TRAILING.sub("", i.text) or i.text for i in self.items)
        newest = {TRAILING.sub("", i.text) or i.text: (i.at, i.id) for i in sorted(self.items, key=_age)}
        return max(counts, key=lambda t: (counts[t], newest[t]))

    def examples(self, n: int = 5) -> list[Item]:
        """Up to n different wordings, newest first."""
        seen: dict[str, Item] = {}
        for item in sorted(self.items, key=_age, reverse=True):
            seen.setdefault(item.text, item)
        return list(seen.values())[:n]


def _age(item: Item) -> tuple[datetime, int]:
    return (item.at, item.id)


def features(text: str, key: str) -> Counter[str]:
    """Character unigrams and bigrams of the normalised text (padding characters dropped) and the
    key's words: near-duplicate phrasings share most of them whatever the word order."""
    from govhall.guide.text import CJK_RUN, normalize

    out: Counter[str] = Counter()
    for run in CJK_RUN.findall(normalize(text)):
        chars = [c for c in run if c not in STOP_CHARS]
        out.update(chars)
        out.update(a + b for a, b in pairwise(chars))
    out.update(f"w:{w}" for w in key.split())
    return out


def cluster(items: Iterable[Item], threshold: float = SIMILARITY) -> list[Group]:
    """Greedy leader clustering: wordings by frequency, each joins the most similar leader at or
    above `threshold` or leads a new group. Groups come back largest first, then newest."""
    by_text: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_text[TRAILING.sub("", item.text) or item.text].append(item)
    if not by_text:
        return []
    raw = {text: features(text, members[0].key) for text, members in by_text.items()}
    df: Counter[str] = Counter()
    for feats in raw.values():
        df.update(feats.keys())
    n = len(raw)
    idf = {f: math.log((n + 1) / (d + 1)) + 1.0 for f, d in df.items()}
    order = sorted(by_text, key=lambda t: (-len(by_text[t]), -max(i.at.timestamp() for i in by_text[t]), t))
    leaders: list[dict[str, float]] = []
    groups: list[Group] = []
    postings: dict[str, list[int]] = defaultdict(list)
    for text in order:
        vector = _unit({f: c * idf[f] for f, c in raw[text].items()})
        probes = sorted((f for f in vector if df[f] > 1), key=lambda f: -vector[f])[:PROBES]
        candidates = {g for f in probes if len(postings[f]) <= BUSY for g in postings[f]}
        best, best_sim = -1, threshold
        for g in candidates:
            sim = _cosine(vector, leaders[g])
            if sim >= best_sim:
                best, best_sim = g, sim
        if best < 0:
            best = len(groups)
            leaders.append(vector)
            groups.append(Group())
            for f in vector:
                postings[f].append(best)
        groups[best].items.extend(by_text[text])
    return sorted(groups, key=lambda g: (-g.count, -g.newest.at.timestamp(), g.newest.id))


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {f: v / norm for f, v in vector.items()}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(f, 0.0) for f, v in a.items())


# ---------------------------------------------------------------- the manager's list


@dataclass
class GroupView:
    group: Group
    guesses: list[dict[str, Any]]  # the search's current answer for the phrase: [{code, name, score}]

    @property
    def guess(self) -> dict[str, Any] | None:
        return self.guesses[0] if self.guesses else None

    @property
    def sources(self) -> list[tuple[str, int]]:
        return [(Question.Source(s).label, n) for s, n in self.group.sources.items()]


@dataclass
class Listing:
    groups: list[GroupView]
    total_groups: int
    total_questions: int


def open_items(source: str | None = None) -> list[Item]:
    """The newest open questions of the last `WINDOW_DAYS` (at most `MAX_OPEN`)."""
    found = Question.objects.filter(decision__isnull=True, at__gte=clock.now() - timedelta(days=WINDOW_DAYS))
    if source:
        found = found.filter(source=source)
    rows = found.order_by("-at", "-id").values_list("id", "text", "key", "source", "at")[:MAX_OPEN]
    return [Item(*row) for row in rows]


def open_groups(limit: int = 50, source: str | None = None) -> Listing:
    """Open questions grouped, largest groups first; the first `limit` with the search's best guess."""
    from govhall.guide.services import search_catalog

    items = open_items(source)
    groups = cluster(items)
    shown = [GroupView(g, search_catalog(g.phrase, top=3, learned=True)["results"]) for g in groups[:limit]]
    return Listing(shown, len(groups), len(items))


def recent_decisions(n: int = 20) -> list[Decision]:
    return list(Decision.objects.select_related("user").order_by("-at", "-id")[:n])


# ---------------------------------------------------------------- decisions


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    fresh: bool  # false: these questions had been decided already (nothing changed)


def decide(
    ids: Iterable[int | str], action: str, user: Any, *, matter_code: str = "", phrase: str = ""
) -> Outcome:
    """Close open questions: add `phrase` to the keywords or scenarios of `matter_code` (no
    duplicates; the catalogue version moves), or ignore them. All or nothing; asking again for
    questions already decided changes nothing and returns the decision that closed them."""
    from govhall.guide.feedback import query_key

    question_ids = _ids(ids)
    if action not in Decision.Action.values:
        raise LearningError(f"unknown action {action!r}: keyword, scenario or ignore")
    adopting = action != Decision.Action.IGNORE
    clean = mask_text(" ".join((phrase or "").split()))
    if adopting and not clean:
        raise LearningError("phrase must not be empty / 请填写要加入的说法")
    if len(clean) > MAX_TEXT:
        raise LearningError(f"phrase longer than {MAX_TEXT} characters / 说法太长")
    code = (matter_code or "").strip()
    with transaction.atomic():
        matter = None
        if adopting:
            matter = Matter.objects.select_for_update().filter(code=code).first()
            if matter is None:
                raise LearningError(f"unknown matter {code!r} / 没有这个事项编码", status=404)
        questions = Question.objects.filter(pk__in=question_ids)
        # locked, so two managers deciding the same questions at once decide them once
        open_ids = list(
            questions.filter(decision__isnull=True).select_for_update().values_list("pk", flat=True)
        )
        still_open = Question.objects.filter(pk__in=open_ids, decision__isnull=True)
        if not open_ids:
            earlier = (
                Decision.objects.filter(closed__in=questions).order_by("-at", "-id").first()
                if questions.exists()
                else None
            )
            if earlier is None:
                raise LearningError("no such questions / 没有这些问题", status=404)
            return Outcome(earlier, fresh=False)
        added = False
        if matter is not None:
            added = _append(matter, FIELDS[Decision.Action(action)], clean)
        decision = Decision.objects.create(
            action=action,
            matter_code=code if adopting else "",
            phrase=clean if adopting else "",
            key=query_key(clean) if adopting else "",
            added=added,
            user=user,
            at=clock.now(),
        )
        decision.questions = still_open.update(decision=decision)
        decision.save(update_fields=["questions"])
        if added:
            transaction.on_commit(_forget_index)
    log.info("guide learning: %s by %s on %s questions", action, user, decision.questions)
    return Outcome(decision, fresh=True)


def _ids(ids: Iterable[int | str]) -> list[int]:
    try:
        found = sorted({int(i) for i in ids})
    except (TypeError, ValueError):
        raise LearningError("question ids must be integers") from None
    if not found:
        raise LearningError("no questions chosen / 没有选择问题")
    if found[0] < 1 or found[-1] >= 2**63:  # not an id; a database would refuse it with a 500
        raise LearningError("no such questions / 没有这些问题", status=404)
    return found


def _append(matter: Matter, field_name: str, phrase: str) -> bool:
    """Add the phrase unless the list has it already (compared normalised); bump `updated_at` so
    `catalog_version()` moves and every process rebuilds its index."""
    from govhall.guide.text import normalize

    current = list(getattr(matter, field_name) or [])
    wanted = normalize(phrase)
    if any(normalize(str(existing)) == wanted for existing in current):
        return False
    Matter.objects.filter(pk=matter.pk).update(**{field_name: [*current, phrase], "updated_at": clock.now()})
    return True


def _forget_index() -> None:
    from govhall.guide.services import reset_index

    reset_index()
