"""The halls of 江澜市 (CONTRACTS section 4) and its service points, built from the catalogue.

One city centre (江澜市民中心, open around the clock as a 24小时不打烊 service so the demo always
has traffic), five town centres with ordinary hours and a lunch break, and village points, bank
and post outlets and kiosks. All places and coordinates are invented (around 29.01 N, 120.80 E).
"""

from __future__ import annotations

from typing import Any

CITY = "jianglan"
TIMEZONE = "Asia/Shanghai"
# 元旦 and the Spring Festival break: town centres close, the 24-hour city centre stays open.
HOLIDAYS = ["2027-01-01", *(f"2027-02-{d:02d}" for d in range(5, 12))]
TOWN_HOURS = {"mon-fri": ["08:30-12:00", "13:30-17:00"]}
TOWN_HOURS_SAT = {"mon-fri": ["08:30-12:00", "13:30-17:00"], "sat": ["09:00-12:00"]}

# zone code → (name, yellow, red, overtime minutes)
CITY_ZONES: dict[str, tuple[str, int, int, int]] = {
    "A": ("综合受理区", 12, 20, 15),
    "B": ("公安出入境区", 10, 18, 15),
    "C": ("不动产登记区", 8, 15, 15),
    "D": ("社保医保区", 10, 18, 15),
    "E": ("公积金区", 6, 12, 15),
    "F": ("税务区", 6, 12, 15),
    "G": ("企业开办区", 8, 15, 15),
    "H": ("疑难事项区", 4, 8, 20),
}
DEPARTMENT_ZONE = {
    "公安局": "B",
    "公安局出入境管理局": "B",
    "公安局交通警察支队": "B",
    "不动产登记中心": "C",
    "公用事业联合服务": "C",
    "人力资源和社会保障局": "D",
    "医疗保障局": "D",
    "住房公积金管理中心": "E",
    "税务局": "F",
    "市场监督管理局": "G",
    "烟草专卖局": "G",
    "消防救援支队": "G",
    "文化广电旅游体育局": "G",
    "政务服务管理办公室": "H",
}
# Matters a hall puts with another zone than their department's (一窗受理 of linked work).
MATTER_ZONE = {
    "存量房交易税费申报": "C",
    "新建商品房契税申报": "C",
    "存量房买卖合同网签备案": "C",
    "住房租赁合同登记备案": "C",
    "印章刻制备案": "G",
    "新办纳税人涉税事项套餐": "G",
}
# code, name, zones served, tidal — comprehensive windows serve two or three zones.
CITY_WINDOWS: list[tuple[str, str, list[str], bool]] = [
    *[(str(n), f"{n}号综合窗口", ["A"], False) for n in range(1, 6)],
    ("6", "6号综合窗口(综合+社保医保)", ["A", "D"], False),
    *[(str(n), f"{n}号公安窗口", ["B"], False) for n in range(7, 11)],
    ("11", "11号出入境窗口", ["B"], False),
    *[(str(n), f"{n}号不动产窗口", ["C"], False) for n in range(12, 15)],
    ("15", "15号不动产税费窗口", ["C", "F"], False),
    *[(str(n), f"{n}号社保医保窗口", ["D"], False) for n in range(16, 20)],
    ("20", "20号公积金窗口", ["E"], False),
    ("21", "21号公积金窗口", ["E"], False),
    ("22", "22号公积金贷款窗口", ["E", "C"], False),
    ("23", "23号税务窗口", ["F"], False),
    ("24", "24号税务窗口", ["F"], False),
    *[(str(n), f"{n}号企业开办窗口", ["G"], False) for n in range(25, 28)],
    ("28", "28号无差别受理窗口", ["G", "F", "A"], False),
    ("29", "29号疑难事项窗口", ["H"], False),
    ("30", "30号潮汐窗口", ["A", "D"], True),
    ("31", "31号潮汐窗口", ["B"], True),
    ("32", "32号潮汐窗口", ["C", "E"], True),
    ("33", "33号潮汐窗口", ["G", "F"], True),
]

# code, name, lat, lon, address, windows, opening hours, villages
TOWNS: list[tuple[str, str, float, float, str, int, dict[str, list[str]], list[str]]] = [
    (
        "linxi",
        "临溪街道便民服务中心",
        29.0361,
        120.7712,
        "江澜市澜湖区临溪街道溪园路12号",
        5,
        TOWN_HOURS_SAT,
        ["溪口社区", "桂苑社区", "沙洲村", "望江社区"],
    ),
    (
        "baita",
        "白塔镇便民服务中心",
        28.9532,
        120.8645,
        "江澜市白塔镇塔前街36号",
        4,
        TOWN_HOURS,
        ["上林村", "塔山村", "前洋村", "梅坞村"],
    ),
    (
        "qingping",
        "青坪镇便民服务中心",
        29.0844,
        120.7023,
        "江澜市青坪镇青云路8号",
        3,
        TOWN_HOURS,
        ["竹溪村", "坪头村", "石门村", "下岙村"],
    ),
    (
        "shuanggang",
        "双港街道便民服务中心",
        28.9876,
        120.8421,
        "江澜市双港街道港城大道201号",
        5,
        TOWN_HOURS_SAT,
        ["港湾社区", "新河社区", "渡头村", "东堤社区"],
    ),
    (
        "songao",
        "松岙镇便民服务中心",
        28.9105,
        120.7388,
        "江澜市松岙镇松林街15号",
        3,
        TOWN_HOURS,
        ["岙里村", "松岭村", "海塘村", "南岸村"],
    ),
]
TOWN_ZONES = {"A": ("综合受理区", 8, 14), "B": ("社保医保区", 6, 12)}
TOWN_B_DEPARTMENTS = {"人力资源和社会保障局", "医疗保障局", "住房公积金管理中心"}
TOWN_WINDOWS: dict[int, list[tuple[str, list[str], bool]]] = {
    3: [("1", ["A"], False), ("2", ["A", "B"], False), ("3", ["B"], False)],
    4: [("1", ["A"], False), ("2", ["A"], False), ("3", ["B"], False), ("4", ["A", "B"], False)],
    5: [
        ("1", ["A"], False),
        ("2", ["A"], False),
        ("3", ["B"], False),
        ("4", ["A", "B"], False),
        ("5", ["A", "B"], True),
    ],
}

# Outlets run by banks and the post office (政银通、邮政代办) and self-service kiosks.
BANK_MATTERS = [
    "社会保障卡申领",
    "社会保障卡补领、换领",
    "住房公积金提取(租赁住房)",
    "住房公积金提取(偿还住房贷款本息)",
    "抵押权首次登记",
    "抵押权注销登记",
    "个体工商户设立登记",
    "发票领用",
    "城乡居民社会保险费缴纳",
]
POST_MATTERS = [
    "机动车驾驶证有效期满换证",
    "机动车驾驶证遗失补证",
    "核发机动车检验合格标志",
    "补领、换领机动车行驶证",
    "户籍证明开具",
    "出入境记录查询",
]


def _city_zone(record: dict[str, Any]) -> str:
    return MATTER_ZONE.get(record["name"]) or DEPARTMENT_ZONE.get(record["department"], "A")


def _zone(code: str, name: str, prefix: str, yellow: int, red: int, matters: list[str], overtime: int = 15):
    return {
        "code": code,
        "name": name,
        "prefix": prefix,
        "matters": matters,
        "overtime_minutes": overtime,
        "yellow_waiting": yellow,
        "red_waiting": red,
    }


def halls(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The hall file of the demo city (CONTRACTS section 4), city centre first."""
    city_matters: dict[str, list[str]] = {z: [] for z in CITY_ZONES}
    for record in records:
        if "city" in record["levels"]:
            city_matters[_city_zone(record)].append(record["code"])
    city = {
        "code": CITY,
        "name": "江澜市民中心",
        "level": "city",
        "parent": None,
        "address": "江澜市澜湖区市民大道88号（24小时不打烊政务服务区）",
        "lat": 29.0127,
        "lon": 120.8034,
        "timezone": TIMEZONE,
        # 24小时不打烊: comprehensive windows staffed around the clock, so the demo is never closed.
        "opening_hours": {"mon-sun": ["00:00-23:59"]},
        "closed_dates": [],
        "zones": [
            _zone(code, name, code, yellow, red, city_matters[code], overtime)
            for code, (name, yellow, red, overtime) in CITY_ZONES.items()
        ],
        "windows": [
            {"code": code, "name": name, "zones": zones, "tidal": tidal}
            for code, name, zones, tidal in CITY_WINDOWS
        ],
    }
    out = [city]
    town_matters: dict[str, list[str]] = {"A": [], "B": []}
    for record in records:
        if "town" in record["levels"]:
            zone = "B" if record["department"] in TOWN_B_DEPARTMENTS else "A"
            town_matters[zone].append(record["code"])
    for code, name, lat, lon, address, windows, opening, _villages in TOWNS:
        out.append(
            {
                "code": f"{CITY}-{code}",
                "name": name,
                "level": "town",
                "parent": CITY,
                "address": address,
                "lat": lat,
                "lon": lon,
                "timezone": TIMEZONE,
                "opening_hours": opening,
                "closed_dates": HOLIDAYS,
                "zones": [
                    _zone(z, zname, z, yellow, red, town_matters[z])
                    for z, (zname, yellow, red) in TOWN_ZONES.items()
                ],
                "windows": [
                    {"code": w, "name": f"{w}号窗口", "zones": zones, "tidal": tidal}
                    for w, zones, tidal in TOWN_WINDOWS[windows]
                ],
            }
        )
    return out


def points(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Village points, bank and post outlets and kiosks, each with the matters it can take."""
    by_name = {r["name"]: r["code"] for r in records}
    village = [r["code"] for r in records if "village" in r["levels"]]
    kiosk = [r["code"] for r in records if "kiosk" in r["channels"]]
    out: list[dict[str, Any]] = []
    for t, (code, name, lat, lon, address, _w, _h, villages) in enumerate(TOWNS):
        hall = f"{CITY}-{code}"
        town = name.removesuffix("便民服务中心")
        for i, place in enumerate(villages):
            out.append(
                {
                    "code": f"{hall}-v{i + 1}",
                    "name": f"{town}{place}便民服务点",
                    "kind": "village",
                    "hall": hall,
                    "address": f"{address.split(town)[0]}{town}{place}党群服务中心",
                    "lat": round(lat + 0.011 * ((i % 2) * 2 - 1) + 0.003 * t, 4),
                    "lon": round(lon + 0.013 * ((i // 2) * 2 - 1) - 0.002 * t, 4),
                    "matters": village,
                }
            )
        if t in (0, 1, 3, 4):
            out.append(
                {
                    "code": f"{hall}-bank",
                    "name": f"江澜农商银行{town}支行政银通服务点",
                    "kind": "bank",
                    "hall": hall,
                    "address": f"{address}附近",
                    "lat": round(lat + 0.002, 4),
                    "lon": round(lon - 0.003, 4),
                    "matters": [by_name[n] for n in BANK_MATTERS],
                }
            )
        if t in (1, 2, 4):
            out.append(
                {
                    "code": f"{hall}-post",
                    "name": f"江澜邮政{town}支局便民服务点",
                    "kind": "post",
                    "hall": hall,
                    "address": f"{address}邮政支局",
                    "lat": round(lat - 0.002, 4),
                    "lon": round(lon + 0.002, 4),
                    "matters": [by_name[n] for n in POST_MATTERS],
                }
            )
        out.append(
            {
                "code": f"{hall}-kiosk",
                "name": f"{town}便民服务中心24小时自助终端",
                "kind": "kiosk",
                "hall": hall,
                "address": address,
                "lat": lat,
                "lon": lon,
                "matters": kiosk,
            }
        )
    for i, (name, lat, lon) in enumerate(
        [
            ("江澜市民中心24小时自助服务区", 29.0129, 120.8031),
            ("江澜东站政务服务自助终端", 29.0203, 120.8297),
            ("澜湖商务区企业服务驿站自助终端", 29.0058, 120.7912),
        ]
    ):
        out.append(
            {
                "code": f"{CITY}-kiosk{i + 1}",
                "name": name,
                "kind": "kiosk",
                "hall": CITY,
                "address": "江澜市澜湖区",
                "lat": lat,
                "lon": lon,
                "matters": kiosk,
            }
        )
    return out
