"""Importing certificate records: all or nothing, upsert by (type, keyed number hash), nothing clear stored."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govhall.importing import ImportFailed
from govhall.reminders import crypto, schedule, services
from govhall.reminders.models import CertificateRecord, Reminder
from govhall.reminders.tests.conftest import MORNING, csv_of, holder_rows

pytestmark = pytest.mark.django_db


def stored_text() -> str:
    """Every stored column of every record and reminder, as one string to search for clear numbers."""
    rows = list(CertificateRecord.objects.values()) + list(Reminder.objects.values())
    return repr(rows)


def test_import_stores_masked_numbers_hashes_and_a_sealed_phone_only() -> None:
    rows = holder_rows(3, first_expiry=dt.date(2026, 6, 1))
    report = services.import_records("records.csv", csv_of(rows), now=MORNING)
    assert (report.created, report.updated, report.rows) == (3, 0, 3)
    record = CertificateRecord.objects.get(number_hash=crypto.number_hash("id-card", rows[0]["number"]))
    assert record.number_masked == "330***********0000"
    assert record.phone_masked == "138****0000"
    assert crypto.unseal(record.phone_sealed) == "13800000000"
    assert record.subject.startswith("p-")  # an ID card's number is its holder's pseudonym
    text = stored_text()
    for row in rows:
        assert row["number"] not in text
        assert row["phone"] not in text
    # steps 60 and 15 days: 2026-06-01 minus 60 days is still ahead on 2026-03-02
    assert report.planned == 6
    assert set(Reminder.objects.values_list("step_days", flat=True)) == {60, 15}


def test_reimport_updates_instead_of_duplicating_and_replans_a_new_expiry() -> None:
    rows = holder_rows(2, first_expiry=dt.date(2026, 6, 1))
    services.import_records("a.csv", csv_of(rows), now=MORNING)
    again = services.import_records("a.csv", csv_of(rows), now=MORNING)
    assert (again.created, again.updated, again.planned) == (0, 0, 0)
    renewed = [dict(rows[0], expires_on="2036-06-01", phone="13800009999"), rows[1]]
    report = services.import_records("b.csv", csv_of(renewed), now=MORNING)
    assert (report.created, report.updated, report.expiry_changed) == (0, 1, 1)
    assert CertificateRecord.objects.count() == 2
    record = CertificateRecord.objects.get(expires_on=dt.date(2036, 6, 1))
    assert crypto.unseal(record.phone_sealed) == "13800009999"
    states = dict(
        Reminder.objects.filter(record=record).values_list("expires_on", "state").distinct().order_by()
    )
    assert states[dt.date(2026, 6, 1)] == Reminder.State.CANCELLED
    assert states[dt.date(2036, 6, 1)] == Reminder.State.PLANNED


def test_a_bad_line_aborts_the_whole_file_with_line_numbers() -> None:
    services.import_records("ok.csv", csv_of(holder_rows(1, first_expiry=dt.date(2026, 6, 1))), now=MORNING)
    before = stored_text()
    rows = holder_rows(4, first_expiry=dt.date(2026, 6, 1), start=10)
    rows[1]["phone"] = "12345"
    rows[2]["type"] = "护照"
    rows[3]["expires_on"] = "2026-13-45"
    rows.append(dict(rows[0]))  # the same certificate twice
    with pytest.raises(ImportFailed) as failed:
        services.import_records("bad.csv", csv_of(rows), now=MORNING)
    found = {(e.line, e.field) for e in failed.value.errors}
    assert found == {(3, "phone"), (4, "type"), (5, "expires_on"), (6, "number")}
    assert stored_text() == before  # nothing changed


def test_missing_columns_and_unknown_file_types_are_refused() -> None:
    with pytest.raises(ImportFailed) as failed:
        services.import_records("x.csv", "holder,number\n张三,123456\n".encode())
    assert "type" in failed.value.errors[0].reason
    with pytest.raises(ImportFailed):
        services.import_records("x.pdf", b"%PDF")


def test_xlsx_with_chinese_headers_and_excel_dates() -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["持证人", "证照类型", "证号", "到期日", "手机"])
    sheet.append(
        [
            "某某餐饮店",
            "食品经营许可证",
            "JY13301000000001",
            dt.datetime(2026, 9, 1, tzinfo=dt.UTC).replace(tzinfo=None),
            13800001111,
        ]
    )
    sheet.append(["李四", "机动车驾驶证", 330100199001019999.0, dt.date(2026, 9, 1), "13800002222"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(ImportFailed) as failed:
        services.import_records("r.xlsx", out.getvalue())
    assert [(e.line, e.field) for e in failed.value.errors] == [(3, "number")]  # a float lost digits
    sheet.delete_rows(3)
    out = io.BytesIO()
    book.save(out)
    report = services.import_records("r.xlsx", out.getvalue(), now=MORNING)
    assert report.created == 1
    record = CertificateRecord.objects.get()
    assert record.type.code == "food-licence" and record.expires_on == dt.date(2026, 9, 1)
    assert record.holder_name == "某某餐饮店" and record.subject == ""


def test_dry_run_writes_nothing() -> None:
    report = services.import_records(
        "r.csv", csv_of(holder_rows(5, first_expiry=dt.date(2026, 6, 1))), dry_run=True, now=MORNING
    )
    assert report.created == 5
    assert CertificateRecord.objects.count() == 0 and Reminder.objects.count() == 0


def test_a_late_import_plans_one_message_now_not_every_missed_step() -> None:
    rows = holder_rows(1, first_expiry=dt.date(2026, 3, 12))  # 10 days away: 60 and 15 both passed
    services.import_records("late.csv", csv_of(rows), now=MORNING)
    assert list(Reminder.objects.values_list("step_days", flat=True)) == [15]
    expired = holder_rows(1, first_expiry=dt.date(2026, 3, 1), start=1)
    assert services.import_records("old.csv", csv_of(expired), now=MORNING).planned == 0
    services.plan_reminders(MORNING)
    assert Reminder.objects.count() == 1  # planning again adds nothing


@given(st.text(max_size=40))
@settings(max_examples=60, deadline=None)
def test_seal_round_trips_and_detects_tampering(text: str) -> None:
    sealed = crypto.seal(text)
    assert crypto.unseal(sealed) == text
    assert crypto.seal(text) != sealed  # a fresh nonce each time
    raw = bytearray(sealed.encode())
    raw[10] = ord("A") if raw[10] != ord("A") else ord("B")  # inside the nonce: the tag no longer fits
    with pytest.raises(crypto.SealError):
        crypto.unseal(raw.decode())


@given(
    st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2030, 1, 1)),
    st.lists(st.integers(min_value=1, max_value=200), max_size=4),
    st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2030, 1, 1)),
)
def test_steps_to_plan_never_bursts_past_steps(expires: dt.date, steps: list[int], today: dt.date) -> None:
    planned = schedule.steps_to_plan(expires, steps, today)
    assert len(planned) == len(set(planned)) and set(planned) <= set(steps)
    passed = [s for s in planned if expires - dt.timedelta(days=s) <= today]
    assert len(passed) <= 1
    if expires <= today:
        assert planned == []


@given(st.integers(min_value=0, max_value=366 * 24 * 3600))
def test_next_allowed_is_never_inside_quiet_hours(seconds: int) -> None:
    moment = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)
    allowed = schedule.next_allowed(moment, dt.time(21), dt.time(8), "Asia/Shanghai")
    local = allowed.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert not schedule.in_quiet(local.time(), dt.time(21), dt.time(8))
    assert dt.timedelta(0) <= allowed - moment <= dt.timedelta(hours=11)
