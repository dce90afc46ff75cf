from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "govhall.staff"
    label = "staff"
    verbose_name = "业务智管：人员、考勤、资产与绩效"

    def ready(self) -> None:
        from django.utils.translation import gettext_noop

        from govhall.accounts.models import Role
        from govhall.web.manage import register_section

        register_section("staff", gettext_noop("人员与绩效"), "staff:manage", order=60, needed=Role.STAFF)
