from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "govhall.insights"
    label = "insights"
    verbose_name = "数据分析"

    def ready(self) -> None:
        from django.utils.translation import gettext_noop

        from govhall.web.manage import register_section

        register_section("insights", gettext_noop("数据分析"), "insights:manage", order=60)
