from django.apps import AppConfig


class GuideConfig(AppConfig):
    name = "govhall.guide"
    label = "guide"

    def ready(self) -> None:
        from govhall.web.manage import register_section

        register_section("guide", "问题转知识", "guide:questions", order=50)
