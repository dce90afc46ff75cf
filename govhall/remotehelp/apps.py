from django.apps import AppConfig


class RemoteHelpConfig(AppConfig):
    name = "govhall.remotehelp"
    label = "remotehelp"
    verbose_name = "远程帮办"

    def ready(self) -> None:
        from django.utils.translation import gettext_noop

        from govhall.web.manage import register_section

        register_section("remotehelp", gettext_noop("远程帮办"), "remotehelp:manage", order=60)
