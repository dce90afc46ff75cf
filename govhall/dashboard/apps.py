from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "govhall.dashboard"
    label = "dashboard"
    verbose_name = "大屏与报表"

    def ready(self) -> None:
        from django.utils.translation import gettext_noop

        from govhall.web.manage import register_section

        register_section("reports", gettext_noop("报表"), "reports:list", order=70)
