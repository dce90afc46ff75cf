"""Reading certificate record files (.csv, .xlsx) and checking every line — no database here.

Columns (English or Chinese headers): holder/持证人, type/证照类型 (a type code or name),
number/证号, expires_on/到期日 (YYYY-MM-DD, YYYY/MM/DD or an Excel date), phone/手机,
subject/办事人标识 (optional).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import Any

from govhall.importing import ImportFailed, LineError
from govhall.reminders.crypto import PHONE, normalize_number, normalize_phone

HEADERS = {
    "holder": ("holder", "holder_name", "持证人", "姓名", "名称"),
    "type": ("type", "certificate_type", "证照类型", "证件类型"),
    "number": ("number", "certificate_number", "证号", "证件号码", "证照编号"),
    "expires_on": ("expires_on", "expiry", "到期日", "有效期至"),
    "phone": ("phone", "mobile", "手机", "手机号", "联系电话"),
    "subject": ("subject", "办事人标识"),
}
REQUIRED = ("holder", "type", "number", "expires_on", "phone")
NUMBER = re.compile(r"^[0-9A-Z\-]{4,40}$")
MAX_ROWS = 200_000


@dataclass(frozen=True)
class Row:
    """One checked line. `number` and `phone` are clear here and never leave the import service."""

    line: int
    holder: str
    type_code: str
    number: str
    expires_on: dt.date
    phone: str
    subject: str


def read_rows(name: str, data: bytes) -> list[tuple[int, dict[str, Any]]]:
    """(line number, raw cells by column key) from an uploaded or local file."""
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if suffix == "csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                raise ImportFailed([LineError(None, "CSV 文件既不是 UTF-8 也不是 GB18030 编码")])
        reader = csv.reader(io.StringIO(text))
        try:
            header = next(reader)
        except StopIteration:
            return []
        return _tabular(header, [(reader.line_num, row) for row in reader])
    if suffix in ("xlsx", "xlsm"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
            rows = list(sheet.iter_rows(values_only=True))
        except Exception as exc:
            raise ImportFailed([LineError(None, f"无法读取的 Excel 文件: {exc}")])
        if not rows:
            return []
        return _tabular(list(rows[0]), [(i, list(r)) for i, r in enumerate(rows[1:], start=2)])
    raise ImportFailed([LineError(None, f"不支持的文件类型 {suffix!r}，请上传 .csv 或 .xlsx")])


def _tabular(header: list[Any], body: list[tuple[int, list[Any]]]) -> list[tuple[int, dict[str, Any]]]:
    names = {alias.lower(): key for key, aliases in HEADERS.items() for alias in aliases}
    keys = [names.get(str(h or "").strip().lower()) for h in header]
    missing = [k for k in REQUIRED if k not in keys]
    if missing:
        raise ImportFailed(
            [LineError(1, f"表头必须包含列 {', '.join(REQUIRED)}（缺少: {', '.join(missing)}）")]
        )
    if len(body) > MAX_ROWS:
        raise ImportFailed([LineError(None, f"行数过多（{len(body)} 行；每个文件最多 {MAX_ROWS} 行）")])
    rows = []
    for number, cells in body:
        if not any(str(c if c is not None else "").strip() for c in cells):
            continue
        rows.append((number, {k: c for k, c in zip(keys, cells, strict=False) if k}))
    return rows


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return str(value).strip()


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
    except ValueError:
        return None


def validate(rows: list[tuple[int, dict[str, Any]]], types: dict[str, str]) -> list[Row]:
    """Clean rows, or ImportFailed with every bad line. `types` maps codes and names to codes."""
    errors: list[LineError] = []
    clean: list[Row] = []
    seen: dict[tuple[str, str], int] = {}
    for line, raw in rows:
        before = len(errors)
        holder = _text(raw.get("holder"))
        if not holder:
            errors.append(LineError(line, "缺少持证人", "holder"))
        elif len(holder) > 100:
            errors.append(LineError(line, "持证人超过 100 个字符", "holder"))
        type_text = _text(raw.get("type"))
        type_code = types.get(type_text) or types.get(type_text.lower())
        if not type_code:
            errors.append(
                LineError(
                    line,
                    f"未知证照类型 {type_text!r}（可用: {', '.join(sorted(set(types.values())))}）",
                    "type",
                )
            )
        number_cell = raw.get("number")
        number = normalize_number(_text(number_cell))
        if isinstance(number_cell, float):
            errors.append(LineError(line, "证号是 Excel 数值，可能已丢失位数，请设为文本格式", "number"))
        elif not number:
            errors.append(LineError(line, "缺少证号", "number"))
        elif not NUMBER.match(number):
            errors.append(LineError(line, "证号应为 4–40 位字母、数字或 -", "number"))
        expires = _date(raw.get("expires_on"))
        if expires is None:
            errors.append(LineError(line, "到期日不是日期（格式 YYYY-MM-DD）", "expires_on"))
        phone = normalize_phone(_text(raw.get("phone")))
        if not PHONE.match(phone):
            errors.append(LineError(line, "不是有效的手机号（以 1 开头的 11 位数字）", "phone"))
        subject = _text(raw.get("subject"))
        if len(subject) > 64:
            errors.append(LineError(line, "办事人标识超过 64 个字符", "subject"))
        if type_code and number:
            first = seen.setdefault((type_code, number), line)
            if first != line:
                errors.append(LineError(line, f"与第 {first} 行是同一证照（重复）", "number"))
        if len(errors) == before and type_code and expires:
            clean.append(Row(line, holder, type_code, number, expires, phone, subject))
    if errors:
        raise ImportFailed(errors)
    return clean


def write_csv(rows: list[dict[str, str]]) -> bytes:
    """A file in the import format (tests, the demo, the template download)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["holder", "type", "number", "expires_on", "phone", "subject"])
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode()
