"""Rating, 差评 cases, appeals, default ratings, escalation of overdue steps."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction

from govhall.halls.models import Hall
from govhall.monitor.models import Recipient
from govhall.queueing import services as queue
from govhall.queueing.errors import Conflict, Forbidden, NotFound, Unprocessable
from govhall.ratings import queries, services
from govhall.ratings.models import Case, Channel, HallSettings, Notice, Overdue, Rating, Step
from govhall.ratings.tests.conftest import MEDICAL, served

SH = ZoneInfo("Asia/Shanghai")
# Tuesday 2026-09-22 10:00 in the hall
TUESDAY = dt.datetime(2026, 9, 22, 10, 0, tzinfo=SH)


def test_a_good_rating_is_tied_to_ticket_window_staff_and_matter(city: Hall, clerk_wang: Any) -> None:
    ticket = served(city, "2", clerk_wang, MEDICAL)
    rating = services.rate(ticket.pk, 4, "  很快  ", ["efficiency", "efficiency"])
    assert (rating.level, rating.comment, rating.tags) == (4, "很快", ["efficiency"])
    assert rating.staff == clerk_wang and rating.window_code == "2" and rating.matter_code == MEDICAL
    assert rating.zone.code == "B" and rating.channel == Channel.PHONE
    assert not Case.objects.exists()


def test_only_served_tickets_once_and_valid_input(city: Hall, clerk_wang: Any) -> None:
    waiting, _ = queue.issue_ticket(city, MEDICAL)
    with pytest.raises(Conflict, match="尚未办结"):
        services.rate(waiting.pk, 5)
    with pytest.raises(NotFound):
        services.rate("t-nope", 5)
    ticket = served(city, "1", clerk_wang)
    for bad in ("6", 0, "x", None):
        with pytest.raises(Unprocessable):
            services.rate(ticket.pk, bad)
    with pytest.raises(Unprocessable, match="标签"):
        services.rate(ticket.pk, 5, tags=["bribe"])
    with pytest.raises(Unprocessable):
        services.rate(ticket.pk, 5, "长" * 501)
    assert not Rating.objects.exists()  # nothing was stored by a refused rating
    services.rate(ticket.pk, 5)
    with pytest.raises(Conflict, match="已经评价"):
        services.rate(ticket.pk, 1, channel=Channel.PAD)
    assert Rating.objects.get().level == 5 and not Case.objects.exists()


def test_the_database_allows_one_rating_per_ticket(city: Hall, clerk_wang: Any) -> None:
    ticket = served(city, "1", clerk_wang)
    first = services.rate(ticket.pk, 5)
    twin = Rating(
        ticket=ticket,
        hall=city,
        zone=first.zone,
        matter_code="x",
        ticket_number="A001",
        service_day=first.service_day,
        level=1,
        channel="pad",
        rated_at=first.rated_at,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


@time_machine.travel(TUESDAY, tick=False)
def test_a_bad_rating_opens_a_case_with_working_day_deadlines(city: Hall, clerk_wang: Any) -> None:
    city.closed_dates = ["2026-09-24"]  # Thursday closed
    city.save()
    ticket = served(city, "1", clerk_wang)
    rating = services.rate(ticket.pk, 2, "让我跑了三趟", ["materials"])
    case = Case.objects.get(rating=rating)
    assert case.step == Step.VERIFY and case.staff == clerk_wang
    assert case.callback_due.astimezone(SH) == dt.datetime(2026, 9, 24, 0, 0, tzinfo=SH)  # end of Wednesday
    # 15 working days after Tue 22 Sep, Thu 24 closed: 23, 25, 28–30, 1–2, 5–9, 12–14 Oct
    assert case.rectify_due.astimezone(SH) == dt.datetime(2026, 10, 15, 0, 0, tzinfo=SH)


def test_case_from_rating_to_re_rating(city: Hall, clerk_wang: Any, manager_li: Any) -> None:
    ticket = served(city, "1", clerk_wang)
    rating = services.rate(ticket.pk, 1, "态度差", ["attitude"])
    case = rating.case
    with pytest.raises(Conflict):
        services.rerate(ticket.pk, 5)  # not invited yet
    with pytest.raises(Conflict, match="待核实"):
        services.call_back(case.pk, manager_li, "已联系")  # steps run in order
    with pytest.raises(Forbidden):
        services.verify(case.pk, clerk_wang, "true", "看了录像")  # staff can't work their own case
    with pytest.raises(Unprocessable):
        services.verify(case.pk, manager_li, "maybe", "看了录像")
    with pytest.raises(Unprocessable):
        services.verify(case.pk, manager_li, "true", "   ")
    services.verify(case.pk, manager_li, "true", "调取录像，情况属实")
    services.call_back(case.pk, manager_li, "已电话致歉")
    done = services.rectify(case.pk, manager_li, "窗口人员服务规范培训")
    assert done.step == Step.RERATE and done.rerate_due is not None
    assert services.panel_state(ticket.pk, "served")["mode"] == "rerate"
    again = services.rerate(ticket.pk, 4, "态度好多了")
    assert (again.level, again.re_level, again.final_level) == (1, 4, 4)
    case.refresh_from_db()
    assert case.step == Step.CLOSED and case.close_reason == "rerated"
    with pytest.raises(Conflict):
        services.rerate(ticket.pk, 5)  # only one follow-up
    assert services.panel_state(ticket.pk, "served")["mode"] == "done"


def test_appeal_upheld_removes_the_rating_from_the_figures(
    city: Hall, clerk_wang: Any, clerk_chen: Any, manager_li: Any
) -> None:
    good = served(city, "2", clerk_chen)
    services.rate(good.pk, 5)
    ticket = served(city, "1", clerk_wang)
    case = services.rate(ticket.pk, 1, "无理取闹").case
    assert queries.summary(city)["good_rate"] == 0.5
    with pytest.raises(Forbidden):
        services.file_appeal(case.pk, clerk_chen, "不是我的")  # another clerk may not appeal it
    appealed = services.file_appeal(
        case.pk,
        clerk_wang,
        "群众材料不全，已一次性告知",
        file_name="告知单.pdf",
        content_type="application/pdf",
        data=b"%PDF-1.4",
    )
    assert appealed.appeal == "pending" and bytes(appealed.evidence or b"") == b"%PDF-1.4"
    with pytest.raises(Conflict):
        services.file_appeal(case.pk, clerk_wang, "再申诉一次")
    with pytest.raises(Forbidden):
        services.decide_appeal(case.pk, clerk_wang, True, "我说成立")
    decided = services.decide_appeal(case.pk, manager_li, True, "录像显示已一次性告知")
    assert decided.step == Step.CLOSED and decided.close_reason == "appeal_upheld"
    figures = queries.summary(city)
    assert (figures["total"], figures["good_rate"], figures["open_cases"]) == (1, 1.0, 0)


def test_rejected_appeal_keeps_the_case_going(city: Hall, clerk_wang: Any, manager_li: Any) -> None:
    ticket = served(city, "1", clerk_wang)
    case = services.rate(ticket.pk, 2).case
    services.file_appeal(case.pk, clerk_wang, "不认可")
    with pytest.raises(Unprocessable):
        services.file_appeal(case.pk, clerk_wang, "x", data=b"0" * (services.MAX_EVIDENCE_BYTES + 1))
    decided = services.decide_appeal(case.pk, manager_li, False, "证据不足")
    assert decided.appeal == "rejected" and decided.step == Step.VERIFY
    with pytest.raises(Conflict):
        services.decide_appeal(case.pk, manager_li, True, "改判")


def test_another_halls_manager_cannot_work_the_case(
    city: Hall, clerk_wang: Any, town_manager_zhou: Any, admin_sun: Any
) -> None:
    case = services.rate(served(city, "1", clerk_wang).pk, 1).case
    with pytest.raises(Forbidden):
        services.verify(case.pk, town_manager_zhou, "true", "查")
    assert services.verify(case.pk, admin_sun, "false", "不属实").step == Step.CALLBACK


class Receiver:
    """A real local HTTP receiver for the signed webhook."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": json.loads(body)})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_overdue_steps_escalate_once_through_the_notifier(
    city: Hall, clerk_wang: Any, manager_li: Any, receiver: Receiver
) -> None:
    Recipient.objects.create(
        hall=city, name="督查科", channel="webhook", address=receiver.url, secret="s3cret"
    )
    Recipient.objects.create(
        hall=city, name="只收红色预警", channel="webhook", address=receiver.url, kinds=["red"]
    )
    with time_machine.travel(TUESDAY, tick=False):
        case = services.rate(served(city, "1", clerk_wang).pk, 1, "太慢").case
    wednesday_night = dt.datetime(2026, 9, 23, 23, 0, tzinfo=SH)
    assert services.escalate_overdue(wednesday_night) == 0  # still within one working day
    thursday = dt.datetime(2026, 9, 24, 0, 1, tzinfo=SH)
    assert services.escalate_overdue(thursday) == 1
    assert services.escalate_overdue(thursday + dt.timedelta(hours=1)) == 0  # once per step
    notice = Notice.objects.get()
    assert notice.step == "callback" and notice.recipient.name == "督查科"
    assert services.deliver_notices(thursday) == 1
    assert len(receiver.requests) == 1
    sent = receiver.requests[0]
    assert sent["headers"]["Idempotency-Key"] == notice.key and sent["headers"][
        "X-Govhall-Signature"
    ].startswith("sha256=")
    assert sent["body"]["event"] == "rating.case_overdue" and "未按时回访" in sent["body"]["text"]
    assert sent["body"]["case"]["id"] == case.pk
    assert services.deliver_notices(thursday) == 0  # sent rows are not sent again
    assert "callback" in queries.case_row(Case.objects.select_related("hall", "rating").get()).get("overdue")
    # calling back does not undo the record, and a late rectification escalates too
    services.verify(case.pk, manager_li, "true", "属实")
    services.call_back(case.pk, manager_li, "已回访")
    assert services.escalate_overdue(dt.datetime(2026, 10, 13, 23, 0, tzinfo=SH)) == 0
    assert services.escalate_overdue(dt.datetime(2026, 10, 14, 0, 1, tzinfo=SH)) == 1
    assert set(Overdue.objects.values_list("step", flat=True)) == {"callback", "rectify"}


def test_a_failing_notifier_is_retried_with_backoff(city: Hall, clerk_wang: Any) -> None:
    Recipient.objects.create(
        hall=city, name="webhook", channel="webhook", address="http://127.0.0.1:9/nothing"
    )
    with time_machine.travel(TUESDAY, tick=False):
        services.rate(served(city, "1", clerk_wang).pk, 2)
    late = dt.datetime(2026, 9, 25, 9, 0, tzinfo=SH)
    services.escalate_overdue(late)
    assert services.deliver_notices(late) == 0
    notice = Notice.objects.get()
    assert notice.state == "pending" and notice.attempts == 1 and notice.last_error
    assert notice.next_attempt_at > late
    assert services.deliver_notices(late) == 0 and Notice.objects.get().attempts == 1  # not due yet


def test_expired_invitation_closes_the_case(city: Hall, clerk_wang: Any, manager_li: Any) -> None:
    with time_machine.travel(TUESDAY, tick=False):
        case = services.rate(served(city, "1", clerk_wang).pk, 2).case
        services.verify(case.pk, manager_li, "partly", "部分属实")
        services.call_back(case.pk, manager_li, "已回访")
        services.rectify(case.pk, manager_li, "已整改")
    services.escalate_overdue(dt.datetime(2026, 10, 20, tzinfo=SH))
    case.refresh_from_db()
    assert case.step == Step.CLOSED and case.close_reason == "no_rerating"


def test_default_rating_after_n_days_only_where_turned_on(city: Hall, clerk_wang: Any) -> None:
    town = Hall.objects.get(code="town")
    with time_machine.travel(TUESDAY, tick=False):
        a = served(city, "1", clerk_wang)
        b = served(city, "1", clerk_wang)
        services.rate(b.pk, 5)
    later = TUESDAY + dt.timedelta(days=8)
    assert services.apply_defaults(later) == 0  # off by default
    HallSettings.objects.create(hall=city, default_after_days=7)
    HallSettings.objects.create(hall=town, default_after_days=None)
    assert services.apply_defaults(TUESDAY + dt.timedelta(days=6)) == 0  # not yet N days
    assert services.apply_defaults(later) == 1
    auto = Rating.objects.get(ticket=a)
    assert (auto.level, auto.channel, auto.staff) == (3, "auto", clerk_wang)
    assert services.apply_defaults(later) == 0
    assert queries.summary(city)["auto"] == 1


def test_signed_links(city: Hall, clerk_wang: Any) -> None:
    ticket = served(city, "1", clerk_wang)
    token = services.link_token(ticket.pk)
    assert services.read_token(token) == (ticket.pk, "rate")
    with pytest.raises(NotFound):
        services.read_token(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=8)), pytest.raises(Conflict):
        services.read_token(token)
    rerate = services.link_token(ticket.pk, "rerate")
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=8)):
        assert services.read_token(rerate) == (ticket.pk, "rerate")
