from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "govhall.realtime"
    label = "realtime"
