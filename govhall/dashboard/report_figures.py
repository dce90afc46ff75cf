"""The figures of a weekly or monthly report, computed from ticket-log rows. No Django here.

Every table is `{"key", "title", "columns": [[key, label], …], "rows": [{…}, …]}` so the page,
the PDF, CSV and Excel all show the same thing. Waits follow CONTRACTS: issue to the first call,
or to leaving when never called; tickets still waiting have no wait yet. Times in seconds.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from govhall.ticketlog import LogRow

OVER = 15 * 60  # "over 15 minutes": the overtime line of the seeds
WAIT_BUCKETS: list[tuple[str, float, float]] = [
    ("5分钟以内", 0, 300),
    ("5–10分钟", 300, 600),
    ("10–15分钟", 600, 900),
    ("15–30分钟", 900, 1800),
    ("30–60分钟", 1800, 3600),
    ("60分钟以上", 3600, math.inf),
]
CHANNELS = {"walk_in": "现场取号", "remote": "远程取号", "appointment": "预约"}
WEEKDAYS = "一二三四五六日"


def quantile(sorted_values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        return None
    pos = (len(sorted_values) - 1) * q
    low = math.floor(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


def wait_of(row: LogRow) -> float | None:
    end = row.called_at or row.finished_at
    return None if end is None else (end - row.issued_at).total_seconds()


@dataclass
class Tally:
    """Counts and waits of a group of tickets."""

    tickets: int = 0
    served: int = 0
    no_show: int = 0
    cancelled: int = 0
    called: int = 0
    waits: list[float] = field(default_factory=list)
    handling: list[float] = field(default_factory=list)

    def add(self, row: LogRow) -> None:
        self.tickets += 1
        if row.outcome == "served":
            self.served += 1
        elif row.outcome == "no_show":
            self.no_show += 1
        elif row.outcome == "cancelled":
            self.cancelled += 1
        if row.called_at is not None:
            self.called += 1
        wait = wait_of(row)
        if wait is not None:
            self.waits.append(wait)
        if row.handling_seconds is not None:
            self.handling.append(row.handling_seconds)

    def wait_figures(self) -> dict[str, Any]:
        waits = sorted(self.waits)
        n = len(waits)
        return {
            "mean_wait_seconds": round(sum(waits) / n, 1) if n else None,
            "p50_wait_seconds": _round(quantile(waits, 0.5)),
            "p90_wait_seconds": _round(quantile(waits, 0.9)),
            "share_over_15min": round(sum(1 for w in waits if w > OVER) / n, 4) if n else None,
        }

    def mean_handling(self) -> float | None:
        return round(sum(self.handling) / len(self.handling), 1) if self.handling else None

    def counts(self) -> dict[str, int]:
        return {
            "tickets": self.tickets,
            "served": self.served,
            "no_show": self.no_show,
            "cancelled": self.cancelled,
            "open": self.tickets - self.served - self.no_show - self.cancelled,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _table(
    key: str, title: str, columns: list[tuple[str, str]], rows: list[dict[str, Any]]
) -> dict[str, Any]:
    return {"key": key, "title": title, "columns": [list(c) for c in columns], "rows": rows}


WAIT_COLUMNS = [
    ("mean_wait_seconds", "平均等候(秒)"),
    ("p50_wait_seconds", "中位等候(秒)"),
    ("p90_wait_seconds", "P90等候(秒)"),
    ("share_over_15min", "超15分钟占比"),
]


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def compute(
    rows: Iterable[LogRow],
    *,
    start: dt.date,
    end: dt.date,
    city: bool,
    hall_names: dict[str, str],
    zone_names: dict[tuple[str, str], str],
    matter_names: dict[str, str],
    alerts: Iterable[tuple[str, str, str, dt.date]] = (),
    tidal: Iterable[tuple[str, str, str, dt.date]] = (),
    staff: Iterable[tuple[str, str, float | None]] = (),
    ratings: dict[str, Any] | None = None,
    window_names: dict[tuple[str, str], str] | None = None,
) -> dict[str, Any]:
    """The report's figures. `alerts`: (hall, zone, kind, local date); `tidal`: (hall, window
    label, window code, local date); `staff`: (hall, staff name, handling seconds or None) per
    ticket a staff member finished; `ratings`: {"rated", "good", "rate", "levels"} or None."""
    total = Tally()
    by_day: dict[dt.date, Tally] = defaultdict(Tally)
    by_hall: dict[str, Tally] = defaultdict(Tally)
    by_zone: dict[tuple[str, str], Tally] = defaultdict(Tally)
    by_matter: dict[str, Tally] = defaultdict(Tally)
    by_channel: dict[str, int] = defaultdict(int)
    by_hour: dict[int, int] = defaultdict(int)
    by_window: dict[tuple[str, str], Tally] = defaultdict(Tally)
    for row in rows:
        day = row.issued_at.date()
        if not start <= day <= end:
            continue
        total.add(row)
        by_day[day].add(row)
        by_hall[row.hall].add(row)
        by_zone[(row.hall, row.zone)].add(row)
        by_matter[row.matter].add(row)
        by_channel[row.channel] += 1
        by_hour[row.issued_at.hour] += 1
        if row.window and row.called_at is not None:
            by_window[(row.hall, row.window)].add(row)

    days = days_between(start, end)
    open_days = sum(1 for d in days if by_day[d].tickets)
    alert_rows: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    alert_total: dict[str, int] = defaultdict(int)
    alerts_per_hall: dict[str, int] = defaultdict(int)
    for hall, zone, kind, day in alerts:
        if start <= day <= end:
            alert_rows[(hall, zone)][kind] += 1
            alert_total[kind] += 1
            alerts_per_hall[hall] += 1
    tidal_rows: dict[tuple[str, str, str], int] = defaultdict(int)
    tidal_per_hall: dict[str, int] = defaultdict(int)
    for hall, label, code, day in tidal:
        if start <= day <= end:
            tidal_rows[(hall, code, label)] += 1
            tidal_per_hall[hall] += 1
    staff_rows: dict[tuple[str, str], list[float]] = defaultdict(list)
    staff_counts: dict[tuple[str, str], int] = defaultdict(int)
    for hall, name, handling in staff:
        staff_counts[(hall, name)] += 1
        if handling is not None:
            staff_rows[(hall, name)].append(handling)

    peak = max(days, key=lambda d: by_day[d].tickets) if days else None
    rated = ratings["rated"] if ratings else 0
    summary = {
        **total.counts(),
        **total.wait_figures(),
        "mean_handling_seconds": total.mean_handling(),
        "open_days": open_days,
        "tickets_per_open_day": round(total.tickets / open_days, 1) if open_days else None,
        "peak_day": peak.isoformat() if peak and by_day[peak].tickets else None,
        "peak_day_tickets": by_day[peak].tickets if peak else 0,
        "overtime_alerts": alert_total["overtime"],
        "yellow_alerts": alert_total["yellow"],
        "red_alerts": alert_total["red"],
        "tidal_openings": sum(tidal_rows.values()),
        "ratings": rated,
        "good_rating_rate": ratings["rate"] if ratings else None,
        "windows_used": len(by_window),
    }

    def hall_label(code: str) -> str:
        return hall_names.get(code, code)

    tables = [
        _table(
            "by_day",
            "每日业务量与等候",
            [("date", "日期"), ("weekday", "星期"), ("tickets", "取号"), ("served", "办结"), *WAIT_COLUMNS],
            [
                {
                    "date": d.isoformat(),
                    "weekday": "周" + WEEKDAYS[d.weekday()],
                    "tickets": by_day[d].tickets,
                    "served": by_day[d].served,
                    **by_day[d].wait_figures(),
                }
                for d in days
            ],
        )
    ]
    if city:
        tables.append(
            _table(
                "by_hall",
                "各中心业务量与等候",
                [
                    ("hall", "中心"),
                    ("tickets", "取号"),
                    ("served", "办结"),
                    *WAIT_COLUMNS,
                    ("alerts", "预警"),
                    ("tidal_openings", "潮汐开窗"),
                ],
                [
                    {
                        "hall": hall_label(h),
                        "tickets": t.tickets,
                        "served": t.served,
                        **t.wait_figures(),
                        "alerts": alerts_per_hall[h],
                        "tidal_openings": tidal_per_hall[h],
                    }
                    for h, t in sorted(by_hall.items(), key=lambda kv: -kv[1].tickets)
                ],
            )
        )
    zone_columns = [("hall", "中心"), ("zone", "功能区")] if city else [("zone", "功能区")]
    tables += [
        _table(
            "by_zone",
            "各功能区业务量与等候",
            [
                *zone_columns,
                ("tickets", "取号"),
                ("served", "办结"),
                ("no_show", "过号"),
                ("cancelled", "取消"),
                *WAIT_COLUMNS,
            ],
            [
                {
                    "hall": hall_label(h),
                    "zone": zone_names.get((h, z), z),
                    **t.counts(),
                    **t.wait_figures(),
                }
                for (h, z), t in sorted(by_zone.items(), key=lambda kv: (-kv[1].tickets, kv[0]))
            ],
        ),
        _table(
            "by_matter",
            "各事项业务量",
            [
                ("matter", "事项编码"),
                ("name", "事项名称"),
                ("tickets", "取号"),
                ("served", "办结"),
                ("mean_wait_seconds", "平均等候(秒)"),
                ("mean_handling_seconds", "平均办理(秒)"),
            ],
            [
                {
                    "matter": m,
                    "name": matter_names.get(m, m),
                    "tickets": t.tickets,
                    "served": t.served,
                    "mean_wait_seconds": t.wait_figures()["mean_wait_seconds"],
                    "mean_handling_seconds": t.mean_handling(),
                }
                for m, t in sorted(by_matter.items(), key=lambda kv: (-kv[1].tickets, kv[0]))
            ],
        ),
        _table(
            "by_channel",
            "取号渠道",
            [("channel", "渠道"), ("tickets", "取号"), ("share", "占比")],
            [
                {
                    "channel": label,
                    "tickets": by_channel.get(c, 0),
                    "share": round(by_channel.get(c, 0) / total.tickets, 4) if total.tickets else None,
                }
                for c, label in CHANNELS.items()
            ],
        ),
        _table(
            "wait_distribution",
            "等候时长分布",
            [("bucket", "等候时长"), ("tickets", "人次"), ("share", "占比")],
            _distribution(total.waits),
        ),
        _table(
            "by_hour",
            "分时段取号",
            [("hour", "时段"), ("tickets", "取号"), ("per_open_day", "日均")],
            [
                {
                    "hour": f"{h:02d}:00–{h + 1:02d}:00",
                    "tickets": by_hour[h],
                    "per_open_day": round(by_hour[h] / open_days, 1) if open_days else None,
                }
                for h in range(24)
                if by_hour.get(h)
            ],
        ),
        _table(
            "alerts",
            "预警",
            [*zone_columns, ("overtime", "超时未叫号"), ("yellow", "黄色预警"), ("red", "红色预警")],
            [
                {
                    "hall": hall_label(h),
                    "zone": zone_names.get((h, z), z),
                    "overtime": k["overtime"],
                    "yellow": k["yellow"],
                    "red": k["red"],
                }
                for (h, z), k in sorted(alert_rows.items())
            ],
        ),
        _table(
            "tidal",
            "潮汐窗口开启",
            [*([("hall", "中心")] if city else []), ("window", "窗口"), ("openings", "开启次数")],
            [
                {"hall": hall_label(h), "window": label or code, "openings": n}
                for (h, code, label), n in sorted(tidal_rows.items())
            ],
        ),
        _table(
            "windows",
            "窗口工作量",
            [
                *([("hall", "中心")] if city else []),
                ("window", "窗口"),
                ("called", "叫号"),
                ("served", "办结"),
                ("per_open_day", "日均办结"),
                ("mean_handling_seconds", "平均办理(秒)"),
            ],
            [
                {
                    "hall": hall_label(h),
                    "window": (window_names or {}).get((h, w), f"{w}号窗口"),
                    "called": t.called,
                    "served": t.served,
                    "per_open_day": round(t.served / open_days, 1) if open_days else None,
                    "mean_handling_seconds": t.mean_handling(),
                }
                for (h, w), t in sorted(by_window.items(), key=lambda kv: (kv[0][0], _natural(kv[0][1])))
            ],
        ),
        _table(
            "staff",
            "人员工作量",
            [
                *([("hall", "中心")] if city else []),
                ("staff", "工作人员"),
                ("served", "办结"),
                ("mean_handling_seconds", "平均办理(秒)"),
            ],
            [
                {
                    "hall": hall_label(h),
                    "staff": name,
                    "served": n,
                    "mean_handling_seconds": round(sum(staff_rows[(h, name)]) / len(staff_rows[(h, name)]), 1)
                    if staff_rows[(h, name)]
                    else None,
                }
                for (h, name), n in sorted(staff_counts.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
        ),
    ]
    if ratings:
        level_total = sum(r["ratings"] for r in ratings["levels"])
        tables.append(
            _table(
                "ratings",
                "好差评",
                [("level", "评价"), ("ratings", "人次"), ("share", "占比")],
                [
                    {
                        "level": r["level"],
                        "ratings": r["ratings"],
                        "share": round(r["ratings"] / level_total, 4) if level_total else None,
                    }
                    for r in ratings["levels"]
                ],
            )
        )
    return {"summary": summary, "tables": tables}


def _natural(code: str) -> tuple[int, str]:
    return (int(code), "") if code.isdigit() else (10**9, code)


def _distribution(waits: list[float]) -> list[dict[str, Any]]:
    n = len(waits)
    out = []
    for label, low, high in WAIT_BUCKETS:
        count = sum(1 for w in waits if low <= w < high)
        out.append({"bucket": label, "tickets": count, "share": round(count / n, 4) if n else None})
    return out
