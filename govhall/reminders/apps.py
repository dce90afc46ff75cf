from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "govhall.reminders"
    label = "reminders"
    verbose_name = "证照到期提醒"

    def ready(self) -> None:
        from django.utils.translation import gettext_noop

        from govhall.web.manage import register_section

        register_section("reminders", gettext_noop("证照提醒"), "reminders:manage", order=60)
