from django.apps import AppConfig


class MonitorConfig(AppConfig):
    name = "govhall.monitor"
    label = "monitor"
