from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "govhall.insights"
    label = "insights"
