"""Demo questions for 问题转知识: invented colloquial questions of the last two weeks that the demo
search misses or the assistant could not answer, with near-duplicate wordings so groups form
(摆摊 → 城市道路临时占用审批, 老爸住院刷我的卡 → 家庭共济备案, noise complaints to dismiss …).

Called by the demo loader: `load(rng, now)`. Idempotent: it adds nothing once any question exists.
"""

from __future__ import annotations

import datetime as dt
import random

from govhall.guide.learning import build_question
from govhall.guide.models import Question

S, A, H = Question.Source.SEARCH, Question.Source.ASSISTANT, Question.Source.HANDOFF
# (wording, source, times asked)
QUESTIONS: list[tuple[str, str, int]] = [
    ("路边摆个摊需要啥手续", S, 4),
    ("在路边摆摊要什么手续", S, 2),
    ("路边摆摊需要办啥手续吗", A, 1),
    ("想在路边摆个小摊要去哪里申请", H, 1),
    ("老爸住院能不能刷我的卡", A, 3),
    ("我爸住院能刷我的卡吗", S, 2),
    ("我电话13812345678，老爸住院可以刷儿子的卡吗", H, 1),
    ("隔壁装修吵得睡不着", S, 2),
    ("楼上天天半夜装修太吵", S, 1),
    ("邻居装修太吵了找谁", H, 1),
    ("七十岁坐车不要钱的卡在哪办", A, 2),
    ("老人坐公交免费的卡在哪办", S, 2),
    ("老年人坐公交的免费卡怎么弄", S, 1),
    ("家里老人走丢了怎么办", H, 1),
    ("老人走丢了找谁帮忙", A, 1),
    ("车子违章扣分在哪处理", S, 2),
    ("违章扣分去哪里处理", A, 1),
    ("今天天气怎么样", S, 1),
    ("身份证号330299199001011234的社保查不到", H, 1),
]
DAYS = 14


def load(rng: random.Random, now: dt.datetime) -> None:
    if Question.objects.exists():
        return
    rows = []
    for text, source, times in QUESTIONS:
        for _ in range(times):
            at = now - dt.timedelta(seconds=rng.randint(600, DAYS * 86400))
            conversation = f"demo-{rng.getrandbits(48):012x}" if source != S else None
            question = build_question(text, source, conversation, at)
            if question is not None:
                rows.append(question)
    Question.objects.bulk_create(rows)
