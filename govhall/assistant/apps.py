from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "govhall.assistant"
    label = "assistant"
    verbose_name = "政小云"

    def ready(self) -> None:
        from django.utils.translation import gettext_noop

        from govhall.accounts.models import Role
        from govhall.web.manage import register_section

        register_section("assistant", gettext_noop("政小云"), "assistant:manage", order=35, needed=Role.STAFF)
