from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "govhall.reminders"
    label = "reminders"
    verbose_name = "证照到期提醒"

    def ready(self) -> None:
        from govhall.web.manage import register_section

        register_section("reminders", "证照提醒", "reminders:manage", order=60)
