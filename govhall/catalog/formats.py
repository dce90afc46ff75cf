"""Reading and writing catalogue files (.jsonl, .csv, .xlsx) — no database here."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from govhall.importing import ImportFailed, LineError

LIST_FIELDS = ("audience", "levels", "channels", "materials", "keywords", "scenarios")
ALLOWED = {
    "audience": ("person", "enterprise"),
    "levels": ("city", "town", "village"),
    "channels": ("app", "web", "kiosk", "hall"),
}
COLUMNS = (
    "code",
    "name",
    "department",
    "audience",
    "levels",
    "channels",
    "max_visits",
    "promised_days",
    "fee",
    "materials",
    "keywords",
    "scenarios",
    "description",
)


def read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, raw record) pairs; a file that can't be parsed raises ImportFailed."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        return _read_jsonl(path)
    if suffix == ".csv":
        return _read_csv(path.read_text(encoding="utf-8-sig"))
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    raise ImportFailed([LineError(None, f"unsupported file type {suffix!r}: use .jsonl, .csv or .xlsx")])


def _read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    rows, errors = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(LineError(number, f"bad JSON: {exc.msg} (column {exc.colno})"))
            continue
        if not isinstance(record, dict):
            errors.append(LineError(number, "each line must be a JSON object"))
            continue
        rows.append((number, record))
    if errors:
        raise ImportFailed(errors)
    return rows


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split("|") if part.strip()]


def _tabular(header: list[str], body: list[tuple[int, list[Any]]]) -> list[tuple[int, dict[str, Any]]]:
    header = [str(h or "").strip() for h in header]
    if "code" not in header or "name" not in header:
        raise ImportFailed([LineError(1, "the header must name at least the columns code and name")])
    rows = []
    for number, cells in body:
        if not any(str(c or "").strip() for c in cells):
            continue
        record: dict[str, Any] = {}
        for key, cell in zip(header, cells, strict=False):
            if not key:
                continue
            text = "" if cell is None else str(cell).strip()
            if key in LIST_FIELDS:
                record[key] = _split(text)
            elif text != "":
                record[key] = cell if isinstance(cell, (int, float)) and not isinstance(cell, bool) else text
        rows.append((number, record))
    return rows


def _read_csv(text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        return []
    return _tabular(header, [(reader.line_num, row) for row in reader])


def _read_xlsx(path: Path) -> list[tuple[int, dict[str, Any]]]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    except Exception as exc:
        raise ImportFailed([LineError(None, f"not a readable Excel file: {exc}")])
    rows = list(sheet.iter_rows(values_only=True))
    if not rows:
        return []
    return _tabular(list(rows[0]), [(i, list(r)) for i, r in enumerate(rows[1:], start=2)])


def _int(value: Any, name: str, line: int, errors: list[LineError], default: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        errors.append(LineError(line, f"not a number: {value!r}", name))
        return default
    if number != number.to_integral_value() or number < 0:
        errors.append(LineError(line, f"must be a whole number ≥ 0, got {value!r}", name))
        return default
    return int(number)


def validate(rows: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Clean records, or ImportFailed listing every bad line with its field and reason."""
    errors: list[LineError] = []
    clean: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, raw in rows:
        before = len(errors)
        code = raw.get("code")
        name = raw.get("name")
        if not isinstance(code, (str, int)) or not str(code).strip():
            errors.append(LineError(line, "missing code", "code"))
        if not isinstance(name, str) or not name.strip():
            errors.append(LineError(line, "missing name", "name"))
        code = str(code).strip() if code is not None else ""
        if code and code in seen:
            errors.append(LineError(line, f"duplicate code {code!r} (first on line {seen[code]})", "code"))
        elif code:
            seen[code] = line
        record: dict[str, Any] = {"code": code, "name": (name or "").strip() if isinstance(name, str) else ""}
        for key in LIST_FIELDS:
            value = raw.get(key, [])
            if value is None:
                value = []
            if isinstance(value, str):
                value = _split(value)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors.append(LineError(line, "must be a list of strings", key))
                continue
            value = [v.strip() for v in value if v.strip()]
            if key in ALLOWED:
                unknown = [v for v in value if v not in ALLOWED[key]]
                if unknown:
                    errors.append(
                        LineError(
                            line, f"unknown value {unknown[0]!r} (allowed: {', '.join(ALLOWED[key])})", key
                        )
                    )
            record[key] = value
        department = raw.get("department", "")
        if department is not None and not isinstance(department, str):
            errors.append(LineError(line, "must be a string", "department"))
        record["department"] = (department or "").strip() if isinstance(department, str) else ""
        record["max_visits"] = _int(raw.get("max_visits"), "max_visits", line, errors, 1)
        record["promised_days"] = _int(raw.get("promised_days"), "promised_days", line, errors, 0)
        fee = raw.get("fee", 0)
        try:
            record["fee"] = Decimal(str(fee if fee not in (None, "") else 0))
            if record["fee"] < 0 or not record["fee"].is_finite():
                raise InvalidOperation
        except InvalidOperation:
            errors.append(LineError(line, f"must be a number of yuan ≥ 0, got {fee!r}", "fee"))
        description = raw.get("description", "")
        if description is not None and not isinstance(description, str):
            errors.append(LineError(line, "must be a string", "description"))
        record["description"] = description if isinstance(description, str) else ""
        record["extra"] = {k: v for k, v in raw.items() if k not in COLUMNS}
        if len(errors) == before:
            clean.append(record)
    if errors:
        raise ImportFailed(errors)
    return clean


def to_jsonable(record: dict[str, Any]) -> dict[str, Any]:
    out = {key: record[key] for key in COLUMNS}
    fee = record["fee"]
    out["fee"] = int(fee) if fee == fee.to_integral_value() else float(fee)
    out.update(record.get("extra") or {})
    return out


def write(path: Path, records: list[dict[str, Any]]) -> None:
    suffix = path.suffix.lower()
    items = [to_jsonable(r) for r in records]
    if suffix in (".jsonl", ".json", ".ndjson"):
        path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
        return
    table = [list(COLUMNS)] + [
        ["|".join(v) if isinstance(v, list) else v for v in (i[c] for c in COLUMNS)] for i in items
    ]
    if suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(table)
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "事项目录"
        for row in table:
            sheet.append(row)
        book.save(path)
    else:
        raise ValueError(f"unsupported file type {suffix!r}: use .jsonl, .csv or .xlsx")
