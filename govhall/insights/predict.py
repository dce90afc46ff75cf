"""Wait prediction (`insights predict-waits`): how long until a ticket issued at t is first called.

Causality is the design constraint: the features of a ticket issued at t use the history log H
freely but only those facts of the live log L that were known at t — tickets issued at or before
t, and calls and endings that happened at or before t. Every feature below is a count or a mean
over events with time <= t, so exporting L at any T >= t gives the same prediction.

The model is a gradient-boosted tree regressor trained on H (features computed from H the same
causal way) on the square root of the wait.
Its features include both queueing baselines, so it starts from them and learns what they miss:
priority, comprehensive windows shared with other zones, the lunch break, tidal windows and
people who give up. With too little history it falls back to the queue-length formula.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from govhall.insights.common import DEFAULT_SERVICE_SECONDS
from govhall.ticketlog import LogRow

RECENT = 1800.0  # how far back "recent" calls, windows and arrivals reach
HANDLING_RECENT = 3600.0
MIN_TRAINING = 300  # called tickets in H below which a learned model is not worth it
QUEUE_BUCKETS = ((0, 0), (1, 5), (6, 15), (16, 30), (31, 10**9))
FEATURES = (
    "ahead",
    "ahead_all",
    "priority",
    "hall_waiting",
    "windows_recent",
    "calls_recent",
    "arrivals_recent",
    "handling_recent",
    "les",
    "since_last_call",
    "head_age",
    "hour",
    "weekday",
    "profile_wait",
    "profile_windows",
    "handling_history",
    "baseline_queue",
    "rate_estimate",
    "appointment",
)


@dataclass
class Columns:
    """A log as arrays (epoch seconds; +inf where an event has not happened)."""

    issue: np.ndarray
    called: np.ndarray
    finished: np.ndarray
    wait_end: np.ndarray
    served: np.ndarray
    priority: np.ndarray
    hour: np.ndarray
    weekday: np.ndarray
    day: np.ndarray  # local date ordinal of issue
    called_day: np.ndarray
    hall: list[str]
    zone: list[tuple[str, str]]
    window: list[str]
    appointment: np.ndarray


def columns(rows: Sequence[LogRow]) -> Columns:
    inf = float("inf")

    def ts(moment: Any) -> float:
        return inf if moment is None else moment.timestamp()

    issue = np.array([r.issued_at.timestamp() for r in rows], dtype=float)
    called = np.array([ts(r.called_at) for r in rows], dtype=float)
    finished = np.array([ts(r.finished_at) for r in rows], dtype=float)
    return Columns(
        issue=issue,
        called=called,
        finished=finished,
        wait_end=np.minimum(called, finished),
        served=np.array([r.outcome == "served" and r.called_at is not None for r in rows], dtype=bool),
        priority=np.array([r.priority for r in rows], dtype=float),
        hour=np.array([r.issued_at.hour + r.issued_at.minute / 60 for r in rows], dtype=float),
        weekday=np.array([r.issued_at.weekday() for r in rows], dtype=float),
        day=np.array([r.issued_at.date().toordinal() for r in rows], dtype=np.int64),
        called_day=np.array(
            [r.called_at.date().toordinal() if r.called_at else -1 for r in rows], dtype=np.int64
        ),
        hall=[r.hall for r in rows],
        zone=[(r.hall, r.zone) for r in rows],
        window=[r.window for r in rows],
        appointment=np.array([r.channel == "appointment" for r in rows], dtype=float),
    )


def _count_le(sorted_values: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.searchsorted(sorted_values, t, side="right")


def _in_range(sorted_values: np.ndarray, t: np.ndarray, span: float) -> np.ndarray:
    """How many values lie in [t - span, t] for each t."""
    return _count_le(sorted_values, t) - np.searchsorted(sorted_values, t - span, side="left")


def _waiting(issue: np.ndarray, wait_end: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Tickets issued at or before t whose wait had not ended by t."""
    ends = np.sort(wait_end[np.isfinite(wait_end)])
    return _count_le(np.sort(issue), t) - _count_le(ends, t)


def _head_age(issue: np.ndarray, wait_end: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Age at each ticket's issue of the oldest other ticket still waiting in its zone.

    A sweep over issue times with a heap of waiting tickets; a ticket whose wait ended by t is
    popped for good, since it has ended for every later t too. Tickets issued in the same second
    are all pushed before that second's age is read, so row order does not matter.
    """
    ages = np.zeros(len(order))
    heap: list[tuple[float, float]] = []
    sorted_issue = issue[order]
    for k, i in enumerate(order):
        t = sorted_issue[k]
        heapq.heappush(heap, (issue[i], wait_end[i]))
        while heap and heap[0][1] <= t:
            heapq.heappop(heap)
        # The top is the oldest ticket still waiting (perhaps this one, then the age is 0).
        ages[k] = t - heap[0][0] if heap else 0.0
    out = np.empty(len(order))
    out[order] = ages
    return out


@dataclass
class Profile:
    """What the history H says about each zone, by weekday and hour."""

    wait: dict[tuple[str, str, int, int], float]
    wait_hour: dict[tuple[str, str, int], float]
    windows: dict[tuple[str, str, int, int], float]
    handling: dict[tuple[str, str], float]
    handling_hall: dict[str, float]
    handling_all: float

    def handling_for(self, hall: str, zone: str) -> float:
        return self.handling.get((hall, zone)) or self.handling_hall.get(hall) or self.handling_all


def build_profile(rows: Sequence[LogRow]) -> Profile:
    waits: dict[tuple[str, str, int, int], list[float]] = defaultdict(list)
    waits_hour: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    windows: dict[tuple[str, str, int, int, int], set[str]] = defaultdict(set)
    handling: dict[tuple[str, str], list[float]] = defaultdict(list)
    handling_hall: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        if r.called_at is not None:
            key = (r.hall, r.zone, r.issued_at.weekday(), r.issued_at.hour)
            waits[key].append((r.called_at - r.issued_at).total_seconds())
            waits_hour[(r.hall, r.zone, r.issued_at.hour)].append(waits[key][-1])
            if r.window:
                c = r.called_at
                windows[(r.hall, r.zone, c.weekday(), c.hour, c.date().toordinal())].add(r.window)
        if r.handling_seconds is not None:
            handling[(r.hall, r.zone)].append(r.handling_seconds)
            handling_hall[r.hall].append(r.handling_seconds)
    per_hour: dict[tuple[str, str, int, int], list[int]] = defaultdict(list)
    for (hall, zone, wd, hour, _day), seen in windows.items():
        per_hour[(hall, zone, wd, hour)].append(len(seen))
    every = [v for vs in handling.values() for v in vs]
    return Profile(
        wait={k: float(np.mean(v)) for k, v in waits.items()},
        wait_hour={k: float(np.mean(v)) for k, v in waits_hour.items()},
        windows={k: float(np.mean(v)) for k, v in per_hour.items()},
        handling={k: float(np.mean(v)) for k, v in handling.items()},
        handling_hall={k: float(np.mean(v)) for k, v in handling_hall.items()},
        handling_all=float(np.mean(every)) if every else DEFAULT_SERVICE_SECONDS,
    )


def _zone_features(c: Columns, idx: np.ndarray, out: np.ndarray, col: dict[str, int]) -> None:
    """Fill the zone-local features of the tickets `idx` (all of one hall's zone)."""
    t = c.issue[idx]
    issue, wait_end, prio = c.issue[idx], c.wait_end[idx], c.priority[idx]
    self_waiting = (wait_end > t).astype(float)
    ahead_all = _waiting(issue, wait_end, t) - self_waiting
    high = prio > 0
    ahead_high = _waiting(issue[high], wait_end[high], t) - self_waiting * high
    out[idx, col["ahead_all"]] = ahead_all
    # Priority tickets only queue behind other priority tickets.
    out[idx, col["ahead"]] = np.where(high, ahead_high, ahead_all)
    called = c.called[idx]
    called_sorted = np.sort(called[np.isfinite(called)])
    out[idx, col["calls_recent"]] = _in_range(called_sorted, t, RECENT)
    out[idx, col["arrivals_recent"]] = _in_range(np.sort(issue), t, RECENT)
    windows = np.zeros(len(idx))
    codes = np.array([c.window[i] for i in idx], dtype=object)
    for code in sorted(set(codes) - {""}):
        mask = (codes == code) & np.isfinite(called)
        windows += _in_range(np.sort(called[mask]), t, RECENT) > 0
    out[idx, col["windows_recent"]] = windows
    _handling_recent(c, idx, t, out, col)
    _les(c, idx, t, out, col)
    order = np.lexsort((idx, issue))
    out[idx, col["head_age"]] = _head_age(issue, wait_end, order)


def _handling_recent(
    c: Columns, idx: np.ndarray, t: np.ndarray, out: np.ndarray, col: dict[str, int]
) -> None:
    served = c.served[idx]
    finished = c.finished[idx][served]
    spans = c.finished[idx][served] - c.called[idx][served]
    order = np.argsort(finished, kind="stable")
    finished, spans = finished[order], spans[order]
    cumulative = np.concatenate([[0.0], np.cumsum(spans)])
    hi = _count_le(finished, t)
    lo = np.searchsorted(finished, t - HANDLING_RECENT, side="left")
    count = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        out[idx, col["handling_recent"]] = np.where(
            count > 0, (cumulative[hi] - cumulative[lo]) / count, np.nan
        )


def _les(c: Columns, idx: np.ndarray, t: np.ndarray, out: np.ndarray, col: dict[str, int]) -> None:
    """The wait of the last ticket of the zone called at or before t, on the same local day."""
    called = c.called[idx]
    mask = np.isfinite(called)
    sub = idx[mask]
    if len(sub) == 0:
        return  # the features stay NaN: nobody has been called yet
    order = np.lexsort((c.issue[sub], c.called[sub]))
    sub = sub[order]
    k = _count_le(c.called[sub], t) - 1
    last = sub[np.maximum(k, 0)]
    same_day = (k >= 0) & (c.called_day[last] == c.day[idx])
    les = np.where(same_day, c.called[last] - c.issue[last], np.nan)
    since = np.where(same_day, t - c.called[last], np.nan)
    out[idx, col["les"]] = les
    out[idx, col["since_last_call"]] = since


def features(rows: Sequence[LogRow], profile: Profile) -> np.ndarray:
    """One row of FEATURES per ticket, in the order of `rows`; causal as the module says."""
    c = columns(rows)
    col = {name: i for i, name in enumerate(FEATURES)}
    out = np.full((len(rows), len(FEATURES)), np.nan)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    halls: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(c.zone):
        groups[key].append(i)
        halls[key[0]].append(i)
    for key_idx in groups.values():
        _zone_features(c, np.array(key_idx), out, col)
    for hall_idx in halls.values():
        idx = np.array(hall_idx)
        t = c.issue[idx]
        out[idx, col["hall_waiting"]] = _waiting(c.issue[idx], c.wait_end[idx], t) - (c.wait_end[idx] > t)
    out[:, col["priority"]] = c.priority
    out[:, col["hour"]] = c.hour
    out[:, col["weekday"]] = c.weekday
    out[:, col["appointment"]] = c.appointment
    for i, (hall, zone) in enumerate(c.zone):
        wd, hour = int(c.weekday[i]), int(c.hour[i])
        out[i, col["profile_wait"]] = profile.wait.get(
            (hall, zone, wd, hour), profile.wait_hour.get((hall, zone, hour), np.nan)
        )
        out[i, col["profile_windows"]] = profile.windows.get((hall, zone, wd, hour), np.nan)
        out[i, col["handling_history"]] = profile.handling_for(hall, zone)
    out[:, col["baseline_queue"]] = baseline_queue(out)
    with np.errstate(invalid="ignore", divide="ignore"):
        calls = out[:, col["calls_recent"]]
        out[:, col["rate_estimate"]] = np.where(calls > 0, out[:, col["ahead"]] * RECENT / calls, np.nan)
    return out


def baseline_queue(x: np.ndarray) -> np.ndarray:
    """Queue length × mean handling time ÷ busy windows (recent figures, else the history's)."""
    col = {name: i for i, name in enumerate(FEATURES)}
    handling = np.where(
        np.isnan(x[:, col["handling_recent"]]), x[:, col["handling_history"]], x[:, col["handling_recent"]]
    )
    windows = x[:, col["windows_recent"]]
    profile_windows = np.nan_to_num(x[:, col["profile_windows"]], nan=1.0)
    windows = np.where(windows > 0, windows, np.maximum(profile_windows, 1.0))
    return x[:, col["ahead"]] * handling / windows


def baseline_les(x: np.ndarray) -> np.ndarray:
    """Delay of the last ticket to enter service; nobody called yet today means no wait known: 0."""
    return np.nan_to_num(x[:, FEATURES.index("les")], nan=0.0)


class Predictor:
    def __init__(self, history: Sequence[LogRow]) -> None:
        self.profile = build_profile(history)
        self.model: Any = None
        x = features(history, self.profile)
        y = np.array(
            [(r.called_at - r.issued_at).total_seconds() if r.called_at else np.nan for r in history]
        )
        known = ~np.isnan(y)
        if known.sum() >= MIN_TRAINING:
            from sklearn.ensemble import HistGradientBoostingRegressor
            from threadpoolctl import threadpool_limits

            # Fitting the square root of the wait tames the long tail (rushes, lunch) so the
            # squared loss does not chase it; it came out ahead of absolute-error loss on the traces.
            self.model = HistGradientBoostingRegressor(
                loss="squared_error", max_iter=200, learning_rate=0.1, early_stopping=False, random_state=0
            )
            # One thread: OpenMP on two busy cores was ten times slower than one thread here.
            with threadpool_limits(limits=1):
                self.model.fit(x[known], np.sqrt(y[known]))

    def predict_features(self, x: np.ndarray) -> np.ndarray:
        if self.model is None:
            return np.maximum(baseline_queue(x), 0.0)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return np.maximum(self.model.predict(x), 0.0) ** 2

    def predict(self, rows: Sequence[LogRow]) -> np.ndarray:
        if not rows:
            return np.zeros(0)
        return self.predict_features(features(rows, self.profile))


def predict_waits(history: Sequence[LogRow], log: Sequence[LogRow]) -> list[tuple[str, int]]:
    """(ticket_id, predicted seconds) for every ticket of `log`, in its order."""
    predictions = Predictor(history).predict(log)
    return [(r.ticket_id, round(float(p))) for r, p in zip(log, predictions, strict=True)]


def _bucket(queue: float) -> str:
    for lo, hi in QUEUE_BUCKETS:
        if lo <= queue <= hi:
            return f"{lo}" if lo == hi else (f"{lo}-{hi}" if hi < 10**9 else f"{lo}+")
    return "?"


def evaluate(history: Sequence[LogRow], log: Sequence[LogRow]) -> dict[str, Any]:
    """MAE of the model and of both baselines on the called tickets of `log`, overall and broken down."""
    predictor = Predictor(history)
    x = features(log, predictor.profile)
    y = np.array([(r.called_at - r.issued_at).total_seconds() if r.called_at else np.nan for r in log])
    known = ~np.isnan(y)
    guesses = {"model": predictor.predict_features(x), "queue": baseline_queue(x), "les": baseline_les(x)}
    errors = {name: np.abs(g - y) for name, g in guesses.items()}

    def mae(mask: np.ndarray) -> dict[str, float]:
        return {name: round(float(e[mask].mean()), 1) for name, e in errors.items()} | {
            "tickets": int(mask.sum())
        }

    def breakdown(keys: list[str]) -> dict[str, dict[str, float]]:
        return {k: mae(known & (np.array(keys) == k)) for k in sorted(set(np.array(keys)[known]))}

    ahead = x[:, FEATURES.index("ahead")]
    return {
        "overall": mae(known),
        "by_zone": breakdown([f"{r.hall}/{r.zone}" for r in log]),
        "by_hour": breakdown([f"{r.issued_at.hour:02d}" for r in log]),
        "by_queue": breakdown([_bucket(q) for q in ahead]),
    }
