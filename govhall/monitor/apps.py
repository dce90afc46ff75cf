from django.apps import AppConfig


class MonitorConfig(AppConfig):
    name = "govhall.monitor"
    label = "monitor"

    def ready(self) -> None:
        from django.utils.translation import gettext_noop

        from govhall.web.manage import register_section

        register_section("monitor", gettext_noop("实时监控"), "monitor:manage", order=20)
