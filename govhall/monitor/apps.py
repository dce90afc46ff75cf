from django.apps import AppConfig


class MonitorConfig(AppConfig):
    name = "govhall.monitor"
    label = "monitor"

    def ready(self) -> None:
        from govhall.web.manage import register_section

        register_section("monitor", "实时监控", "monitor:manage", order=20)
