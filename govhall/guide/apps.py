from django.apps import AppConfig


class GuideConfig(AppConfig):
    name = "govhall.guide"
    label = "guide"
