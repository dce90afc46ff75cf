"""Clock in/out, the device import, the month view, leave and who is on duty."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from govhall.halls.models import Hall
from govhall.importing import ImportFailed
from govhall.staff import attendance
from govhall.staff.errors import Conflict, Forbidden, Invalid
from govhall.staff.models import LeaveRequest, Punch
from govhall.staff.tests.conftest import local

pytestmark = pytest.mark.django_db
MON_9 = local(dt.date(2026, 11, 2), "08:41")


def test_clock_in_then_out_and_refusals(city: Hall, town: Hall, clerk_li: Any, town_clerk_zhou: Any) -> None:
    with time_machine.travel(MON_9, tick=False) as traveller:
        first = attendance.clock_punch(clerk_li, city, "in", window_code="1")
        assert (first.day, first.window_code, first.source) == (dt.date(2026, 11, 2), "1", "console")
        with pytest.raises(Conflict, match="已签到"):
            attendance.clock_punch(clerk_li, city, "in")
        traveller.shift(dt.timedelta(hours=8, minutes=30))
        attendance.clock_punch(clerk_li, city, "out")
        with pytest.raises(Conflict, match="尚未签到"):
            attendance.clock_punch(clerk_li, city, "out")
        with pytest.raises(Forbidden):
            attendance.clock_punch(town_clerk_zhou, city, "in")
        with pytest.raises(Invalid):
            attendance.clock_punch(clerk_li, city, "sideways")
    with time_machine.travel(dt.datetime(2026, 12, 1, 2, tzinfo=dt.UTC), tick=False):
        (li,) = attendance.month_view(city, 2026, 11)[:1]
        day = li.days[1]
        assert day.late_minutes == 11 and day.early_minutes == 0 and day.label == "出勤（迟到11分）"
        assert li.days[2].status == "absent" and li.days[10].status == "rest"  # 11-11 closed
        assert li.counts == {"due": 20, "present": 1, "absent": 19, "late": 1, "early": 0, "leave": 0}


DEVICE = """employee_no,time,kind
S001,2026-11-03 08:20,签到
S001,2026-11-03 17:02:10,签退
S002,2026-11-03T00:25:00Z,in
"""


def test_device_import_is_all_or_nothing_and_idempotent(city: Hall, clerk_li: Any, clerk_zhao: Any) -> None:
    with time_machine.travel(dt.datetime(2026, 11, 4, 2, tzinfo=dt.UTC), tick=False):
        bad = DEVICE + "S999,2026-11-03 08:00,in\nS001,03/11/2026 8am,in\nS002,2026-11-03 09:00,lunch\n"
        with pytest.raises(ImportFailed) as failed:
            attendance.import_device_csv(city, bad)
        assert [(e.line, e.field) for e in failed.value.errors] == [
            (5, "employee_no"),
            (6, "time"),
            (7, "kind"),
        ]
        assert Punch.objects.count() == 0
        with pytest.raises(ImportFailed, match="缺少列"):
            attendance.import_device_csv(city, "who,when\nS001,2026-11-03 08:00\n")
        assert attendance.import_device_csv(city, DEVICE).created == 3
        again = attendance.import_device_csv(city, DEVICE)
        assert (again.created, len(again.warnings)) == (0, 3)
        li_in = Punch.objects.get(user=clerk_li, kind="in")
        assert li_in.at == local(dt.date(2026, 11, 3), "08:20") and li_in.source == "device"
        assert Punch.objects.get(user=clerk_zhao).day == dt.date(2026, 11, 3)


def test_approved_leave_takes_the_person_off_duty_that_day(
    city: Hall, manager_wang: Any, clerk_li: Any, clerk_zhao: Any
) -> None:
    wed = dt.date(2026, 11, 18)
    with time_machine.travel(local(dt.date(2026, 11, 16), "10:00"), tick=False):
        assert clerk_li in attendance.on_duty(city, wed)
        asked = attendance.request_leave(clerk_li, city, "annual", wed, wed, "家中有事")
        with pytest.raises(Conflict, match="重叠"):
            attendance.request_leave(clerk_li, city, "sick", wed - dt.timedelta(days=1), wed, "感冒")
        with pytest.raises(Invalid):
            attendance.request_leave(clerk_li, city, "annual", wed, wed - dt.timedelta(days=1), "倒序")
        assert clerk_li in attendance.on_duty(city, wed)  # pending is not yet leave
        with pytest.raises(Forbidden):
            attendance.decide_leave(asked, clerk_zhao, approve=True)
        own = attendance.request_leave(manager_wang, city, "personal", wed, wed, "体检")
        with pytest.raises(Forbidden, match="自己"):
            attendance.decide_leave(own, manager_wang, approve=True)
        attendance.decide_leave(asked, manager_wang, approve=True, note="同意")
        with pytest.raises(Conflict):
            attendance.decide_leave(asked, manager_wang, approve=False)
        on = attendance.on_duty(city, wed)
        assert clerk_li not in on and clerk_zhao in on and manager_wang in on
        assert clerk_li in attendance.on_duty(city, wed + dt.timedelta(days=1))
        assert attendance.on_duty(city, dt.date(2026, 11, 11)) == []  # closed date
        assert attendance.on_duty(city, dt.date(2026, 11, 22)) == []  # Sunday
        li = next(pm for pm in attendance.month_view(city, 2026, 11) if pm.profile.user_id == clerk_li.pk)
        assert li.days[17].status == "leave"
        # the decision reached the requester's inbox
        from govhall.staff.services import inbox

        assert [r.message.subject for r in inbox(clerk_li)] == ["请假已批准：2026-11-18～2026-11-18"]
        assert LeaveRequest.objects.get(pk=asked.pk).decided_by == manager_wang
