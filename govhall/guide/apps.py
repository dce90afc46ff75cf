from django.apps import AppConfig


class GuideConfig(AppConfig):
    name = "govhall.guide"
    label = "guide"

    def ready(self) -> None:
        from django.utils.translation import gettext_noop

        from govhall.web.manage import register_section

        register_section("guide", gettext_noop("问题转知识"), "guide:questions", order=50)
