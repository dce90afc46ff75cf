from django.apps import AppConfig


class BookletConfig(AppConfig):
    name = "govhall.booklet"
    label = "booklet"
    verbose_name = "家里办一本通"

    def ready(self) -> None:
        from django.utils.translation import gettext_noop

        from govhall.web.manage import register_section

        register_section("booklet", gettext_noop("家里办一本通"), "booklet:manage", order=65)
