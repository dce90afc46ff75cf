from django.apps import AppConfig


class RatingsConfig(AppConfig):
    name = "govhall.ratings"
    label = "ratings"
    verbose_name = "好差评"

    def ready(self) -> None:
        from django.utils.translation import gettext_noop

        from govhall.accounts.models import Role
        from govhall.web.manage import register_section

        register_section("ratings", gettext_noop("好差评"), "ratings:manage", order=40, needed=Role.STAFF)
