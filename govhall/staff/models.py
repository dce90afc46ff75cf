"""Models of staff: profiles, groups, messages, attendance, leave, assets, honours and score weights."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from govhall.catalog.models import Department, Matter
from govhall.halls.models import Hall, Window, Zone

USER = settings.AUTH_USER_MODEL


class SkillLevel(models.IntegerChoices):
    NONE = 0, "未定级"
    JUNIOR = 1, "初级综窗"
    MIDDLE = 2, "中级综窗"
    SENIOR = 3, "高级综窗"


class StaffProfile(models.Model):
    """One per user: where they work, what they may serve; phone and ID only in masked form."""

    user = models.OneToOneField(USER, on_delete=models.CASCADE, related_name="staff_profile")
    hall = models.ForeignKey(Hall, verbose_name="所属大厅", on_delete=models.CASCADE, related_name="staff")
    employee_no = models.CharField("工号", max_length=32)
    name = models.CharField("姓名", max_length=50)
    department = models.ForeignKey(
        Department,
        verbose_name="派驻部门",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    phone_masked = models.CharField("手机号(脱敏)", max_length=20, blank=True)
    id_number_masked = models.CharField("身份证号(脱敏)", max_length=24, blank=True)
    skill_level = models.PositiveSmallIntegerField("综窗等级", choices=SkillLevel.choices, default=0)
    level_granted_on = models.DateField("定级日期", null=True, blank=True)
    windows = models.ManyToManyField(Window, verbose_name="可上岗窗口", blank=True, related_name="+")
    matters = models.ManyToManyField(Matter, verbose_name="可办事项", blank=True, related_name="+")
    active = models.BooleanField("在岗", default=True)

    class Meta:
        ordering = ["hall", "employee_no"]
        verbose_name = verbose_name_plural = "人员档案"
        constraints = [
            models.UniqueConstraint(fields=["hall", "employee_no"], name="staffprofile_unique_no"),
            models.CheckConstraint(
                condition=Q(skill_level=0) | Q(level_granted_on__isnull=False),
                name="staffprofile_level_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.employee_no})"


class StaffGroup(models.Model):
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="+")
    name = models.CharField("组名", max_length=100)
    members: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        USER, verbose_name="成员", blank=True, related_name="staff_groups"
    )

    class Meta:
        ordering = ["hall", "name"]
        verbose_name = verbose_name_plural = "人员分组"
        constraints = [models.UniqueConstraint(fields=["hall", "name"], name="staffgroup_unique_name")]

    def __str__(self) -> str:
        return self.name


class Message(models.Model):
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="+")
    sender = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    group = models.ForeignKey(StaffGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    subject = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at", "-id"]


class Receipt(models.Model):
    """One per recipient of a message; `read_at` is the read receipt."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="receipts")
    recipient = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "recipient"], name="receipt_unique")]
        indexes = [models.Index(fields=["recipient", "read_at"], name="receipt_inbox_idx")]


class Punch(models.Model):
    """A clock-in or clock-out, from the console, an attendance device or a manager's correction."""

    class Kind(models.TextChoices):
        IN = "in", "签到"
        OUT = "out", "签退"

    class Source(models.TextChoices):
        CONSOLE = "console", "窗口工作台"
        DEVICE = "device", "考勤机"
        MANUAL = "manual", "补录"

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=3, choices=Kind.choices)
    at = models.DateTimeField()
    day = models.DateField()  # the hall's local date of `at`
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.CONSOLE)
    window_code = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "at"], name="punch_unique"),
            models.CheckConstraint(condition=Q(kind__in=["in", "out"]), name="punch_kind_valid"),
        ]
        indexes = [models.Index(fields=["hall", "day"], name="punch_hall_day_idx")]


class LeaveRequest(models.Model):
    class Kind(models.TextChoices):
        ANNUAL = "annual", "年休假"
        SICK = "sick", "病假"
        PERSONAL = "personal", "事假"
        COMPENSATORY = "compensatory", "调休"
        MARRIAGE = "marriage", "婚假"
        MATERNITY = "maternity", "产假/陪产假"
        OTHER = "other", "其他"

    class Status(models.TextChoices):
        PENDING = "pending", "待审批"
        APPROVED = "approved", "已批准"
        REFUSED = "refused", "未批准"
        CANCELLED = "cancelled", "已撤回"

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    start = models.DateField("开始日期")
    end = models.DateField("结束日期")
    reason = models.CharField("事由", max_length=300)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField()
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField("审批意见", max_length=300, blank=True)

    class Meta:
        ordering = ["-start", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="leave_end_after_start"),
        ]


class Asset(models.Model):
    class Kind(models.TextChoices):
        KIOSK = "kiosk", "自助终端"
        SCREEN = "screen", "显示屏"
        COUNTER = "counter", "窗口柜台"
        PC = "pc", "电脑"
        PRINTER = "printer", "打印机"
        SCANNER = "scanner", "高拍仪/扫描仪"
        CAMERA = "camera", "摄像头"
        OTHER = "other", "其他"

    class State(models.TextChoices):
        IN_USE = "in_use", "在用"
        FAULTY = "faulty", "故障"
        REPAIR = "repair", "维修中"
        IDLE = "idle", "闲置"
        RETIRED = "retired", "报废"

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="+")
    code = models.CharField("资产编号", max_length=40)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    zone = models.ForeignKey(Zone, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    window = models.ForeignKey(Window, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    location = models.CharField("位置说明", max_length=100, blank=True)
    responsible = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.IN_USE)
    acquired_on = models.DateField("购置日期", null=True, blank=True)

    class Meta:
        ordering = ["hall", "code"]
        verbose_name = verbose_name_plural = "设备资产"
        constraints = [models.UniqueConstraint(fields=["hall", "code"], name="asset_unique_code")]


class Maintenance(models.Model):
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="maintenance")
    on = models.DateField("日期")
    description = models.CharField("内容", max_length=300)
    state_after = models.CharField("处理后状态", max_length=10, choices=Asset.State.choices)
    by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-on", "-id"]


class Honour(models.Model):
    """A commendation (or, with negative points, a reprimand) entered by the hall's manager."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="+")
    on = models.DateField("日期")
    title = models.CharField("事由", max_length=200)
    points = models.IntegerField("分值")
    entered_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-on", "-id"]


class HallRules(models.Model):
    """Per hall: attendance grace minutes and the weights of the monthly score (sum 100)."""

    hall = models.OneToOneField(Hall, on_delete=models.CASCADE, related_name="staff_rules")
    late_grace_minutes = models.PositiveSmallIntegerField("迟到宽限(分钟)", default=5)
    early_grace_minutes = models.PositiveSmallIntegerField("早退宽限(分钟)", default=5)
    w_attendance = models.PositiveSmallIntegerField("考勤权重", default=25)
    w_honours = models.PositiveSmallIntegerField("荣誉权重", default=10)
    w_ratings = models.PositiveSmallIntegerField("好差评权重", default=25)
    w_volume = models.PositiveSmallIntegerField("办件量权重", default=25)
    w_speed = models.PositiveSmallIntegerField("办理效率权重", default=15)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(w_attendance__lte=100)
                & Q(w_honours__lte=100)
                & Q(w_ratings__lte=100)
                & Q(w_volume__lte=100)
                & Q(w_speed__lte=100),
                name="hallrules_weights_bounded",
            )
        ]

    def weights(self) -> dict[str, int]:
        return {
            "attendance": self.w_attendance,
            "honours": self.w_honours,
            "ratings": self.w_ratings,
            "volume": self.w_volume,
            "speed": self.w_speed,
        }
