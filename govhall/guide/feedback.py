"""Learned ranking feedback: clicks and staff corrections (pure Python, no Django).

A boost is kept per (normalised query key, matter). It is built so that no single person can move
the ranking:

* a click counts once per subject (an anonymous session hash) per key and matter, however often it
  is repeated, and decays with age (half-life `HALF_LIFE_DAYS`, ignored beyond `HORIZON_DAYS`);
* click boosts exist only once `MIN_SUBJECTS` distinct subjects clicked the same matter for the
  same key, grow with the log of their (decayed) number and are capped at `CLICK_CAP`;
* a subject's vote is split over the matters it clicked for that key (clicking everything is
  worth no more than clicking one thing);
* a staff correction (query → the right matter) counts at once, weighs `CORRECTION_BOOST` — more
  than any amount of clicks — and decays far slower.

`apply(results, boosts, extra)` re-ranks an engine answer: score s ∈ (0, 1) is read back to the raw
score s/(1-s), multiplied by (1 + boost) and mapped back, so the engine's scale is kept.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

HALF_LIFE_DAYS = 60.0
HORIZON_DAYS = 365.0
MIN_SUBJECTS = 3
CLICK_UNIT = 0.15
CLICK_CAP = 0.6
CORRECTION_BOOST = 3.0
CORRECTION_HALF_LIFE_DAYS = 730.0
MAX_KEY_CHARS = 200


def query_key(query: str) -> str:
    """The normalised words of a query, sorted and de-duplicated (word order and punctuation,
    traditional characters and full-width forms do not split the feedback)."""
    from govhall.guide import lexicon
    from govhall.guide.text import CJK_RUN, TOKEN_RUN, _cut, init_libraries, normalize

    init_libraries()
    words: set[str] = set()
    for run in TOKEN_RUN.findall(normalize(query or "")):
        if CJK_RUN.fullmatch(run):
            words.update(w for w in _cut(run) if w not in lexicon.STOPWORDS)
        elif run not in lexicon.STOPWORDS:
            words.add(run)
    return " ".join(sorted(words))[:MAX_KEY_CHARS]


@dataclass(frozen=True)
class Click:
    key: str
    matter: str
    subject: str
    at: datetime


@dataclass(frozen=True)
class Correction:
    key: str
    matter: str
    at: datetime


def _decay(age_days: float, half_life: float) -> float:
    return 0.5 ** (max(0.0, age_days) / half_life)


def boosts(
    clicks: Iterable[Click], corrections: Iterable[Correction], now: datetime
) -> dict[tuple[str, str], float]:
    """{(key, matter): boost ≥ 0} from the click log and the staff corrections."""
    # subject → key → matter → freshest weight
    votes: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for click in clicks:
        age = (now - click.at).total_seconds() / 86400
        if age > HORIZON_DAYS:
            continue
        weight = _decay(age, HALF_LIFE_DAYS)
        seen = votes[(click.subject, click.key)]
        seen[click.matter] = max(seen.get(click.matter, 0.0), weight)
    mass: dict[tuple[str, str], float] = defaultdict(float)
    people: dict[tuple[str, str], int] = defaultdict(int)
    for (_, key), matters in votes.items():
        share = 1.0 / len(matters)
        for matter, weight in matters.items():
            mass[(key, matter)] += weight * share
            people[(key, matter)] += 1
    out: dict[tuple[str, str], float] = {}
    for pair, total in mass.items():
        if people[pair] >= MIN_SUBJECTS:
            out[pair] = min(CLICK_CAP, CLICK_UNIT * math.log1p(total) / math.log(2))
    for correction in corrections:
        age = (now - correction.at).total_seconds() / 86400
        pair = (correction.key, correction.matter)
        out[pair] = max(out.get(pair, 0.0), CORRECTION_BOOST * _decay(age, CORRECTION_HALF_LIFE_DAYS))
    return out


def apply(
    results: list[dict[str, object]],
    boost: Mapping[str, float],
    names: Mapping[str, str],
    top: int,
) -> list[dict[str, object]]:
    """Re-rank `results` ({code, name, score}) by `boost` per code. A boosted matter the engine did
    not return (a staff correction for a question it cannot read) enters at the best score."""
    if not boost:
        return results[:top]
    rows = [dict(r) for r in results]
    present = {str(r["code"]) for r in rows}
    best = max((float(r["score"]) for r in rows), default=0.5)  # type: ignore[arg-type]
    for code in boost:
        if code not in present and code in names:
            rows.append({"code": code, "name": names[code], "score": best})
    for row in rows:
        b = boost.get(str(row["code"]), 0.0)
        if b:
            s = min(float(row["score"]), 0.999999)  # type: ignore[arg-type]
            raw = s / (1 - s) * (1 + b)
            row["score"] = round(raw / (1 + raw), 4)
    rows.sort(key=lambda r: -float(r["score"]))  # type: ignore[arg-type]
    return rows[:top]
