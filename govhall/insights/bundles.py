"""一事联办 mining (`insights bundles`): sets of 2–4 matters the same subject does within N days.

Definitions (CONTRACTS section 7): a subject "did" a matter when it has a served ticket for it;
empty subjects are ignored. A subject counts for a set when it has served tickets, one per matter
of the set, whose `issued_at` instants all lie within `window_days` × 24 h of each other, at any
hall. Such a choice exists exactly when some window [t_i, t_i + W] that starts at one of the
subject's served tickets covers every matter, so the sets of a subject are the subsets of those
windows' matter sets.

- support = subjects ÷ all subjects in the log (every non-empty subject on any row)
- confidence = subjects ÷ subjects who did the set's most frequent matter
- lift = subjects ÷ expected, expected = N · Π (subjects who did mᵢ ÷ N)

Order, best first: by subjects, then lift, then the codes. Ranking by lift alone would put sets
done by one or two people first. Excess over the independence expectation looked better on
paper but fails on real-looking logs: most subjects do a single matter in a log, so N · Π pᵢ
overstates chance co-occurrence and a genuine bundle of two popular matters gets lift < 1
(retirement + its insurance change on the benchmark trace: 214 subjects, lift 0.73). Lift is
still reported as defined; `min_lift` drops sets below a chosen lift.

Agents (intermediaries who file many unrelated matters for others) would make every pair of their
matters look related and blow up the enumeration: a subject with more than `agent_tickets`
served tickets within one window (10 by default; people doing their own errands, bundles
included, rarely need more than five or six in a week) is an agent and left out of the mining
(its tickets still count in N and in the per-matter subject counts, as the definitions say).
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

from govhall.ticketlog import LogRow

DEFAULT_AGENT_TICKETS = 10


@dataclass(frozen=True)
class Bundle:
    matters: tuple[str, ...]
    subjects: int
    support: float
    confidence: float
    lift: float
    expected: float

    @property
    def excess(self) -> float:
        return self.subjects - self.expected

    def as_dict(self) -> dict[str, object]:
        return {
            "matters": list(self.matters),
            "subjects": self.subjects,
            "support": round(self.support, 6),
            "confidence": round(self.confidence, 6),
            "lift": round(self.lift, 6),
            "expected": round(self.expected, 6),
        }


@dataclass
class Mining:
    bundles: list[Bundle]
    subjects: int  # N, all non-empty subjects in the log
    agents: list[str]


def _windows(events: list[tuple[float, str]], span: float) -> Iterable[frozenset[str]]:
    """The matter set of each window [t_i, t_i + span] starting at a served ticket (maximal ones only)."""
    events.sort()
    times = [t for t, _ in events]
    previous: frozenset[str] = frozenset()
    for i, (t, _) in enumerate(events):
        end = bisect.bisect_right(times, t + span)
        matters = frozenset(m for _, m in events[i:end])
        if not matters <= previous:
            yield matters
        previous = matters


def _busiest_window(events: list[tuple[float, str]], span: float) -> int:
    """Most served tickets within one window (events sorted by time)."""
    times = [t for t, _ in events]
    return max((bisect.bisect_right(times, t + span) - i for i, t in enumerate(times)), default=0)


def _subject_sets(windows: Iterable[frozenset[str]], max_size: int) -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    for matters in windows:
        ordered = sorted(matters)
        for size in range(2, min(max_size, len(ordered)) + 1):
            found.update(combinations(ordered, size))
    return found


def mine(
    rows: Sequence[LogRow],
    *,
    window_days: float = 7,
    min_subjects: int = 1,
    min_lift: float = 0.0,
    max_size: int = 4,
    agent_tickets: int = DEFAULT_AGENT_TICKETS,
) -> Mining:
    everyone = {r.subject for r in rows if r.subject}
    served: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for r in rows:
        if r.subject and r.outcome == "served":
            served[r.subject].append((r.issued_at.timestamp(), r.matter))
    doers: dict[str, int] = defaultdict(int)
    for events in served.values():
        for matter in {m for _, m in events}:
            doers[matter] += 1
    counts: dict[tuple[str, ...], int] = defaultdict(int)
    agents = []
    span = window_days * 86400.0
    for subject, events in sorted(served.items()):
        windows = list(_windows(events, span))
        if agent_tickets and _busiest_window(events, span) > agent_tickets:
            agents.append(subject)
            continue
        for matters in _subject_sets(windows, max_size):
            counts[matters] += 1
    total = len(everyone)
    bundles = [_bundle(m, n, total, doers) for m, n in counts.items() if n >= min_subjects]
    bundles = [b for b in bundles if b.lift >= min_lift]
    bundles.sort(key=lambda b: (-b.subjects, -b.lift, b.matters))
    return Mining(bundles, total, agents)


def _bundle(matters: tuple[str, ...], subjects: int, total: int, doers: dict[str, int]) -> Bundle:
    expected = total * math.prod(doers[m] / total for m in matters)
    return Bundle(
        matters=matters,
        subjects=subjects,
        support=subjects / total,
        confidence=subjects / max(doers[m] for m in matters),
        lift=subjects / expected,
        expected=expected,
    )


def closed_only(bundles: list[Bundle], ratio: float = 0.75) -> list[Bundle]:
    """Drop a set when a larger set in the list is done by at least `ratio` of its subjects.

    With ratio 1 these are the closed sets of itemset mining; a little below 1 (δ-closed) also
    folds in the subsets left by people who did not finish the whole bundle (a no-show, a matter
    done after the window), so the list shows the bundle once, at its full size.
    """
    subjects = {b.matters: b.subjects for b in bundles}
    covered: set[tuple[str, ...]] = set()
    for b in bundles:
        for size in range(2, len(b.matters)):
            for part in combinations(b.matters, size):
                if part in subjects and b.subjects >= ratio * subjects[part]:
                    covered.add(part)
    return [b for b in bundles if b.matters not in covered]
