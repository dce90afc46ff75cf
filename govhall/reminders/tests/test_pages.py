"""Manage pages and the API: access, import with errors, send now, and no clear number anywhere."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from govhall.reminders import services
from govhall.reminders.fakegateway import FakeGateway
from govhall.reminders.models import CertificateRecord, GatewayConfig, OptOut, Reminder
from govhall.reminders.tests.conftest import MORNING, PASSWORD, csv_of, holder_rows, user
from govhall.testing import build_hall

pytestmark = pytest.mark.django_db
PAGES = ["", "import/", "records/", "log/", "log.csv", "optouts/", "figures/"]


@pytest.fixture(autouse=True)
def at_morning() -> Iterator[None]:
    with time_machine.travel(MORNING, tick=False):
        yield


@pytest.fixture
def zhang(city_manager_zhang: tuple[Any, str]) -> Client:
    client = Client()
    assert client.login(username="manager_zhang", password=PASSWORD)
    return client


def clear_values(rows: list[dict[str, str]]) -> list[str]:
    return [r["number"] for r in rows] + [r["phone"] for r in rows]


def test_anonymous_is_sent_to_login_and_hall_managers_are_refused(db: None) -> None:
    answer = Client().get("/manage/reminders/")
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/")
    build_hall("city", zones=("A",))
    user("manager_wu", "manager", hall="city")
    client = Client()
    client.login(username="manager_wu", password=PASSWORD)
    assert client.get("/manage/reminders/").status_code == 403
    assert client.post("/manage/reminders/send/").status_code == 403


def test_upload_with_errors_shows_them_and_changes_nothing(zhang: Client) -> None:
    rows = holder_rows(3, first_expiry=dt.date(2026, 3, 12))
    rows[2]["phone"] = "02588886666"
    upload = SimpleUploadedFile("records.csv", csv_of(rows), content_type="text/csv")
    page = zhang.post("/manage/reminders/import/", {"file": upload})
    html = page.content.decode()
    assert "导入失败，未做任何修改" in html and "<td>4</td><td>phone</td>" in html
    assert CertificateRecord.objects.count() == 0


def test_every_page_api_and_export_shows_numbers_masked(zhang: Client, gateway: FakeGateway) -> None:
    rows = holder_rows(6, first_expiry=dt.date(2026, 3, 12))
    upload = SimpleUploadedFile("records.csv", csv_of(rows), content_type="text/csv")
    page = zhang.post("/manage/reminders/import/", {"file": upload})
    assert page.status_code == 200 and "导入成功" in page.content.decode()
    assert CertificateRecord.objects.count() == 6
    preview = zhang.get("/manage/reminders/").content.decode()
    assert "138****0000" in preview and "330***********0003" in preview and "测*****您好" in preview
    zhang.post("/manage/reminders/send/")
    assert Reminder.objects.filter(state=Reminder.State.DELIVERED).count() == 6
    zhang.post("/manage/reminders/optouts/", {"action": "add", "phone": "13800000005"})
    assert OptOut.objects.count() == 1
    seen = [zhang.get(f"/manage/reminders/{p}") for p in PAGES]
    assert all(r.status_code == 200 for r in seen)
    api = [zhang.get(f"/api/v1/reminders/{p}") for p in ("batch", "deliveries", "figures", "opt-outs")]
    assert all(r.status_code == 200 for r in api)
    everything = "".join(r.content.decode() for r in seen + api)
    assert "138****0001" in everything and "330***********0002" in everything
    for clear in clear_values(rows):
        assert clear not in everything
    assert len(api[1].json()) == 6 and api[2].json()[0]["delivered"] == 6


def test_api_import_returns_line_errors_as_422_and_needs_a_city_manager(
    city_manager_zhang: tuple[Any, str],
) -> None:
    _, token = city_manager_zhang
    auth = {"Authorization": f"Bearer {token}"}
    rows = holder_rows(2, first_expiry=dt.date(2026, 3, 12))
    rows[0]["expires_on"] = "明年"
    client = Client()
    bad = client.post(
        "/api/v1/reminders/import", {"file": SimpleUploadedFile("r.csv", csv_of(rows))}, headers=auth
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {"line": 2, "field": "expires_on", "reason": "到期日不是日期（格式 YYYY-MM-DD）"}
    ]
    rows[0]["expires_on"] = "2026-03-12"
    good = client.post(
        "/api/v1/reminders/import", {"file": SimpleUploadedFile("r.csv", csv_of(rows))}, headers=auth
    )
    assert good.status_code == 200 and good.json()["created"] == 2
    assert client.get("/api/v1/reminders/batch").status_code == 401
    build_hall("city", zones=("A",))
    _, staff = user("clerk_qian", "staff", hall="city")
    refused = client.get("/api/v1/reminders/batch", headers={"Authorization": f"Bearer {staff}"})
    assert refused.status_code == 403 and "detail" in refused.json()


def test_send_now_without_a_gateway_says_so(zhang: Client) -> None:
    services.import_records("r.csv", csv_of(holder_rows(1, first_expiry=dt.date(2026, 3, 12))))
    page = zhang.post("/manage/reminders/send/", follow=True)
    assert "未配置短信网关" in page.content.decode()
    zhang.post("/manage/reminders/gateway/", {"url": "fake:"})
    assert GatewayConfig.objects.get().url == "fake:"
    page = zhang.post("/manage/reminders/send/", follow=True)
    assert "发送 1 条（已送达 1）" in page.content.decode()
    assert zhang.post("/manage/reminders/gateway/", {"url": "ftp://x"}, follow=True).status_code == 200
    assert GatewayConfig.objects.get().url == "fake:"


def test_openapi_describes_every_reminders_operation(db: None) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    paths = {p: ops for p, ops in schema["paths"].items() if p.startswith("/api/v1/reminders/")}
    assert len(paths) == 8
    for ops in paths.values():
        for op in ops.values():
            assert "200" in op["responses"] and "403" in op["responses"]


def test_city_managers_edit_the_rules_and_a_bad_template_is_refused(zhang: Client) -> None:
    services.ensure_default_types()
    from govhall.reminders.models import CertificateType

    ctype = CertificateType.objects.get(code="id-card")
    url = f"/manage/reminders/certificatetype/{ctype.pk}/change/"
    page = zhang.get(url)
    assert page.status_code == 200
    form = {
        "code": ctype.code,
        "name": ctype.name,
        "renewal_matter_code": ctype.renewal_matter_code,
        "renewal_matter_name": ctype.renewal_matter_name,
        "online_hint": ctype.online_hint,
        "hall_hint": ctype.hall_hint,
        "steps": "[30, 90, 30]",
        "quiet_start": "22:00",
        "quiet_end": "07:30",
        "timezone": ctype.timezone,
        "template": "{holder}您好，{unknown}",
        "active": "on",
    }
    refused = zhang.post(url, form)
    assert refused.status_code == 200 and "模板有误" in refused.content.decode()
    form["template"] = "{holder}您好，您的{type}将于{expiry}到期，{channel_hint}。"
    assert zhang.post(url, form).status_code == 302
    ctype.refresh_from_db()
    assert ctype.steps == [90, 30] and ctype.quiet_end.hour == 7


def test_records_are_found_by_the_full_number_without_showing_it(zhang: Client) -> None:
    rows = holder_rows(3, first_expiry=dt.date(2026, 3, 12))
    services.import_records("r.csv", csv_of(rows))
    page = zhang.post("/manage/reminders/records/", {"q": rows[1]["number"]}).content.decode()
    assert "330***********0001" in page and "330***********0002" not in page
    assert rows[1]["number"] not in page
    by_phone = zhang.post("/manage/reminders/records/", {"q": rows[2]["phone"]}).content.decode()
    assert "138****0002" in by_phone and "138****0001" not in by_phone
