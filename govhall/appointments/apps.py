from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "govhall.appointments"
    label = "appointments"
    verbose_name = "预约、远程取号与无证办理"

    def ready(self) -> None:
        from django.utils.translation import gettext_noop

        from govhall.web.manage import register_section

        register_section("appointments", gettext_noop("预约与取号"), "appointments:manage", order=30)
